//! Serving a role over TLS (rustls): the certificate chain and key from PEM files.

use crate::error::CliError;
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

fn refused(m: String) -> CliError {
    CliError::Refused {
        code: crate::error::Code::TlsConfigInvalid,
        message: m,
    }
}

/// A TLS acceptor for the PEM certificate chain in `cert` and the PKCS#8 key in `key`.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, CliError> {
    let cert_pem = std::fs::read(cert).map_err(|e| CliError::io(cert, e))?;
    let chain: Vec<CertificateDer<'static>> = crypto::pem::parse_all(&cert_pem)?
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| CertificateDer::from(b.der))
        .collect();
    if chain.is_empty() {
        return Err(refused(format!(
            "{} has no CERTIFICATE block",
            cert.display()
        )));
    }
    let key_pem = std::fs::read(key).map_err(|e| CliError::io(key, e))?;
    let parsed = crypto::RsaPrivateKey::from_der_or_pem(&key_pem)?;
    let leaf = crypto::Certificate::from_der(&chain[0])?;
    if !parsed.matches(&leaf) {
        return Err(refused(format!(
            "{} is not the key of {}",
            key.display(),
            cert.display()
        )));
    }
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(parsed.to_pkcs8_der().to_vec()));
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, der)
        .map_err(|e| refused(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
