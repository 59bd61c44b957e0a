//! The cloud admin API's request and response bodies beyond Graph's own resources: creating a
//! tenant (the operator's), and the body of a service principal's PATCH.

use crate::model::{KeyCredential, VerifiedDomain};
use serde::{Deserialize, Serialize};

/// `POST /admin/tenants` (the operator credential).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTenantRequest {
    pub domain: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// What creating a tenant answers: the tenant and its first admin credential (shown once).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTenantResponse {
    pub tenant_id: String,
    pub display_name: String,
    pub verified_domains: Vec<VerifiedDomain>,
    pub created_date_time: String,
    pub admin_credential: String,
}

/// `PATCH /v1.0/servicePrincipals(appId='…')`: the members it changes; absent ones stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipalPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_credentials: Option<Vec<KeyCredential>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_enabled: Option<bool>,
}

/// A Graph collection: `{"@odata.context", "value": [...]}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GraphCollection<T> {
    #[serde(
        rename = "@odata.context",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub context: String,
    pub value: Vec<T>,
}

/// `POST /admin/rotate-signing-keys`: the token service's signing keys after the rotation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SigningKeys {
    pub signing_keys: Vec<SigningKeyView>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SigningKeyView {
    /// current, next or previous.
    pub status: String,
    pub thumbprint: String,
    pub not_after: String,
}

/// `POST /v1.0/users/{id}/password`: the user whose sign-in password was set.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PasswordSet {
    pub id: String,
    pub user_principal_name: String,
    pub password_set: bool,
}

/// `POST /v1.0/servicePrincipals`: a principal for one of the tenant's applications.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewServicePrincipal {
    pub app_id: String,
}
