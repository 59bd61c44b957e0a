//! The partner's operator API bodies: its users and its signing certificate.

use serde::{Deserialize, Serialize};

/// `POST /api/users`: a user the service knows, by SIP and SMTP address.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUser {
    pub sip: String,
    pub smtp: String,
    #[serde(
        default,
        rename = "display_name",
        alias = "displayName",
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
}

/// A user as stored and listed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PartnerUser {
    pub sip: String,
    pub smtp: String,
    pub display_name: String,
    /// Set by hand (`PUT /api/users/{user}/presence`); Available when never set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<String>,
}

/// `GET /api/users`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserList {
    pub users: Vec<PartnerUser>,
}

/// `GET /admin/signing-certificate[?which=next]`: the public certificate, never the key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SigningCertificate {
    /// current or next.
    pub which: String,
    /// DER in base64.
    pub certificate: String,
    pub thumbprint: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
}
