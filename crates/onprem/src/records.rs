//! Typed records of the directory objects the trust configuration is built from, read from
//! their stored JSON (the cmdlets' PascalCase property names). A property that is missing, null
//! or of another type reads as empty, as the cmdlets show it.

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};
use serde_json::Value;
use store::DirectoryObject;

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        _ => String::new(),
    })
}

fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Value::deserialize(d)?.as_bool().unwrap_or(false))
}

fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(a) => a
            .into_iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    })
}

/// Reads an object's data as `T`.
pub fn read<T: DeserializeOwned + Default>(obj: &DirectoryObject) -> T {
    serde_json::from_value(obj.data.clone()).unwrap_or_else(|e| {
        tracing::warn!(kind = %obj.kind, name = %obj.name, "stored object unreadable: {e}");
        T::default()
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AuthConfigRecord {
    #[serde(deserialize_with = "text")]
    pub service_name: String,
    #[serde(deserialize_with = "text")]
    pub realm: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AcceptedDomainRecord {
    #[serde(deserialize_with = "text")]
    pub domain_name: String,
    #[serde(deserialize_with = "flag")]
    pub default: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AuthServerRecord {
    #[serde(deserialize_with = "flag")]
    pub enabled: bool,
    /// MicrosoftACS, AzureAD or ADFS.
    #[serde(rename = "Type", deserialize_with = "text")]
    pub kind: String,
    #[serde(deserialize_with = "text")]
    pub realm: String,
    #[serde(deserialize_with = "text")]
    pub issuer_identifier: String,
    #[serde(deserialize_with = "texts")]
    pub certificate_strings: Vec<String>,
    #[serde(deserialize_with = "flag")]
    pub is_default_authorization_endpoint: bool,
    #[serde(deserialize_with = "text")]
    pub auth_metadata_url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PartnerApplicationRecord {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "text")]
    pub application_identifier: String,
    #[serde(deserialize_with = "text")]
    pub realm: String,
    #[serde(deserialize_with = "flag")]
    pub use_auth_server: bool,
    #[serde(deserialize_with = "flag")]
    pub enabled: bool,
    #[serde(deserialize_with = "flag")]
    pub accept_security_identifier_information: bool,
    #[serde(deserialize_with = "text")]
    pub issuer_identifier: String,
    #[serde(deserialize_with = "texts")]
    pub certificate_strings: Vec<String>,
    #[serde(deserialize_with = "text")]
    pub linked_account_guid: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RecipientRecord {
    #[serde(deserialize_with = "text")]
    pub guid: String,
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "text")]
    pub display_name: String,
    #[serde(deserialize_with = "text")]
    pub recipient_type: String,
    #[serde(deserialize_with = "text")]
    pub sid: String,
    #[serde(deserialize_with = "text")]
    pub user_principal_name: String,
    #[serde(deserialize_with = "text")]
    pub primary_smtp_address: String,
    #[serde(deserialize_with = "texts")]
    pub email_addresses: Vec<String>,
    #[serde(deserialize_with = "flag")]
    pub hidden_from_address_lists_enabled: bool,
    #[serde(deserialize_with = "flag")]
    pub account_disabled: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ManagementRoleRecord {
    #[serde(deserialize_with = "text")]
    pub name: String,
    #[serde(deserialize_with = "text")]
    pub role_type: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RoleAssignmentRecord {
    #[serde(deserialize_with = "flag")]
    pub enabled: bool,
    #[serde(deserialize_with = "text")]
    pub role: String,
    #[serde(deserialize_with = "text")]
    pub user_guid: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct OrganizationRecord {
    #[serde(deserialize_with = "text")]
    pub ews_url: String,
    #[serde(rename = "OAuth2ClientProfileEnabled", deserialize_with = "flag")]
    pub oauth2_client_profile_enabled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_null_and_mistyped_properties_read_as_empty() {
        let v = serde_json::json!({"Name": "SfBOnline", "Realm": null, "Enabled": "yes", "CertificateStrings": ["a", 1]});
        let p: PartnerApplicationRecord = serde_json::from_value(v).unwrap();
        assert_eq!(p.name, "SfBOnline");
        assert_eq!(p.realm, "");
        assert!(!p.enabled);
        assert_eq!(p.certificate_strings, vec!["a"]);
    }
}
