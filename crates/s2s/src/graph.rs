//! Graph's keyCredential resource: written by the directory, read by each role that checks
//! the keys a principal has (the partner its own, the CLI and doctor anyone's).

use serde::{Deserialize, Serialize};

/// A key credential exactly as Graph's keyCredential resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct KeyCredential {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_key_identifier: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub end_date_time: Option<String>,
    /// Base64 DER certificate. Returned only with `$select=keyCredentials` on one object.
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub start_date_time: Option<String>,
    #[serde(rename = "type", default)]
    pub key_type: Option<String>,
    #[serde(default)]
    pub usage: Option<String>,
}

impl KeyCredential {
    /// A certificate (base64 DER) to verify the principal's signatures with.
    pub fn verify(certificate: &str, display_name: Option<&str>) -> KeyCredential {
        KeyCredential {
            key: Some(certificate.to_string()),
            key_type: Some("AsymmetricX509Cert".into()),
            usage: Some("Verify".into()),
            display_name: display_name.map(str::to_string),
            ..Default::default()
        }
    }
}

impl KeyCredential {
    /// An X.509 certificate to verify signatures with.
    pub fn is_verify_certificate(&self) -> bool {
        self.usage.as_deref() == Some("Verify")
            && self.key_type.as_deref() == Some("AsymmetricX509Cert")
    }

    /// Whether `now` (Unix seconds) is within its dates; a date not given does not limit.
    pub fn is_valid_at(&self, now: i64) -> bool {
        let at = |t: &Option<String>| {
            t.as_deref().and_then(|v| {
                time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                    .ok()
                    .map(|d| d.unix_timestamp())
            })
        };
        at(&self.start_date_time).unwrap_or(i64::MIN) <= now
            && now <= at(&self.end_date_time).unwrap_or(i64::MAX)
    }
}

/// A principal read with `$select=keyCredentials`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SelectedKeyCredentials {
    pub key_credentials: Vec<KeyCredential>,
}
