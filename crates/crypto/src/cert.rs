use crate::keys::RsaPublicKey;
use crate::{CryptoError, pem};
use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// Base64url without padding, as JWT segments and `x5t` use it.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url with or without padding; whitespace and standard-alphabet
/// characters are refused, because a JWT segment never contains them.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, bytes);
    d.as_ref().try_into().expect("SHA-256 is 32 bytes")
}

/// A parsed X.509 certificate, with the identifiers the S2S protocol uses.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    thumbprint: String,
    x5t: String,
    subject: String,
    issuer: String,
    serial: String,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    key_algorithm: String,
    key_bits: usize,
    /// Subject alternative names: DNS names, and IP addresses in their usual text form.
    alt_names: Vec<String>,
    public_key: Result<RsaPublicKey, CryptoError>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("thumbprint", &self.thumbprint)
            .finish()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Certificate {
    /// Parses a DER-encoded certificate. Trailing bytes are refused.
    pub fn from_der(der: &[u8]) -> Result<Self, CryptoError> {
        let (rest, x509) = X509Certificate::from_der(der)
            .map_err(|e| CryptoError::InvalidCertificate(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CryptoError::InvalidCertificate(format!(
                "{} trailing bytes",
                rest.len()
            )));
        }
        let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der);
        let spki = x509.public_key();
        let (key_algorithm, key_bits) = match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => ("RSA".to_string(), rsa.key_size()),
            Ok(PublicKey::EC(ec)) => ("EC".to_string(), ec.key_size()),
            Ok(_) => (spki.algorithm.algorithm.to_id_string(), 0),
            Err(e) => return Err(CryptoError::InvalidCertificate(format!("public key: {e}"))),
        };
        let public_key = if key_algorithm == "RSA" {
            RsaPublicKey::from_spki_der(spki.raw)
        } else {
            Err(CryptoError::NotRsa(key_algorithm.clone()))
        };
        let alt_names = x509
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| {
                san.value
                    .general_names
                    .iter()
                    .filter_map(|n| match n {
                        x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_string()),
                        x509_parser::extensions::GeneralName::IPAddress(ip) => match ip.len() {
                            4 => <[u8; 4]>::try_from(*ip)
                                .ok()
                                .map(|b| std::net::IpAddr::from(b).to_string()),
                            16 => <[u8; 16]>::try_from(*ip)
                                .ok()
                                .map(|b| std::net::IpAddr::from(b).to_string()),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Certificate {
            der: der.to_vec(),
            alt_names,
            thumbprint: hex::encode_upper(sha1.as_ref()),
            x5t: base64url(sha1.as_ref()),
            subject: x509.subject().to_string(),
            issuer: x509.issuer().to_string(),
            serial: hex::encode_upper(x509.raw_serial()),
            not_before: x509.validity().not_before.to_datetime(),
            not_after: x509.validity().not_after.to_datetime(),
            key_algorithm,
            key_bits,
            public_key,
        })
    }

    /// Parses the first CERTIFICATE block of PEM text.
    pub fn from_pem(text: &[u8]) -> Result<Self, CryptoError> {
        Self::from_der(&pem::find(text, &["CERTIFICATE"])?.der)
    }

    /// Parses a certificate file's content, DER or PEM, whichever it is.
    pub fn from_der_or_pem(data: &[u8]) -> Result<Self, CryptoError> {
        if pem::looks_like_pem(data) {
            Self::from_pem(data)
        } else {
            Self::from_der(data)
        }
    }

    /// Parses a base64 (standard alphabet) DER certificate, as metadata documents and Graph carry it.
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let der = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| CryptoError::InvalidCertificate(format!("bad base64: {e}")))?;
        Self::from_der(&der)
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }
    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.der)
    }
    /// Standard base64 of the DER bytes (metadata `keyvalue.value`, Graph `key`).
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.der)
    }
    /// SHA-1 of the DER as 40 uppercase hex digits, as Exchange prints a thumbprint.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }
    /// base64url(SHA-1(DER)) without padding: the JWT `x5t` header.
    pub fn x5t(&self) -> &str {
        &self.x5t
    }
    pub fn subject(&self) -> &str {
        &self.subject
    }
    /// The subject alternative names (DNS names and IP addresses).
    pub fn subject_alt_names(&self) -> &[String] {
        &self.alt_names
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    pub fn serial_number(&self) -> &str {
        &self.serial
    }
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
    pub fn key_algorithm(&self) -> &str {
        &self.key_algorithm
    }
    pub fn key_bits(&self) -> usize {
        self.key_bits
    }
    pub fn is_self_signed(&self) -> bool {
        self.subject == self.issuer
    }
    /// True when `at` lies inside the certificate's validity.
    pub fn is_valid_at(&self, at: OffsetDateTime) -> bool {
        self.not_before <= at && at <= self.not_after
    }
    /// The RS256 verification key, or why this certificate cannot verify S2S tokens
    /// (not RSA, or under 2048 bits).
    pub fn public_key(&self) -> Result<&RsaPublicKey, CryptoError> {
        self.public_key.as_ref().map_err(Clone::clone)
    }
}
