//! The development certificate authority under the data folder, so that every role serves
//! HTTPS without an admin making certificates by hand: `DIR/ca.pem` (give it to curl, MSAL,
//! exchangelib) and its key `DIR/ca-key.pem` (owner only), and for each role a server
//! certificate it issued for the role's host names, `DIR/<role>/tls.pem` (with the CA after
//! it) and `DIR/<role>/tls-key.pem`. Every `hybrid` process that uses the folder trusts the CA
//! besides the system's roots.

use crate::error::CliError;
use crate::paths::{DataDir, write_private};
use crypto::{Certificate, CertificateRequest, KeyPair, RsaPrivateKey};
use std::path::PathBuf;
use time::{Duration, OffsetDateTime};

pub const CA_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";
const BUNDLE_FILE: &str = "trust.pem";
/// Where the system's bundle was before a hybrid process pointed SSL_CERT_FILE at its own.
const SYSTEM_BUNDLE_VAR: &str = "HYBRID_SYSTEM_CERT_FILE";
/// How long a role's server certificate is valid, and how early it is issued again.
const SERVER_VALIDITY_DAYS: i64 = 397;
const RENEW_BEFORE_DAYS: i64 = 30;

fn refused(message: String) -> CliError {
    CliError::Refused {
        code: crate::error::Code::DevelopmentCaFailed,
        message,
    }
}

/// The CA, made on first use (ten years; a new one only if its files are gone or it expires).
pub fn ensure_ca(data: &DataDir) -> Result<KeyPair, CliError> {
    let (cert_path, key_path) = (data.root.join(CA_FILE), data.root.join(CA_KEY_FILE));
    if let (Ok(c), Ok(k)) = (std::fs::read(&cert_path), std::fs::read(&key_path)) {
        let certificate = Certificate::from_der_or_pem(&c)?;
        let key = RsaPrivateKey::from_der_or_pem(&k)?;
        let fresh = certificate.not_after() > OffsetDateTime::now_utc() + Duration::days(30);
        if key.matches(&certificate) && fresh {
            return Ok(KeyPair { certificate, key });
        }
    }
    let ca = CertificateRequest {
        common_name: format!(
            "Hybrid development CA ({})",
            data.root
                .canonicalize()
                .unwrap_or_else(|_| data.root.clone())
                .display()
        ),
        validity: Duration::days(3650),
        ..Default::default()
    }
    .certificate_authority()?;
    write_private(&key_path, &ca.key.to_pkcs8_pem())?;
    std::fs::write(&cert_path, ca.certificate.to_pem()).map_err(|e| CliError::io(&cert_path, e))?;
    tracing::info!("development CA created: {}", cert_path.display());
    Ok(ca)
}

/// The role's server certificate chain and key files, issued again when missing, near their
/// end, not from the current CA, or not naming every one of `names`.
pub fn ensure_server_certificate(
    data: &DataDir,
    role: &str,
    names: &[String],
) -> Result<(PathBuf, PathBuf), CliError> {
    let ca = ensure_ca(data)?;
    let dir = data.role(role);
    let (chain, key_path) = (dir.join("tls.pem"), dir.join("tls-key.pem"));
    if let (Ok(c), Ok(k)) = (std::fs::read(&chain), std::fs::read(&key_path))
        && let (Ok(cert), Ok(key)) = (
            Certificate::from_der_or_pem(&c),
            RsaPrivateKey::from_der_or_pem(&k),
        )
    {
        let covered = names
            .iter()
            .all(|n| cert.subject_alt_names().iter().any(|s| s == n));
        let renew_at = cert.not_after() - Duration::days(RENEW_BEFORE_DAYS);
        if key.matches(&cert)
            && covered
            && cert.issuer() == ca.certificate.subject()
            && OffsetDateTime::now_utc() < renew_at
        {
            return Ok((chain, key_path));
        }
    }
    let leaf = CertificateRequest {
        common_name: format!("hybrid {role}"),
        dns_names: names.to_vec(),
        validity: Duration::days(SERVER_VALIDITY_DAYS),
        ..Default::default()
    }
    .issued_by(&ca)?;
    write_private(&key_path, &leaf.key.to_pkcs8_pem())?;
    let pem = format!("{}{}", leaf.certificate.to_pem(), ca.certificate.to_pem());
    std::fs::write(&chain, pem).map_err(|e| CliError::io(&chain, e))?;
    Ok((chain, key_path))
}

/// The names a role's certificate carries: loopback by name and address, the address it
/// listens on when that is a specific one, and the host of its public URL.
pub fn server_names(listen: std::net::SocketAddr, public_url: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
    let mut add = |n: String| {
        if !n.is_empty() && !names.contains(&n) {
            names.push(n);
        }
    };
    if !listen.ip().is_unspecified() {
        add(listen.ip().to_string());
    }
    if let Some(u) = public_url {
        let authority = u
            .split("://")
            .nth(1)
            .unwrap_or(u)
            .split('/')
            .next()
            .unwrap_or("");
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or("").to_string(),
            None => authority.split(':').next().unwrap_or("").to_string(),
        };
        add(host.to_ascii_lowercase());
    }
    names
}

/// Makes this process trust the folder's CA besides the system's roots: writes
/// `DIR/trust.pem` (the system bundle, then the CA) and points `SSL_CERT_FILE` at it, which
/// the HTTP clients' root store reads. Nothing is done when the folder has no CA.
///
/// Must run before the process starts any thread: it changes the environment.
pub fn trust_in_this_process(data: &DataDir) -> Result<(), CliError> {
    let ca = data.root.join(CA_FILE);
    let Ok(ca_pem) = std::fs::read_to_string(&ca) else {
        return Ok(());
    };
    let bundle_path = data.root.join(BUNDLE_FILE);
    // The system's bundle: the one a parent hybrid process started from (its children inherit
    // SSL_CERT_FILE pointing at that parent's own bundle), else SSL_CERT_FILE, else the usual
    // places.
    let system_file = std::env::var_os(SYSTEM_BUNDLE_VAR)
        .or_else(|| std::env::var_os("SSL_CERT_FILE"))
        .map(PathBuf::from)
        .filter(|p| *p != bundle_path);
    let (system_path, system) = system_file
        .into_iter()
        .chain(
            [
                "/etc/ssl/certs/ca-certificates.crt",
                "/etc/pki/tls/certs/ca-bundle.crt",
                "/etc/ssl/cert.pem",
            ]
            .map(PathBuf::from),
        )
        .find_map(|p| std::fs::read_to_string(&p).ok().map(|text| (Some(p), text)))
        .unwrap_or_default();
    let bundle = format!("{system}\n{ca_pem}");
    if std::fs::read_to_string(&bundle_path).ok().as_deref() != Some(bundle.as_str()) {
        std::fs::write(&bundle_path, &bundle).map_err(|e| CliError::io(&bundle_path, e))?;
    }
    // SAFETY: called from `main` (or before a runtime is built), while this is the only thread.
    unsafe {
        if let Some(f) = &system_path {
            std::env::set_var(SYSTEM_BUNDLE_VAR, f);
        }
        std::env::set_var("SSL_CERT_FILE", &bundle_path);
    }
    Ok(())
}

/// An HTTP client that trusts the folder's CA (when it has one) besides the system's roots,
/// for a process that started threads before the CA existed (`hybrid demo`).
pub fn client(data: &DataDir) -> reqwest::blocking::Client {
    let mut b = reqwest::blocking::Client::builder().timeout(std::time::Duration::from_secs(60));
    if let Some(ca) = std::fs::read(data.root.join(CA_FILE))
        .ok()
        .and_then(|pem| reqwest::Certificate::from_pem(&pem).ok())
    {
        b = b.add_root_certificate(ca);
    }
    b.build().expect("an HTTP client builds")
}

/// Why a server certificate could not be made, for `serve`'s error.
pub fn explain(e: CliError) -> CliError {
    refused(format!(
        "the development CA could not issue a server certificate: {e}"
    ))
}
