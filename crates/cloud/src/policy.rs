//! The tenant's default app management policy (Graph's `tenantAppManagementPolicy` at
//! `/v1.0/policies/defaultAppManagementPolicy`): the restriction this service enforces is
//! `asymmetricKeyLifetime`, the longest a certificate key credential of an application may be
//! valid. Tenants commonly set one year, while Exchange's auth certificate lasts five: the
//! dedicated Exchange hybrid application then refuses the certificate when it is uploaded.

use crate::directory::{from_json, to_json};
use crate::error::CloudError;
use crate::model::{KeyCredential, parse_graph_time};
use serde::{Deserialize, Serialize};
use store::{NewObject, Store};

pub const KIND_APP_MANAGEMENT_POLICY: &str = "AppManagementPolicy";
const NAME: &str = "default";

/// One key credential restriction (Graph's `keyCredentialConfiguration`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyCredentialConfiguration {
    pub restriction_type: String,
    #[serde(default)]
    pub max_lifetime: Option<String>,
    #[serde(default)]
    pub restrict_for_apps_created_after_date_time: Option<String>,
    /// enabled (the default) or disabled.
    #[serde(default)]
    pub state: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AppManagementRestrictions {
    #[serde(default)]
    pub password_credentials: Vec<serde_json::Value>,
    #[serde(default)]
    pub key_credentials: Vec<KeyCredentialConfiguration>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AppManagementPolicy {
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub is_enabled: bool,
    pub application_restrictions: AppManagementRestrictions,
}

/// What `PATCH /v1.0/policies/defaultAppManagementPolicy` takes.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppManagementPolicyInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_restrictions: Option<AppManagementRestrictions>,
}

impl AppManagementPolicy {
    fn default_for(tenant_id: &str) -> Self {
        AppManagementPolicy {
            id: tenant_id.to_string(),
            display_name: "Default app management tenant policy".into(),
            description: "Default tenant policy that enforces app management restrictions on applications and service principals.".into(),
            is_enabled: false,
            application_restrictions: AppManagementRestrictions::default(),
        }
    }

    /// The asymmetric key lifetime limit in seconds that applies to an application created at
    /// `app_created`, when the policy and that restriction are enabled.
    pub fn key_lifetime_limit(&self, app_created: &str) -> Option<(i64, String)> {
        if !self.is_enabled {
            return None;
        }
        let r = self
            .application_restrictions
            .key_credentials
            .iter()
            .find(|r| {
                r.restriction_type == "asymmetricKeyLifetime"
                    && r.state.as_deref().is_none_or(|s| s == "enabled")
            })?;
        if let (Some(after), Ok(created)) = (
            &r.restrict_for_apps_created_after_date_time,
            parse_graph_time(app_created, "createdDateTime"),
        ) && parse_graph_time(after, "restrictForAppsCreatedAfterDateTime")
            .is_ok_and(|a| created < a)
        {
            return None;
        }
        let text = r.max_lifetime.clone()?;
        Some((iso_duration_seconds(&text)?, text))
    }
}

/// An ISO 8601 duration as Graph writes `maxLifetime` (`P365D`, `P4DT12H30M5S`), in seconds.
pub fn iso_duration_seconds(text: &str) -> Option<i64> {
    let rest = text.strip_prefix('P')?;
    let (days, time) = rest.split_once('T').unwrap_or((rest, ""));
    if rest.contains('T') && time.is_empty() {
        return None;
    }
    let mut total = 0i64;
    let mut read = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let unit = units.iter().find(|(u, _)| *u == c)?.1;
            total = total.checked_add(number.parse::<i64>().ok()?.checked_mul(unit)?)?;
            number.clear();
        }
        number.is_empty().then_some(())
    };
    read(days, &[('D', 86_400)])?;
    read(time, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    (rest != "T" && !rest.is_empty()).then_some(total)
}

fn check_input(p: &AppManagementPolicy) -> Result<(), CloudError> {
    let mut seen = Vec::new();
    for r in &p.application_restrictions.key_credentials {
        if r.restriction_type != "asymmetricKeyLifetime" {
            return Err(CloudError::BadRequest(format!(
                "restrictionType '{}' is not supported for keyCredentials; use asymmetricKeyLifetime",
                r.restriction_type
            )));
        }
        if seen.contains(&r.restriction_type) {
            return Err(CloudError::BadRequest(
                "each restrictionType can be used only once per policy".into(),
            ));
        }
        seen.push(r.restriction_type.clone());
        match &r.max_lifetime {
            Some(m) if iso_duration_seconds(m).is_some_and(|s| s > 0) => {}
            _ => {
                return Err(CloudError::BadRequest(
                    "asymmetricKeyLifetime needs maxLifetime as an ISO 8601 duration, e.g. P365D"
                        .into(),
                ));
            }
        }
        if let Some(a) = &r.restrict_for_apps_created_after_date_time {
            parse_graph_time(a, "restrictForAppsCreatedAfterDateTime")?;
        }
        if let Some(s) = &r.state
            && s != "enabled"
            && s != "disabled"
        {
            return Err(CloudError::BadRequest(format!(
                "state '{s}' is not enabled or disabled"
            )));
        }
    }
    Ok(())
}

pub async fn get(store: &Store, tenant_id: &str) -> Result<AppManagementPolicy, CloudError> {
    match store
        .directory()
        .find(KIND_APP_MANAGEMENT_POLICY, tenant_id, NAME)
        .await?
    {
        Some(obj) => from_json(&obj),
        None => Ok(AppManagementPolicy::default_for(tenant_id)),
    }
}

pub async fn update(
    store: &Store,
    tenant_id: &str,
    input: AppManagementPolicyInput,
) -> Result<AppManagementPolicy, CloudError> {
    let found = store
        .directory()
        .find(KIND_APP_MANAGEMENT_POLICY, tenant_id, NAME)
        .await?;
    let mut policy = match &found {
        Some(obj) => from_json(obj)?,
        None => AppManagementPolicy::default_for(tenant_id),
    };
    if let Some(e) = input.is_enabled {
        policy.is_enabled = e;
    }
    if let Some(r) = input.application_restrictions {
        policy.application_restrictions = r;
    }
    check_input(&policy)?;
    match found {
        Some(obj) => {
            store
                .directory()
                .update(&obj, &obj.name, to_json(&policy)?)
                .await?;
        }
        None => {
            store
                .directory()
                .create(NewObject::new(
                    KIND_APP_MANAGEMENT_POLICY,
                    tenant_id,
                    NAME,
                    to_json(&policy)?,
                ))
                .await?;
        }
    }
    Ok(policy)
}

/// Refuses key credentials added to an application (not among `before`, by thumbprint) that
/// are valid longer than the tenant's policy allows for it.
pub fn check_new_keys(
    policy: &AppManagementPolicy,
    app_created: &str,
    before: &[KeyCredential],
    after: &[KeyCredential],
) -> Result<(), CloudError> {
    let Some((limit, text)) = policy.key_lifetime_limit(app_created) else {
        return Ok(());
    };
    let thumb = |k: &KeyCredential| k.custom_key_identifier.clone().unwrap_or_default();
    for k in after {
        if before
            .iter()
            .any(|b| thumb(b).eq_ignore_ascii_case(&thumb(k)))
        {
            continue;
        }
        let span = |f: &Option<String>, name| {
            f.as_deref()
                .ok_or_else(|| CloudError::Internal(format!("a key without {name}")))
                .and_then(|t| parse_graph_time(t, name))
        };
        let lifetime = (span(&k.end_date_time, "endDateTime")?
            - span(&k.start_date_time, "startDateTime")?)
        .whole_seconds();
        if lifetime > limit {
            return Err(CloudError::BadRequest(format!(
                "Key credential lifetime exceeds the max value allowed as per the tenant's app management policy: the certificate {} is valid for {} days; asymmetricKeyLifetime allows {text}.",
                thumb(k),
                lifetime / 86_400
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_graph_writes_them() {
        assert_eq!(iso_duration_seconds("P365D"), Some(365 * 86_400));
        assert_eq!(
            iso_duration_seconds("P4DT12H30M5S"),
            Some(4 * 86_400 + 12 * 3600 + 30 * 60 + 5)
        );
        assert_eq!(iso_duration_seconds("PT90M"), Some(5400));
        for bad in ["", "P", "PT", "365D", "P1Y", "P1DT", "P-1D", "PxD"] {
            assert_eq!(iso_duration_seconds(bad), None, "{bad}");
        }
    }

    fn key(thumb: &str, start: &str, end: &str) -> KeyCredential {
        KeyCredential {
            custom_key_identifier: Some(thumb.into()),
            display_name: None,
            end_date_time: Some(end.into()),
            key: None,
            key_id: None,
            start_date_time: Some(start.into()),
            key_type: Some("AsymmetricX509Cert".into()),
            usage: Some("Verify".into()),
        }
    }

    #[test]
    fn only_new_keys_past_the_limit_are_refused() {
        let mut p = AppManagementPolicy::default_for("t");
        p.application_restrictions.key_credentials = vec![KeyCredentialConfiguration {
            restriction_type: "asymmetricKeyLifetime".into(),
            max_lifetime: Some("P365D".into()),
            restrict_for_apps_created_after_date_time: Some("2020-01-01T00:00:00Z".into()),
            state: None,
        }];
        let five_years = key("AA", "2026-01-01T00:00:00Z", "2031-01-01T00:00:00Z");
        let one_year = key("BB", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
        let created = "2026-06-01T00:00:00Z";
        // Disabled, the policy restricts nothing.
        assert!(check_new_keys(&p, created, &[], std::slice::from_ref(&five_years)).is_ok());
        p.is_enabled = true;
        let refused = check_new_keys(&p, created, &[], std::slice::from_ref(&five_years));
        assert!(refused.unwrap_err().to_string().contains("P365D"));
        assert!(check_new_keys(&p, created, &[], std::slice::from_ref(&one_year)).is_ok());
        // A key the application already had stays; an application older than the date is not restricted.
        assert!(
            check_new_keys(
                &p,
                created,
                std::slice::from_ref(&five_years),
                std::slice::from_ref(&five_years)
            )
            .is_ok()
        );
        assert!(check_new_keys(&p, "2019-01-01T00:00:00Z", &[], &[five_years]).is_ok());
    }
}
