//! PKCS#12 (.pfx) files, as Import-ExchangeCertificate reads them: the certificate and its
//! private key.

use crate::{Certificate, CryptoError, RsaPrivateKey};
use p12_keystore::{KeyStore, KeyStoreEntry};

/// The first certificate with a private key in the file, or else the first certificate.
pub fn read(
    data: &[u8],
    password: &str,
) -> Result<(Certificate, Option<RsaPrivateKey>), CryptoError> {
    let store = KeyStore::from_pkcs12(data, password).map_err(|e| {
        CryptoError::InvalidCertificate(format!("PKCS#12: {e:?} (is the password right?)"))
    })?;
    let mut bare = None;
    for (_, entry) in store.entries() {
        match entry {
            KeyStoreEntry::PrivateKeyChain(chain) => {
                let leaf = chain.chain().first().ok_or_else(|| {
                    CryptoError::InvalidCertificate("PKCS#12: a key without a certificate".into())
                })?;
                let cert = Certificate::from_der(leaf.as_der())?;
                let key =
                    RsaPrivateKey::from_pkcs8_der(&zeroize::Zeroizing::new(chain.key().to_vec()))?;
                if !key.matches(&cert) {
                    return Err(CryptoError::InvalidPrivateKey(
                        "PKCS#12: the key is not the certificate's".into(),
                    ));
                }
                return Ok((cert, Some(key)));
            }
            KeyStoreEntry::Certificate(c) if bare.is_none() => {
                bare = Some(Certificate::from_der(c.as_der())?)
            }
            _ => {}
        }
    }
    bare.map(|c| (c, None)).ok_or_else(|| {
        CryptoError::InvalidCertificate("PKCS#12: no certificate in the file".into())
    })
}
