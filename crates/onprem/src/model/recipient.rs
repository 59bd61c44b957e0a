//! Recipients: mailboxes (users with a mailbox here) and mail users (users whose mail lives
//! elsewhere, such as an application account).

use super::{AdminObject, any_named};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecipientType {
    #[default]
    UserMailbox,
    MailUser,
}

impl RecipientType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientType::UserMailbox => "UserMailbox",
            RecipientType::MailUser => "MailUser",
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Recipient {
    pub name: String,
    pub alias: String,
    pub display_name: String,
    /// `contoso.com/Users/<name>`.
    pub identity: String,
    pub distinguished_name: String,
    pub guid: String,
    pub sid: String,
    pub recipient_type: RecipientType,
    pub recipient_type_details: RecipientType,
    pub hidden_from_address_lists_enabled: bool,
    pub when_created: String,
    pub user_principal_name: String,
    pub primary_smtp_address: String,
    /// Proxy addresses, `SMTP:` for the primary one, `smtp:` and `SIP:` for others.
    pub email_addresses: Vec<String>,
    /// A mail user's target address (`SMTP:…`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub external_email_address: String,
    /// A mailbox's own id (the store's mailbox).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub exchange_guid: String,
    /// A partner application's account (-ApplicationAccount), not a person.
    #[serde(skip_serializing_if = "is_false")]
    pub is_application_account: bool,
    /// A disabled account signs in nowhere, and its OAuth user tokens are refused.
    pub account_disabled: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub archive_guid: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub archive_name: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub archive_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regional_configuration: Option<RegionalSettings>,
}

/// A mailbox's language, formats and time zone (Set-MailboxRegionalConfiguration).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RegionalSettings {
    pub language: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    pub time_zone: Option<String>,
    pub default_folder_name_matching_user_language: bool,
}

impl Recipient {
    pub fn is_mailbox(&self) -> bool {
        self.recipient_type == RecipientType::UserMailbox
    }
}

impl AdminObject for Recipient {
    const KIND: &'static str = "Recipient";

    fn name(&self) -> &str {
        &self.name
    }

    /// Its name, identity, GUID, distinguished name, alias, UPN, primary address, or any
    /// proxy address (with or without its prefix).
    fn is_named(&self, identity: &str) -> bool {
        let id = identity.trim();
        any_named(
            id,
            &[
                &self.name,
                &self.identity,
                &self.guid,
                &self.distinguished_name,
                &self.alias,
                &self.user_principal_name,
                &self.primary_smtp_address,
            ],
        ) || self.email_addresses.iter().any(|p| {
            let addr = p.split_once(':').map(|(_, a)| a).unwrap_or(p);
            addr.eq_ignore_ascii_case(id) || p.eq_ignore_ascii_case(id)
        })
    }
}
