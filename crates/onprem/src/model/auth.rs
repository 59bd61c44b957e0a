//! The OAuth configuration: AuthConfig (the organization's own token signing), AuthServers
//! (token issuers it trusts) and PartnerApplications (applications whose tokens it takes).

use super::{AdminObject, any_named, unix_times};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AuthConfig {
    pub name: String,
    /// Exchange's application id, the first part of the organization's issuer.
    pub service_name: String,
    pub realm: String,
    pub current_certificate_thumbprint: String,
    pub previous_certificate_thumbprint: String,
    pub next_certificate_thumbprint: String,
    pub next_certificate_effective_date: Option<String>,
}

impl AuthConfig {
    /// The thumbprints the organization's metadata document publishes, each with its member's
    /// name: current, next, previous.
    pub fn thumbprints(&self) -> [(&'static str, &str); 3] {
        [
            (
                "CurrentCertificateThumbprint",
                &self.current_certificate_thumbprint,
            ),
            (
                "NextCertificateThumbprint",
                &self.next_certificate_thumbprint,
            ),
            (
                "PreviousCertificateThumbprint",
                &self.previous_certificate_thumbprint,
            ),
        ]
    }
}

impl AdminObject for AuthConfig {
    const KIND: &'static str = "AuthConfig";

    fn name(&self) -> &str {
        &self.name
    }

    fn is_named(&self, identity: &str) -> bool {
        any_named(identity, &[&self.name])
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthServerType {
    #[default]
    MicrosoftACS,
    AzureAD,
    ADFS,
}

impl AuthServerType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthServerType::MicrosoftACS => "MicrosoftACS",
            AuthServerType::AzureAD => "AzureAD",
            AuthServerType::ADFS => "ADFS",
        }
    }

    /// New-AuthServer's -Type, in any case.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::MicrosoftACS, Self::AzureAD, Self::ADFS]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AuthServer {
    pub name: String,
    pub identity: String,
    pub guid: String,
    pub issuer_identifier: String,
    /// The tenant id.
    pub realm: String,
    pub token_issuing_endpoint: String,
    pub authorization_endpoint: String,
    /// The dedicated Exchange hybrid application's appId.
    pub application_identifier: String,
    /// The tenant's domains the dedicated application serves.
    pub domain_name: Vec<String>,
    pub auth_metadata_url: String,
    /// The issuer's signing certificates, DER in base64.
    pub certificate_strings: Vec<String>,
    #[serde(rename = "Type")]
    pub kind: AuthServerType,
    pub enabled: bool,
    pub is_default_authorization_endpoint: bool,
    #[serde(rename = "TrustAnySSLCertificate")]
    pub trust_any_ssl_certificate: bool,
    pub metadata_refreshed_at: String,
    /// The last three successful metadata fetches (Unix seconds): a signature failure may
    /// fetch again only when there were fewer today.
    #[serde(with = "unix_times")]
    pub metadata_fetches: Vec<i64>,
}

impl AdminObject for AuthServer {
    const KIND: &'static str = "AuthServer";

    fn name(&self) -> &str {
        &self.name
    }

    fn is_named(&self, identity: &str) -> bool {
        any_named(identity, &[&self.name, &self.identity, &self.guid])
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PartnerApplication {
    pub name: String,
    pub identity: String,
    pub guid: String,
    pub application_identifier: String,
    pub realm: String,
    /// Trusted through the AuthServer (ACS) rather than its own metadata document.
    pub use_auth_server: bool,
    pub enabled: bool,
    pub accept_security_identifier_information: bool,
    pub account_type: String,
    pub linked_account: String,
    pub linked_account_guid: String,
    pub auth_metadata_url: String,
    pub issuer_identifier: String,
    pub certificate_strings: Vec<String>,
    #[serde(rename = "TrustAnySSLCertificate")]
    pub trust_any_ssl_certificate: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub metadata_refreshed_at: String,
    #[serde(with = "unix_times", skip_serializing_if = "Vec::is_empty")]
    pub metadata_fetches: Vec<i64>,
}

impl AdminObject for PartnerApplication {
    const KIND: &'static str = "PartnerApplication";

    fn name(&self) -> &str {
        &self.name
    }

    fn is_named(&self, identity: &str) -> bool {
        any_named(identity, &[&self.name, &self.identity, &self.guid])
    }
}

/// Test-OAuthConnectivity's output, shared with the partner's run of it.
pub use s2s::connectivity::ValidationResult;
