use thiserror::Error;

/// Every failure of this crate, each with a stable code for logs, CLI output and APIs.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// `bits` is 0 when the key was refused before its size could be read.
    #[error("RSA keys must be at least {min} bits{}", if *bits > 0 { format!("; this key has {bits}") } else { String::new() })]
    KeyTooSmall { bits: usize, min: usize },
    #[error("unsupported RSA key size {0}: choose 2048, 3072 or 4096")]
    UnsupportedKeySize(usize),
    #[error("not a valid X.509 certificate: {0}")]
    InvalidCertificate(String),
    #[error("the certificate's public key is not RSA ({0}); S2S tokens are RS256")]
    NotRsa(String),
    #[error("not a valid PKCS#8 RSA private key: {0}")]
    InvalidPrivateKey(String),
    #[error("PEM: {0}")]
    Pem(String),
    #[error("the signature does not verify")]
    BadSignature,
    #[error("invalid validity: {0}")]
    InvalidValidity(String),
    #[error("certificate generation failed: {0}")]
    Generation(String),
    #[error("the private key is not the certificate's")]
    KeyMismatch,
}

impl CryptoError {
    /// A stable identifier for this kind of failure.
    pub fn code(&self) -> &'static str {
        match self {
            CryptoError::KeyTooSmall { .. } => "CryptoKeyTooSmall",
            CryptoError::UnsupportedKeySize(_) => "CryptoUnsupportedKeySize",
            CryptoError::InvalidCertificate(_) => "CryptoInvalidCertificate",
            CryptoError::NotRsa(_) => "CryptoNotRsa",
            CryptoError::InvalidPrivateKey(_) => "CryptoInvalidPrivateKey",
            CryptoError::Pem(_) => "CryptoPem",
            CryptoError::BadSignature => "CryptoBadSignature",
            CryptoError::InvalidValidity(_) => "CryptoInvalidValidity",
            CryptoError::Generation(_) => "CryptoGeneration",
            CryptoError::KeyMismatch => "CryptoKeyMismatch",
        }
    }
}
