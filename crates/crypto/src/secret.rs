//! Admin credentials: high-entropy bearer secrets that servers keep only as SHA-256 hashes.

use crate::{base64url, sha256};

/// A new credential: `hyb_` and 32 random bytes, base64url.
pub fn new_credential() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random generator works");
    format!("hyb_{}", base64url(&bytes))
}

/// The stored form of a credential: lowercase hex SHA-256. A 256-bit random secret needs no
/// slow hash: guessing it is as hard as guessing the secret.
pub fn credential_hash(credential: &str) -> String {
    hex::encode(sha256(credential.trim().as_bytes()))
}

/// Compares two hashes in constant time.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_random_and_hash_stably() {
        let a = new_credential();
        let b = new_credential();
        assert_ne!(a, b);
        assert!(a.starts_with("hyb_") && a.len() == 4 + 43);
        assert_eq!(credential_hash(&a), credential_hash(&format!(" {a}\n")));
        assert!(hashes_equal(&credential_hash(&a), &credential_hash(&a)));
        assert!(!hashes_equal(&credential_hash(&a), &credential_hash(&b)));
    }
}
