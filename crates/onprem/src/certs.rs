//! The certificate store (LocalMachine\My): New-, Get-, Import- and Export-ExchangeCertificate.
//! Private keys stay on the server: exports carry the certificate only.

use crate::error::OnPremError;
use crate::objects::*;
use crate::params::Params;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crypto::{Certificate, CertificateRequest, RsaPrivateKey};
use serde_json::{Value, json};
use store::Store;
use time::format_description::well_known::Rfc3339;

fn iso(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

pub fn certificate_object(
    c: &Certificate,
    key: Option<&RsaPrivateKey>,
    friendly: &str,
    services: &str,
) -> Value {
    let now = time::OffsetDateTime::now_utc();
    let status = if c.is_valid_at(now) {
        "Valid"
    } else {
        "DateInvalid"
    };
    let mut v = object(&[
        ("Thumbprint", json!(c.thumbprint())),
        ("Subject", json!(c.subject())),
        ("Issuer", json!(c.issuer())),
        ("SerialNumber", json!(c.serial_number())),
        ("NotBefore", json!(iso(c.not_before()))),
        ("NotAfter", json!(iso(c.not_after()))),
        ("FriendlyName", json!(friendly)),
        ("HasPrivateKey", json!(key.is_some())),
        ("IsSelfSigned", json!(c.is_self_signed())),
        ("KeySize", json!(c.key_bits())),
        ("Services", json!(services)),
        ("Status", json!(status)),
        ("_Der", json!(c.to_base64())),
    ]);
    if let Some(k) = key {
        set(
            &mut v,
            "_Key",
            json!(STANDARD.encode(k.to_pkcs8_der().as_slice())),
        );
    }
    v
}

/// The certificate and private key (if any) of a stored certificate object.
pub fn load(v: &Value) -> Result<(Certificate, Option<RsaPrivateKey>), OnPremError> {
    match v.get("_Key").and_then(Value::as_str) {
        Some(k) => {
            let pair = crypto::KeyPair::from_base64(text(v, "_Der"), k)
                .map_err(|e| OnPremError::Internal(format!("stored certificate and key: {e}")))?;
            Ok((pair.certificate, Some(pair.key)))
        }
        None => Ok((
            Certificate::from_base64(text(v, "_Der"))
                .map_err(|e| OnPremError::Internal(format!("stored certificate: {e}")))?,
            None,
        )),
    }
}

pub async fn by_thumbprint(
    store: &Store,
    thumbprint: &str,
) -> Result<store::DirectoryObject, OnPremError> {
    let t = thumbprint.trim().replace([' ', ':'], "");
    all(store, CERTIFICATE)
        .await?
        .into_iter()
        .find(|o| text(&o.data, "Thumbprint").eq_ignore_ascii_case(&t))
        .ok_or_else(|| {
            OnPremError::NotFound(format!(
                "{t} (no certificate with this thumbprint is in the certificate store)"
            ))
        })
}

pub async fn new_certificate(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&[
        "SubjectName",
        "FriendlyName",
        "KeySize",
        "DomainName",
        "Services",
        "PrivateKeyExportable",
        "ValidityDays",
    ])?;
    let subject = p
        .string("SubjectName")?
        .unwrap_or_else(|| "CN=Microsoft Exchange Server Auth Certificate".into());
    let cn = subject
        .strip_prefix("CN=")
        .or_else(|| subject.strip_prefix("cn="))
        .unwrap_or(&subject)
        .to_string();
    let key_bits = match p.string("KeySize")? {
        Some(k) => k
            .parse()
            .map_err(|_| OnPremError::InvalidArgument(format!("KeySize '{k}' is not a number.")))?,
        None => 2048,
    };
    let days: i64 = match p.string("ValidityDays")? {
        Some(d) => d.parse().map_err(|_| {
            OnPremError::InvalidArgument(format!("ValidityDays '{d}' is not a number."))
        })?,
        None => 5 * 365 + 1,
    };
    if days <= 0 {
        return Err(OnPremError::InvalidArgument(
            "ValidityDays must be positive.".into(),
        ));
    }
    let made = CertificateRequest {
        common_name: cn.clone(),
        key_bits,
        validity: time::Duration::days(days),
        dns_names: p.strings("DomainName")?.unwrap_or_default(),
        ..Default::default()
    }
    .self_signed()
    .map_err(|e| OnPremError::InvalidArgument(e.to_string()))?;
    let friendly = p.string("FriendlyName")?.unwrap_or(cn);
    let services = p.string("Services")?.unwrap_or_else(|| "None".into());
    let v = certificate_object(&made.certificate, Some(&made.key), &friendly, &services);
    let obj = store
        .directory()
        .create(new_object(CERTIFICATE, made.certificate.thumbprint(), v))
        .await?;
    Ok(vec![present(&obj)])
}

pub async fn get_certificate(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Thumbprint", "Identity"])?;
    let id = p.string("Thumbprint")?.or(p.string("Identity")?);
    match id {
        Some(t) => Ok(vec![present(&by_thumbprint(store, &t).await?)]),
        None => Ok(all(store, CERTIFICATE).await?.iter().map(present).collect()),
    }
}

/// Import-ExchangeCertificate -FileData <base64 of the file>: a DER or PEM certificate (with its
/// private key when the PEM carries one), or with -Password a PKCS#12 (.pfx) file.
pub async fn import_certificate(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&[
        "FileData",
        "FriendlyName",
        "Password",
        "PrivateKeyExportable",
    ])?;
    let data = STANDARD.decode(p.required("FileData")?).map_err(|_| {
        OnPremError::InvalidArgument("FileData must be the file's bytes, base64-encoded.".into())
    })?;
    let (cert, key) = match p.string("Password")? {
        Some(password) => crypto::pkcs12::read(&data, &password).map_err(|e| {
            OnPremError::InvalidArgument(format!("The certificate file can't be read: {e}"))
        })?,
        None => pem_or_der(&data)?,
    };
    if all(store, CERTIFICATE)
        .await?
        .iter()
        .any(|o| text(&o.data, "Thumbprint") == cert.thumbprint())
    {
        return Err(OnPremError::AlreadyExists(format!(
            "The certificate with thumbprint {} already exists.",
            cert.thumbprint()
        )));
    }
    let friendly = p
        .string("FriendlyName")?
        .unwrap_or_else(|| cert.subject().trim_start_matches("CN=").to_string());
    let v = certificate_object(&cert, key.as_ref(), &friendly, "None");
    let obj = store
        .directory()
        .create(new_object(CERTIFICATE, cert.thumbprint(), v))
        .await?;
    Ok(vec![present(&obj)])
}

/// A DER or PEM certificate, with its private key when the PEM carries one.
fn pem_or_der(data: &[u8]) -> Result<(Certificate, Option<RsaPrivateKey>), OnPremError> {
    let cert = Certificate::from_der_or_pem(data)
        .map_err(|e| OnPremError::InvalidArgument(format!("The certificate can't be read: {e}")))?;
    let key = if crypto::pem::looks_like_pem(data)
        && crypto::pem::find(data, &["PRIVATE KEY", "RSA PRIVATE KEY"]).is_ok()
    {
        let k = RsaPrivateKey::from_pem(data).map_err(|e| {
            OnPremError::InvalidArgument(format!("The private key can't be read: {e}"))
        })?;
        if !k.matches(&cert) {
            return Err(OnPremError::InvalidArgument(
                "The private key in the file is not the certificate's.".into(),
            ));
        }
        Some(k)
    } else {
        None
    };
    Ok((cert, key))
}

/// Export-ExchangeCertificate -Thumbprint X [-BinaryEncoded]: the DER certificate, no private
/// key, as `FileData` (base64).
pub async fn export_certificate(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Thumbprint", "BinaryEncoded", "FileName", "Password"])?;
    if p.has("Password") {
        return Err(OnPremError::InvalidArgument(
            "Exporting a private key is not supported: the key stays on this server.".into(),
        ));
    }
    let obj = by_thumbprint(store, &p.required("Thumbprint")?).await?;
    let (cert, _) = load(&obj.data)?;
    Ok(vec![
        json!({ "Thumbprint": cert.thumbprint(), "FileData": cert.to_base64(), "Subject": cert.subject() }),
    ])
}

pub async fn remove_certificate(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Thumbprint", "Identity"])?;
    let t = p
        .string("Thumbprint")?
        .or(p.string("Identity")?)
        .ok_or_else(|| OnPremError::MissingParameter("Thumbprint".into()))?;
    let obj = by_thumbprint(store, &t).await?;
    let cfg = crate::objects::auth_config(store).await?;
    for m in [
        "CurrentCertificateThumbprint",
        "NextCertificateThumbprint",
        "PreviousCertificateThumbprint",
    ] {
        if text(&cfg.data, m).eq_ignore_ascii_case(text(&obj.data, "Thumbprint")) {
            return Err(OnPremError::InvalidArgument(format!(
                "The certificate is AuthConfig's {m}; change AuthConfig first."
            )));
        }
    }
    store.directory().delete(&obj).await?;
    Ok(Vec::new())
}
