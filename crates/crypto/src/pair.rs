//! A certificate with its private key, and the one stored form every role keeps it in: the
//! certificate as base64 DER and the key as base64 PKCS#8, read back with their match checked.

use crate::{Certificate, CryptoError, RsaPrivateKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

pub struct KeyPair {
    pub certificate: Certificate,
    pub key: RsaPrivateKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never appears in logs or debug output.
        f.debug_struct("KeyPair")
            .field("thumbprint", &self.certificate.thumbprint())
            .finish_non_exhaustive()
    }
}

/// The stored form: `certificate` (base64 DER) and `privateKey` (base64 PKCS#8).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredKeyPair {
    pub certificate: String,
    pub private_key: String,
}

impl KeyPair {
    /// A pair whose key is the certificate's.
    pub fn new(certificate: Certificate, key: RsaPrivateKey) -> Result<KeyPair, CryptoError> {
        if !key.matches(&certificate) {
            return Err(CryptoError::KeyMismatch);
        }
        Ok(KeyPair { certificate, key })
    }

    /// From base64 DER of the certificate and base64 PKCS#8 of the key.
    pub fn from_base64(certificate: &str, key: &str) -> Result<KeyPair, CryptoError> {
        let certificate = Certificate::from_base64(certificate)?;
        let der = Zeroizing::new(
            STANDARD
                .decode(key.trim())
                .map_err(|e| CryptoError::InvalidPrivateKey(format!("not base64: {e}")))?,
        );
        KeyPair::new(certificate, RsaPrivateKey::from_pkcs8_der(&der)?)
    }

    /// The key as base64 PKCS#8, for storage only.
    pub fn key_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.key.to_pkcs8_der().as_slice()))
    }

    pub fn to_stored(&self) -> StoredKeyPair {
        StoredKeyPair {
            certificate: self.certificate.to_base64(),
            private_key: self.key_base64().to_string(),
        }
    }

    pub fn from_stored(s: &StoredKeyPair) -> Result<KeyPair, CryptoError> {
        KeyPair::from_base64(&s.certificate, &s.private_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips_and_a_foreign_key_is_refused() {
        let a = crate::CertificateRequest::default().self_signed().unwrap();
        let b = crate::CertificateRequest::default().self_signed().unwrap();
        let back = KeyPair::from_stored(&a.to_stored()).unwrap();
        assert_eq!(back.certificate.thumbprint(), a.certificate.thumbprint());
        assert!(!format!("{back:?}").contains(&*a.key_base64()));
        let mixed = StoredKeyPair {
            certificate: a.certificate.to_base64(),
            private_key: b.key_base64().to_string(),
        };
        assert_eq!(
            KeyPair::from_stored(&mixed).unwrap_err().code(),
            "CryptoKeyMismatch"
        );
    }
}
