//! The directory's objects in Microsoft Graph's shapes: tenants (organization), service
//! principals and their key credentials.

pub use crate::dates::graph_time;
use crate::error::CloudError;
use crypto::Certificate;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Directory object kinds in the store.
pub const KIND_TENANT: &str = "Tenant";
pub const KIND_SERVICE_PRINCIPAL: &str = "ServicePrincipal";
pub const KIND_ADMIN_CREDENTIAL: &str = "AdminCredential";
pub const KIND_OPERATOR_CREDENTIAL: &str = "OperatorCredential";
pub const KIND_STS_KEY: &str = "StsKeyRing";
/// The name of the one key ring object.
pub const STS_KEY_RING: &str = "sts";

/// The first-party service principals every tenant starts with.
pub const FIRST_PARTY: &[(&str, &str)] = &[
    (s2s::ids::ACS_APP_ID, "Microsoft Entra ACS"),
    (s2s::ids::EXCHANGE_APP_ID, "Office 365 Exchange Online"),
    (s2s::ids::SHAREPOINT_APP_ID, "Office 365 SharePoint Online"),
    (s2s::ids::SKYPE_APP_ID, "Skype for Business Online"),
    (s2s::ids::TEAMS_SCHEDULER_APP_ID, "Teams Scheduler"),
    (s2s::ids::CLOUD_VOICEMAIL_APP_ID, "Cloud Voicemail"),
];

/// True for Microsoft's first-party applications, whose actor tokens may act for users.
pub fn is_first_party(app_id: &str) -> bool {
    FIRST_PARTY
        .iter()
        .any(|(id, _)| id.eq_ignore_ascii_case(app_id))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedDomain {
    pub name: String,
    pub is_default: bool,
    pub is_initial: bool,
    pub capabilities: String,
    #[serde(rename = "type")]
    pub domain_type: String,
}

/// A tenant, as Graph's `organization` resource shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub id: String,
    pub display_name: String,
    pub verified_domains: Vec<VerifiedDomain>,
    pub created_date_time: String,
}

impl Tenant {
    pub fn default_domain(&self) -> &str {
        self.verified_domains
            .iter()
            .find(|d| d.is_default)
            .map(|d| d.name.as_str())
            .unwrap_or("")
    }
}

pub use s2s::graph::KeyCredential;

/// A service principal; a `$select` answer reads with the properties it leaves out empty.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ServicePrincipal {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub account_enabled: bool,
    pub service_principal_type: String,
    pub sign_in_audience: String,
    pub app_owner_organization_id: Option<String>,
    pub service_principal_names: Vec<String>,
    pub key_credentials: Vec<KeyCredential>,
}

impl ServicePrincipal {
    pub fn first_party(app_id: &str, display_name: &str) -> Self {
        ServicePrincipal {
            id: uuid::Uuid::new_v4().to_string(),
            app_id: app_id.to_string(),
            display_name: display_name.to_string(),
            account_enabled: true,
            service_principal_type: "Application".into(),
            sign_in_audience: "AzureADMultipleOrgs".into(),
            app_owner_organization_id: Some("f8cdef31-a31e-4b4a-93e4-5f571e91255a".into()),
            service_principal_names: vec![app_id.to_string()],
            key_credentials: Vec::new(),
        }
    }
}

pub fn parse_graph_time(text: &str, field: &str) -> Result<OffsetDateTime, CloudError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        CloudError::BadRequest(format!(
            "'{field}' must be an ISO 8601 date and time, such as 2026-01-01T00:00:00Z"
        ))
    })
}

/// A key credential checked and completed: a Verify key for an X.509 certificate whose dates
/// lie inside the certificate's validity (taken from it when not given).
pub fn complete_key_credential(
    input: &KeyCredential,
) -> Result<(KeyCredential, Certificate), CloudError> {
    let key_type = input.key_type.as_deref().unwrap_or("AsymmetricX509Cert");
    if key_type != "AsymmetricX509Cert" {
        return Err(CloudError::BadRequest(format!(
            "key credential type '{key_type}' is not supported; use AsymmetricX509Cert"
        )));
    }
    let usage = input.usage.as_deref().unwrap_or("Verify");
    if usage != "Verify" {
        return Err(CloudError::BadRequest(format!(
            "an AsymmetricX509Cert key has usage Verify, not '{usage}'"
        )));
    }
    let key = input.key.as_deref().ok_or_else(|| {
        CloudError::BadRequest("a key credential needs 'key': the base64 certificate".into())
    })?;
    let cert = Certificate::from_base64(key)
        .map_err(|e| CloudError::BadRequest(format!("'key' is not a certificate: {e}")))?;
    cert.public_key().map_err(|e| {
        CloudError::BadRequest(format!("the certificate cannot verify tokens: {e}"))
    })?;
    let start = match &input.start_date_time {
        Some(s) => parse_graph_time(s, "startDateTime")?,
        None => cert.not_before(),
    };
    let end = match &input.end_date_time {
        Some(s) => parse_graph_time(s, "endDateTime")?,
        None => cert.not_after(),
    };
    if start < cert.not_before() || end > cert.not_after() || start >= end {
        return Err(CloudError::BadRequest(format!(
            "the key's startDateTime and endDateTime must lie inside the certificate's validity ({} to {})",
            graph_time(cert.not_before()),
            graph_time(cert.not_after())
        )));
    }
    let done = KeyCredential {
        custom_key_identifier: Some(
            input
                .custom_key_identifier
                .clone()
                .unwrap_or_else(|| cert.thumbprint().to_string()),
        ),
        display_name: Some(
            input
                .display_name
                .clone()
                .unwrap_or_else(|| cert.subject().to_string()),
        ),
        end_date_time: Some(graph_time(end)),
        key: Some(cert.to_base64()),
        key_id: Some(
            input
                .key_id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        ),
        start_date_time: Some(graph_time(start)),
        key_type: Some("AsymmetricX509Cert".into()),
        usage: Some("Verify".into()),
    };
    Ok((done, cert))
}
