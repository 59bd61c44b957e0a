//! The certificate store (LocalMachine\My): New-, Get-, Import- and Export-ExchangeCertificate.
//! Private keys stay on the server: exports carry the certificate only.

use crate::error::OnPremError;
use crate::model::{
    AdminObject, AuthConfig, CertificateStatus, CmdletObject, ExchangeCertificate,
    ExportedCertificate,
};
use crate::objects::*;
use crate::params::Params;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crypto::{Certificate, CertificateRequest, RsaPrivateKey};
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
) -> ExchangeCertificate {
    let status = if c.is_valid_at(time::OffsetDateTime::now_utc()) {
        CertificateStatus::Valid
    } else {
        CertificateStatus::DateInvalid
    };
    ExchangeCertificate {
        thumbprint: c.thumbprint().to_string(),
        subject: c.subject().to_string(),
        issuer: c.issuer().to_string(),
        serial_number: c.serial_number().to_string(),
        not_before: iso(c.not_before()),
        not_after: iso(c.not_after()),
        friendly_name: friendly.into(),
        has_private_key: key.is_some(),
        is_self_signed: c.is_self_signed(),
        key_size: c.key_bits() as u32,
        services: services.into(),
        status,
        der: c.to_base64(),
        key: key.map(|k| STANDARD.encode(k.to_pkcs8_der().as_slice())),
    }
}

/// The certificate and private key (if any) of a stored certificate.
pub fn load(v: &ExchangeCertificate) -> Result<(Certificate, Option<RsaPrivateKey>), OnPremError> {
    match &v.key {
        Some(k) => {
            let pair = crypto::KeyPair::from_base64(&v.der, k)
                .map_err(|e| OnPremError::Internal(format!("stored certificate and key: {e}")))?;
            Ok((pair.certificate, Some(pair.key)))
        }
        None => Ok((
            Certificate::from_base64(&v.der)
                .map_err(|e| OnPremError::Internal(format!("stored certificate: {e}")))?,
            None,
        )),
    }
}

pub async fn by_thumbprint(
    store: &Store,
    thumbprint: &str,
) -> Result<Stored<ExchangeCertificate>, OnPremError> {
    let t = thumbprint.trim().replace([' ', ':'], "");
    all::<ExchangeCertificate>(store)
        .await?
        .into_iter()
        .find(|o| o.value.thumbprint.eq_ignore_ascii_case(&t))
        .ok_or_else(|| {
            OnPremError::NotFound(format!(
                "{t} (no certificate with this thumbprint is in the certificate store)"
            ))
        })
}

pub async fn new_certificate(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
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
    Ok(vec![create(store, v).await?.value.presented().into()])
}

pub async fn get_certificate(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let id = p.string("Thumbprint")?.or(p.string("Identity")?);
    let found = match id {
        Some(t) => vec![by_thumbprint(store, &t).await?],
        None => all::<ExchangeCertificate>(store).await?,
    };
    Ok(found.iter().map(|o| o.value.presented().into()).collect())
}

/// Import-ExchangeCertificate -FileData <base64 of the file>: a DER or PEM certificate (with its
/// private key when the PEM carries one), or with -Password a PKCS#12 (.pfx) file.
pub async fn import_certificate(
    store: &Store,
    p: &Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let data = STANDARD.decode(p.required("FileData")?).map_err(|_| {
        OnPremError::InvalidArgument("FileData must be the file's bytes, base64-encoded.".into())
    })?;
    let (cert, key) = match p.string("Password")? {
        Some(password) => crypto::pkcs12::read(&data, &password).map_err(|e| {
            OnPremError::InvalidArgument(format!("The certificate file can't be read: {e}"))
        })?,
        None => pem_or_der(&data)?,
    };
    if all::<ExchangeCertificate>(store)
        .await?
        .iter()
        .any(|o| o.value.thumbprint == cert.thumbprint())
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
    Ok(vec![create(store, v).await?.value.presented().into()])
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
pub async fn export_certificate(
    store: &Store,
    p: &Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    if p.has("Password") {
        return Err(OnPremError::InvalidArgument(
            "Exporting a private key is not supported: the key stays on this server.".into(),
        ));
    }
    let obj = by_thumbprint(store, &p.required("Thumbprint")?).await?;
    let (cert, _) = load(&obj.value)?;
    Ok(vec![
        ExportedCertificate {
            thumbprint: cert.thumbprint().to_string(),
            file_data: cert.to_base64(),
            subject: cert.subject().to_string(),
        }
        .into(),
    ])
}

pub async fn remove_certificate(
    store: &Store,
    p: &Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let t = p
        .string("Thumbprint")?
        .or(p.string("Identity")?)
        .ok_or_else(|| OnPremError::MissingParameter("Thumbprint".into()))?;
    let obj = by_thumbprint(store, &t).await?;
    let cfg: AuthConfig = auth_config(store).await?.value;
    for (m, t) in cfg.thumbprints() {
        if t.eq_ignore_ascii_case(&obj.value.thumbprint) {
            return Err(OnPremError::InvalidArgument(format!(
                "The certificate is AuthConfig's {m}; change AuthConfig first."
            )));
        }
    }
    delete(store, &obj).await?;
    Ok(Vec::new())
}
