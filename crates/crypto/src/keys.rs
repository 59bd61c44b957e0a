use crate::{CryptoError, pem};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;
use zeroize::Zeroizing;

/// The smallest RSA key accepted for signing or verifying S2S tokens.
pub const MIN_RSA_BITS: usize = 2048;

/// An RSA public key, parsed once and kept ready for RS256 verification.
#[derive(Clone)]
pub struct RsaPublicKey {
    parsed: ParsedPublicKey,
    /// PKCS#1 RSAPublicKey DER: the modulus and exponent, comparable across encodings.
    pkcs1: Vec<u8>,
    bits: usize,
    /// Modulus and public exponent, big-endian without leading zeros (a JWK's `n` and `e`).
    n: Vec<u8>,
    e: Vec<u8>,
}

impl std::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaPublicKey({} bits)", self.bits)
    }
}

impl PartialEq for RsaPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.pkcs1 == other.pkcs1
    }
}

impl RsaPublicKey {
    /// Reads a DER SubjectPublicKeyInfo holding an RSA key of at least 2048 bits.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, CryptoError> {
        let bad = |e: String| CryptoError::InvalidCertificate(format!("RSA public key: {e}"));
        let (_, spki) = SubjectPublicKeyInfo::from_der(der).map_err(|e| bad(e.to_string()))?;
        let strip = |b: &[u8]| {
            let start = b.iter().position(|x| *x != 0).unwrap_or(b.len());
            b[start..].to_vec()
        };
        let (bits, n, e) = match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => (rsa.key_size(), strip(rsa.modulus), strip(rsa.exponent)),
            Ok(_) => return Err(CryptoError::NotRsa(spki.algorithm.algorithm.to_id_string())),
            Err(e) => return Err(bad(e.to_string())),
        };
        if bits < MIN_RSA_BITS {
            return Err(CryptoError::KeyTooSmall {
                bits,
                min: MIN_RSA_BITS,
            });
        }
        let pkcs1 = spki.subject_public_key.data.to_vec();
        let parsed = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
            .map_err(|e| CryptoError::InvalidCertificate(format!("RSA public key: {e}")))?;
        Ok(RsaPublicKey {
            parsed,
            pkcs1,
            bits,
            n,
            e,
        })
    }

    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The modulus and public exponent, big-endian (a JWK's `n` and `e` before base64url).
    pub fn modulus_and_exponent(&self) -> (&[u8], &[u8]) {
        (&self.n, &self.e)
    }

    /// Verifies an RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature.
    pub fn verify_rs256(&self, message: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        self.parsed
            .verify_sig(message, sig)
            .map_err(|_| CryptoError::BadSignature)
    }

    /// Verifies a PS256 (RSASSA-PSS with SHA-256, MGF1-SHA-256) signature: what MSAL signs
    /// client assertions with by default.
    pub fn verify_ps256(&self, message: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        signature::UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, &self.pkcs1)
            .verify(message, sig)
            .map_err(|_| CryptoError::BadSignature)
    }
}

fn key_rejected(e: aws_lc_rs::error::KeyRejected) -> CryptoError {
    if e.description_() == "TooSmall" {
        CryptoError::KeyTooSmall {
            bits: 0,
            min: MIN_RSA_BITS,
        }
    } else {
        CryptoError::InvalidPrivateKey(e.to_string())
    }
}

/// An RSA private key kept loaded for signing. Its bytes never appear in `Debug` output.
pub struct RsaPrivateKey {
    pair: KeyPair,
    pkcs8: Zeroizing<Vec<u8>>,
    public: RsaPublicKey,
}

impl std::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaPrivateKey({} bits, redacted)", self.public.bits)
    }
}

impl RsaPrivateKey {
    /// Reads a PKCS#8 PrivateKeyInfo (DER). Keys under 2048 bits are refused.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, CryptoError> {
        let pair = KeyPair::from_pkcs8(der).map_err(key_rejected)?;
        Self::from_pair(pair)
    }

    /// Reads PEM: `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1, as older OpenSSL writes).
    pub fn from_pem(text: &[u8]) -> Result<Self, CryptoError> {
        let block = pem::find(text, &["PRIVATE KEY", "RSA PRIVATE KEY"])?;
        let der = Zeroizing::new(block.der);
        if block.label == "RSA PRIVATE KEY" {
            let pair = KeyPair::from_der(&der).map_err(key_rejected)?;
            return Self::from_pair(pair);
        }
        Self::from_pkcs8_der(&der)
    }

    /// Reads a key file's content, DER (PKCS#8) or PEM.
    pub fn from_der_or_pem(data: &[u8]) -> Result<Self, CryptoError> {
        if pem::looks_like_pem(data) {
            Self::from_pem(data)
        } else {
            Self::from_pkcs8_der(data)
        }
    }

    fn from_pair(pair: KeyPair) -> Result<Self, CryptoError> {
        let bits = pair.public_modulus_len() * 8;
        if bits < MIN_RSA_BITS {
            return Err(CryptoError::KeyTooSmall {
                bits,
                min: MIN_RSA_BITS,
            });
        }
        let pkcs8 = pair
            .as_der()
            .map_err(|_| CryptoError::InvalidPrivateKey("cannot encode as PKCS#8".into()))?;
        let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
        let spki = pair
            .public_key()
            .as_der()
            .map_err(|_| CryptoError::InvalidPrivateKey("cannot encode the public key".into()))?;
        let public = RsaPublicKey::from_spki_der(spki.as_ref())?;
        Ok(RsaPrivateKey {
            pair,
            pkcs8,
            public,
        })
    }

    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    pub fn bits(&self) -> usize {
        self.public.bits
    }

    /// Signs with RS256. PKCS#1 v1.5 is deterministic: the same key and message give the same bytes.
    pub fn sign_rs256(&self, message: &[u8]) -> Vec<u8> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut sig,
            )
            .expect("RS256 signing with a loaded 2048+ bit key cannot fail");
        sig
    }

    /// Signs with PS256 (randomized: each signature differs).
    pub fn sign_ps256(&self, message: &[u8]) -> Vec<u8> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PSS_SHA256,
                &SystemRandom::new(),
                message,
                &mut sig,
            )
            .expect("PS256 signing with a loaded 2048+ bit key cannot fail");
        sig
    }

    /// The key as PKCS#8 DER, for an explicit export only.
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        self.pkcs8.clone()
    }

    /// The key as PKCS#8 PEM, for an explicit export only.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(pem::encode("PRIVATE KEY", &self.pkcs8))
    }

    /// True when this key is the private half of `cert`'s public key.
    pub fn matches(&self, cert: &crate::Certificate) -> bool {
        cert.public_key().is_ok_and(|k| *k == self.public)
    }
}
