//! Delegated permissions and the public clients users sign in with: an administrator's consent
//! for every user of the tenant (Graph's `oauth2PermissionGrant` with consentType
//! AllPrincipals), and per client application which sign-in flows it may use. Outlook's
//! well-known client ids are registered in every tenant; device code and password sign-in
//! are off until an administrator allows them for an application.

use crate::directory::{from_json, to_json};
use crate::error::CloudError;
use serde::{Deserialize, Serialize};
use store::{NewObject, Store};

pub const KIND_PERMISSION_GRANT: &str = "OAuth2PermissionGrant";
pub const KIND_PUBLIC_CLIENT: &str = "PublicClient";

/// The delegated permissions Office 365 Exchange Online defines, that a client may be granted.
pub const EXCHANGE_DELEGATED: &[&str] = &[
    "EWS.AccessAsUser.All",
    "EAS.AccessAsUser.All",
    "user_impersonation",
    "full_access_as_user",
    "Mail.Read",
    "Mail.Write",
    "Mail.Send",
    "Calendars.Read",
    "Calendars.Write",
    "Contacts.Read",
    "Contacts.Write",
];

/// Graph's `oauth2PermissionGrant`: `clientId` and `resourceId` are service principal object
/// ids, `scope` the space-separated delegated permissions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PermissionGrant {
    pub id: String,
    pub client_id: String,
    pub consent_type: String,
    pub principal_id: Option<String>,
    pub resource_id: String,
    pub scope: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PermissionGrantInput {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    pub resource_id: String,
    pub scope: String,
}

/// Which sign-in flows a public client may use, and where it may be sent back to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct PublicClient {
    pub app_id: String,
    /// Authorization code with PKCE: the browser sign-in every public client uses.
    pub allow_authorization_code: bool,
    /// The device code flow: off by default (consent phishing).
    pub allow_device_code: bool,
    /// Resource owner password credentials: off by default (scripts and tests only).
    pub allow_password: bool,
    /// Redirect URIs beyond the loopback and native-client ones every public client has.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

impl PublicClient {
    pub fn new(app_id: &str) -> Self {
        PublicClient {
            app_id: app_id.to_ascii_lowercase(),
            allow_authorization_code: true,
            ..Default::default()
        }
    }

    /// Whether a redirect URI may receive this client's codes: a registered one, the native
    /// client page, or a loopback address on any port (RFC 8252 §7.3).
    pub fn accepts_redirect(&self, uri: &str) -> bool {
        if self.redirect_uris.iter().any(|r| r == uri) {
            return true;
        }
        if uri == "https://login.microsoftonline.com/common/oauth2/nativeclient"
            || uri == "urn:ietf:wg:oauth:2.0:oob"
        {
            return true;
        }
        let Ok(u) = url::Url::parse(uri) else {
            return false;
        };
        u.scheme() == "http"
            && u.fragment().is_none()
            && u.username().is_empty()
            && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
    }
}

/// What `PUT /admin/public-clients/{appId}` takes.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublicClientInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_authorization_code: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_device_code: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_password: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
}

pub async fn grants(store: &Store, tenant_id: &str) -> Result<Vec<PermissionGrant>, CloudError> {
    let objs = store
        .directory()
        .list(KIND_PERMISSION_GRANT, Some(tenant_id))
        .await?;
    objs.iter().map(from_json).collect()
}

/// Admin consent: `input.client_id` may act for every user of the tenant with `scope` on
/// `input.resource_id`. A grant for the same pair is replaced (its scopes are the new ones).
pub async fn grant(
    store: &Store,
    tenant_id: &str,
    input: PermissionGrantInput,
) -> Result<PermissionGrant, CloudError> {
    let consent = input.consent_type.as_deref().unwrap_or("AllPrincipals");
    if consent != "AllPrincipals" || input.principal_id.is_some() {
        return Err(CloudError::BadRequest(
            "only admin consent for all users (consentType AllPrincipals) is supported".into(),
        ));
    }
    let (_, client) =
        crate::directory::find_service_principal(store, tenant_id, &input.client_id).await?;
    let (_, resource) =
        crate::directory::find_service_principal(store, tenant_id, &input.resource_id).await?;
    if !resource
        .app_id
        .eq_ignore_ascii_case(s2s::ids::EXCHANGE_APP_ID)
    {
        return Err(CloudError::BadRequest(format!(
            "delegated permissions are defined here for Office 365 Exchange Online ({}) only",
            s2s::ids::EXCHANGE_APP_ID
        )));
    }
    let mut scopes: Vec<&str> = Vec::new();
    for s in input.scope.split_whitespace() {
        let known = EXCHANGE_DELEGATED
            .iter()
            .find(|k| k.eq_ignore_ascii_case(s));
        match known {
            Some(k) if !scopes.contains(k) => scopes.push(k),
            Some(_) => {}
            None => {
                return Err(CloudError::BadRequest(format!(
                    "'{s}' is not a delegated permission of Office 365 Exchange Online; known: {}",
                    EXCHANGE_DELEGATED.join(", ")
                )));
            }
        }
    }
    if scopes.is_empty() {
        return Err(CloudError::BadRequest("scope names no permission".into()));
    }
    let g = PermissionGrant {
        id: uuid::Uuid::new_v4().to_string(),
        client_id: client.id.clone(),
        consent_type: "AllPrincipals".into(),
        principal_id: None,
        resource_id: resource.id.clone(),
        scope: scopes.join(" "),
    };
    let dir = store.directory();
    let key = format!("{}:{}", client.id, resource.id).to_ascii_lowercase();
    match dir.find(KIND_PERMISSION_GRANT, tenant_id, &key).await? {
        Some(existing) => {
            let old: PermissionGrant = from_json(&existing)?;
            let g = PermissionGrant { id: old.id, ..g };
            dir.update(&existing, &key, to_json(&g)?).await?;
            Ok(g)
        }
        None => {
            dir.create(NewObject::new(
                KIND_PERMISSION_GRANT,
                tenant_id,
                &key,
                to_json(&g)?,
            ))
            .await?;
            Ok(g)
        }
    }
}

/// Withdraws a consent (`DELETE /v1.0/oauth2PermissionGrants/{id}`): the client's next
/// sign-in or refresh for the resource is refused (AADSTS65001).
pub async fn revoke(store: &Store, tenant_id: &str, id: &str) -> Result<(), CloudError> {
    let dir = store.directory();
    for obj in dir.list(KIND_PERMISSION_GRANT, Some(tenant_id)).await? {
        let g: PermissionGrant = from_json(&obj)?;
        if g.id.eq_ignore_ascii_case(id) {
            dir.delete(&obj).await?;
            return Ok(());
        }
    }
    Err(CloudError::NotFound(id.to_string()))
}

/// A client's sign-in settings (the defaults when none were stored).
pub async fn public_client(
    store: &Store,
    tenant_id: &str,
    app_id: &str,
) -> Result<PublicClient, CloudError> {
    match store
        .directory()
        .find(KIND_PUBLIC_CLIENT, tenant_id, &app_id.to_ascii_lowercase())
        .await?
    {
        Some(o) => from_json(&o),
        None => Ok(PublicClient::new(app_id)),
    }
}

/// Changes which flows a client may use. The client must be a service principal of the tenant.
pub async fn set_public_client(
    store: &Store,
    tenant_id: &str,
    app_id: &str,
    input: PublicClientInput,
) -> Result<PublicClient, CloudError> {
    let (_, sp) = crate::directory::find_service_principal(store, tenant_id, app_id).await?;
    let key = sp.app_id.to_ascii_lowercase();
    let dir = store.directory();
    let existing = dir.find(KIND_PUBLIC_CLIENT, tenant_id, &key).await?;
    let mut pc = match &existing {
        Some(o) => from_json(o)?,
        None => PublicClient::new(&key),
    };
    if let Some(v) = input.allow_authorization_code {
        pc.allow_authorization_code = v;
    }
    if let Some(v) = input.allow_device_code {
        pc.allow_device_code = v;
    }
    if let Some(v) = input.allow_password {
        pc.allow_password = v;
    }
    if let Some(uris) = input.redirect_uris {
        for u in &uris {
            let ok = url::Url::parse(u)
                .is_ok_and(|p| p.scheme() == "https" || p.host_str() == Some("localhost"));
            if !ok {
                return Err(CloudError::BadRequest(format!(
                    "redirect URI '{u}' must be https (or http://localhost)"
                )));
            }
        }
        pc.redirect_uris = uris;
    }
    match existing {
        Some(o) => dir.update(&o, &key, to_json(&pc)?).await?,
        None => {
            dir.create(NewObject::new(
                KIND_PUBLIC_CLIENT,
                tenant_id,
                &key,
                to_json(&pc)?,
            ))
            .await?
        }
    };
    Ok(pc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_on_any_port_and_registered_ones() {
        let mut pc = PublicClient::new(crate::directory::PUBLIC_CLIENTS[0].0);
        assert!(pc.accepts_redirect("http://localhost:53123"));
        assert!(pc.accepts_redirect("http://127.0.0.1:8400/callback"));
        assert!(pc.accepts_redirect("urn:ietf:wg:oauth:2.0:oob"));
        assert!(!pc.accepts_redirect("https://evil.example/"));
        assert!(!pc.accepts_redirect("http://localhost.evil.example/"));
        assert!(!pc.accepts_redirect("http://user@localhost/"));
        pc.redirect_uris.push("https://app.contoso.com/auth".into());
        assert!(pc.accepts_redirect("https://app.contoso.com/auth"));
        assert!(!pc.accepts_redirect("https://app.contoso.com/auth/x"));
    }
}
