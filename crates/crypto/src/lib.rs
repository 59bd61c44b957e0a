//! Certificates and RS256 signatures for the S2S trust.
//!
//! Everything that touches key material lives here: creating the self-signed auth certificate
//! that an Exchange-style server signs its tokens with, reading certificates and PKCS#8 keys
//! (DER or PEM), the two certificate fingerprints the protocol uses (the SHA-1 thumbprint that
//! Exchange prints and the `x5t` JWT header), and RS256 signing and verification on aws-lc-rs.

mod cert;
mod error;
mod generate;
mod keys;
mod pair;
pub mod password;
pub mod pem;
pub mod pkcs12;
pub mod secret;

pub use cert::{Certificate, base64url, base64url_decode, sha256};
pub use error::CryptoError;
pub use generate::{AUTH_CERTIFICATE_SUBJECT, CertificateRequest};
pub use keys::{MIN_RSA_BITS, RsaPrivateKey, RsaPublicKey};
pub use pair::{KeyPair, StoredKeyPair};
