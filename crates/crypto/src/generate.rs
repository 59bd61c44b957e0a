use crate::{Certificate, CryptoError, RsaPrivateKey};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyUsagePurpose, RsaKeySize, SerialNumber,
};
use time::{Duration, OffsetDateTime};

/// The subject Exchange Setup gives its OAuth signing certificate.
pub const AUTH_CERTIFICATE_SUBJECT: &str = "Microsoft Exchange Server Auth Certificate";

/// What to put in a new self-signed certificate.
#[derive(Debug, Clone)]
pub struct CertificateRequest {
    /// The subject common name.
    pub common_name: String,
    /// 2048 (default), 3072 or 4096.
    pub key_bits: usize,
    /// Start of validity; the default is now, to the second.
    pub not_before: OffsetDateTime,
    /// Length of validity; the default is five years, as Exchange Setup does.
    pub validity: Duration,
    /// Subject alternative names, if any: DNS names, or IP addresses written as such.
    pub dns_names: Vec<String>,
}

impl Default for CertificateRequest {
    fn default() -> Self {
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("0 is a valid nanosecond");
        CertificateRequest {
            common_name: AUTH_CERTIFICATE_SUBJECT.to_string(),
            key_bits: 2048,
            not_before: now,
            validity: Duration::days(5 * 365 + 1),
            dns_names: Vec::new(),
        }
    }
}

impl CertificateRequest {
    /// Generates an RSA key and a self-signed certificate for it.
    pub fn self_signed(&self) -> Result<crate::KeyPair, CryptoError> {
        let (params, key_pair) = (self.params()?, self.key_pair()?);
        let cert = params.self_signed(&key_pair).map_err(gen_err)?;
        finish(cert.der(), &key_pair)
    }

    /// A self-signed certificate authority: basic constraints CA (no path length limit),
    /// keyCertSign and cRLSign, and no extended key usage.
    pub fn certificate_authority(&self) -> Result<crate::KeyPair, CryptoError> {
        let key_pair = self.key_pair()?;
        let mut params = self.params()?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.extended_key_usages = Vec::new();
        let cert = params.self_signed(&key_pair).map_err(gen_err)?;
        finish(cert.der(), &key_pair)
    }

    /// A TLS server certificate for the subject alternative names, issued by `ca` (its
    /// certificate and key, from [`CertificateRequest::certificate_authority`]).
    pub fn issued_by(&self, ca: &crate::KeyPair) -> Result<crate::KeyPair, CryptoError> {
        let key_pair = self.key_pair()?;
        let params = self.params()?;
        let ca_der = ca.key.to_pkcs8_der().to_vec();
        let ca_key =
            rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&ca_der.into(), &rcgen::PKCS_RSA_SHA256)
                .map_err(gen_err)?;
        let issuer = Issuer::from_ca_cert_pem(&ca.certificate.to_pem(), ca_key).map_err(gen_err)?;
        let cert = params.signed_by(&key_pair, &issuer).map_err(gen_err)?;
        finish(cert.der(), &key_pair)
    }

    fn key_pair(&self) -> Result<rcgen::KeyPair, CryptoError> {
        let size = match self.key_bits {
            b if b < crate::MIN_RSA_BITS => {
                return Err(CryptoError::KeyTooSmall {
                    bits: b,
                    min: crate::MIN_RSA_BITS,
                });
            }
            2048 => RsaKeySize::_2048,
            3072 => RsaKeySize::_3072,
            4096 => RsaKeySize::_4096,
            other => return Err(CryptoError::UnsupportedKeySize(other)),
        };
        if self.validity <= Duration::ZERO {
            return Err(CryptoError::InvalidValidity(
                "validity must be positive".into(),
            ));
        }
        rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size).map_err(gen_err)
    }

    fn params(&self) -> Result<CertificateParams, CryptoError> {
        let mut params = CertificateParams::new(self.dns_names.clone())
            .map_err(|e| CryptoError::Generation(e.to_string()))?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, self.common_name.as_str());
        params.distinguished_name = dn;
        params.not_before = self.not_before;
        params.not_after = self.not_before + self.validity;
        let mut serial = [0u8; 16];
        aws_lc_rs::rand::fill(&mut serial)
            .map_err(|_| CryptoError::Generation("no randomness".into()))?;
        serial[0] &= 0x7f; // a positive INTEGER
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        Ok(params)
    }
}

fn gen_err(e: rcgen::Error) -> CryptoError {
    CryptoError::Generation(e.to_string())
}

fn finish(der: &[u8], key_pair: &rcgen::KeyPair) -> Result<crate::KeyPair, CryptoError> {
    let key = RsaPrivateKey::from_pkcs8_der(&zeroize::Zeroizing::new(key_pair.serialize_der()))?;
    let certificate = Certificate::from_der(der)?;
    Ok(crate::KeyPair { certificate, key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_certificate_defaults_and_signing() {
        let made = CertificateRequest::default().self_signed().unwrap();
        let cert = &made.certificate;
        assert_eq!(cert.subject(), format!("CN={AUTH_CERTIFICATE_SUBJECT}"));
        assert!(cert.is_self_signed());
        assert_eq!(cert.key_bits(), 2048);
        assert_eq!(cert.thumbprint().len(), 40);
        assert!(
            cert.thumbprint()
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        let years = (cert.not_after() - cert.not_before()).whole_days() / 365;
        assert_eq!(years, 5);
        assert!(made.key.matches(cert));
        let sig = made.key.sign_rs256(b"message");
        assert_eq!(
            sig,
            made.key.sign_rs256(b"message"),
            "PKCS#1 v1.5 is deterministic"
        );
        cert.public_key()
            .unwrap()
            .verify_rs256(b"message", &sig)
            .unwrap();
        assert_eq!(
            cert.public_key().unwrap().verify_rs256(b"messagf", &sig),
            Err(CryptoError::BadSignature)
        );
    }

    #[test]
    fn a_certificate_authority_issues_server_certificates() {
        let ca = CertificateRequest {
            common_name: "Hybrid development CA".into(),
            ..Default::default()
        }
        .certificate_authority()
        .unwrap();
        assert!(ca.certificate.is_self_signed());
        let leaf = CertificateRequest {
            common_name: "onprem".into(),
            dns_names: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            validity: Duration::days(90),
            ..Default::default()
        }
        .issued_by(&ca)
        .unwrap();
        assert!(!leaf.certificate.is_self_signed());
        assert_eq!(leaf.certificate.issuer(), ca.certificate.subject());
        assert!(leaf.key.matches(&leaf.certificate));
        let (_, parsed) = x509_parser::parse_x509_certificate(leaf.certificate.der()).unwrap();
        let (_, parsed_ca) = x509_parser::parse_x509_certificate(ca.certificate.der()).unwrap();
        assert!(
            parsed
                .verify_signature(Some(parsed_ca.public_key()))
                .is_ok(),
            "the CA's key signs the leaf"
        );
        let san = parsed.subject_alternative_name().unwrap().unwrap();
        let names = format!("{:?}", san.value.general_names);
        assert!(
            names.contains("localhost") && names.contains("IPAddress"),
            "{names}"
        );
    }

    #[test]
    fn key_sizes() {
        let small = CertificateRequest {
            key_bits: 1024,
            ..Default::default()
        };
        assert_eq!(small.self_signed().unwrap_err().code(), "CryptoKeyTooSmall");
        let odd = CertificateRequest {
            key_bits: 2500,
            ..Default::default()
        };
        assert_eq!(
            odd.self_signed().unwrap_err().code(),
            "CryptoUnsupportedKeySize"
        );
        let big = CertificateRequest {
            key_bits: 3072,
            ..Default::default()
        };
        assert_eq!(big.self_signed().unwrap().certificate.key_bits(), 3072);
    }

    #[test]
    fn pem_and_der_round_trip() {
        let made = CertificateRequest {
            common_name: "t".into(),
            ..Default::default()
        }
        .self_signed()
        .unwrap();
        let pem = made.certificate.to_pem();
        let again = Certificate::from_der_or_pem(pem.as_bytes()).unwrap();
        assert_eq!(again, made.certificate);
        assert_eq!(
            Certificate::from_der_or_pem(made.certificate.der()).unwrap(),
            made.certificate
        );
        assert_eq!(
            Certificate::from_base64(&made.certificate.to_base64()).unwrap(),
            made.certificate
        );
        let key = RsaPrivateKey::from_der_or_pem(made.key.to_pkcs8_pem().as_bytes()).unwrap();
        assert!(key.matches(&made.certificate));
        let key = RsaPrivateKey::from_der_or_pem(&made.key.to_pkcs8_der()).unwrap();
        assert!(key.matches(&made.certificate));
        assert!(!format!("{key:?}").contains("MII"));
    }

    #[test]
    fn garbage_is_refused_with_codes() {
        assert_eq!(
            Certificate::from_der(b"\x30\x03abc").unwrap_err().code(),
            "CryptoInvalidCertificate"
        );
        assert_eq!(
            RsaPrivateKey::from_pkcs8_der(b"nope").unwrap_err().code(),
            "CryptoInvalidPrivateKey"
        );
        let mut der = CertificateRequest::default()
            .self_signed()
            .unwrap()
            .certificate
            .der()
            .to_vec();
        der.push(0);
        assert!(Certificate::from_der(&der).is_err(), "trailing bytes");
    }

    #[test]
    fn validity_must_be_positive() {
        let req = CertificateRequest {
            validity: Duration::ZERO,
            ..Default::default()
        };
        assert_eq!(
            req.self_signed().unwrap_err().code(),
            "CryptoInvalidValidity"
        );
    }
}
