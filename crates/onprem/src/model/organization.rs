//! The organization (what Exchange Setup creates, and Get-/Set-OrganizationConfig) and its
//! accepted domains.

use super::{AdminObject, any_named};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Organization {
    pub name: String,
    pub guid: String,
    pub default_domain: String,
    pub ews_url: String,
    /// The domain's SID; users' SIDs are made under it.
    pub domain_sid: String,
    /// Whether EWS and Autodiscover take users' OAuth tokens (Hybrid Modern Authentication).
    #[serde(rename = "OAuth2ClientProfileEnabled")]
    pub oauth2_client_profile_enabled: bool,
    pub when_created: String,
}

impl AdminObject for Organization {
    const KIND: &'static str = "Organization";

    fn name(&self) -> &str {
        &self.name
    }

    fn is_named(&self, identity: &str) -> bool {
        any_named(identity, &[&self.name, &self.guid])
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AcceptedDomain {
    pub name: String,
    pub domain_name: String,
    /// Authoritative: the organization's own mailboxes receive its mail.
    pub domain_type: String,
    pub default: bool,
    pub guid: String,
}

impl AdminObject for AcceptedDomain {
    const KIND: &'static str = "AcceptedDomain";

    fn name(&self) -> &str {
        &self.name
    }

    fn is_named(&self, identity: &str) -> bool {
        any_named(identity, &[&self.name, &self.domain_name, &self.guid])
    }
}
