//! Certificates of the server's certificate store (LocalMachine\My). The certificate's DER and
//! private key are stored with it and never presented.

use super::{AdminObject, any_named};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertificateStatus {
    #[default]
    Valid,
    DateInvalid,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExchangeCertificate {
    pub thumbprint: String,
    pub subject: String,
    pub issuer: String,
    pub serial_number: String,
    pub not_before: String,
    pub not_after: String,
    pub friendly_name: String,
    pub has_private_key: bool,
    pub is_self_signed: bool,
    pub key_size: u32,
    pub services: String,
    pub status: CertificateStatus,
    /// The certificate, DER in base64.
    #[serde(rename = "_Der", skip_serializing_if = "String::is_empty")]
    pub der: String,
    /// The private key, PKCS#8 DER in base64.
    #[serde(rename = "_Key", skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl AdminObject for ExchangeCertificate {
    const KIND: &'static str = "ExchangeCertificate";

    fn name(&self) -> &str {
        &self.thumbprint
    }

    fn is_named(&self, identity: &str) -> bool {
        any_named(identity, &[&self.thumbprint])
    }

    fn presented(&self) -> Self {
        ExchangeCertificate {
            der: String::new(),
            key: None,
            ..self.clone()
        }
    }
}

/// Export-ExchangeCertificate's output: the certificate without its key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExportedCertificate {
    pub thumbprint: String,
    /// DER in base64.
    pub file_data: String,
    pub subject: String,
}
