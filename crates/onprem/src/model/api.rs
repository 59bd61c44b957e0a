//! The admin API's request and response bodies (PascalCase, as the cmdlets' objects).

use super::Organization;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /admin/organization` (the operator credential).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewOrganizationRequest {
    pub name: String,
    pub domain_name: String,
    pub ews_url: String,
}

/// What creating the organization answers: the organization, its first auth certificate and
/// the organization admin credential (shown once).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewOrganizationResponse {
    #[serde(flatten)]
    pub organization: Organization,
    pub current_certificate_thumbprint: String,
    pub admin_credential: String,
}

/// `POST /admin/cmdlet`: a cmdlet and its parameters, as PowerShell binds them (JSON values:
/// text, `$true`, lists).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CmdletRequest {
    pub cmdlet: String,
    #[serde(default)]
    pub parameters: Map<String, Value>,
}

/// What a cmdlet call answers: its objects, or with -WhatIf what it would have done.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CmdletResponse<T> {
    pub output: Vec<T>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub what_if: Vec<String>,
}

/// `POST /admin/presence`: a user's presence, asked of the partner at `PartnerUrl`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PresenceRequest {
    pub identity: String,
    pub partner_url: String,
}

/// `GET /admin/handshakes`.
pub use store::HandshakePage as HandshakesResponse;
