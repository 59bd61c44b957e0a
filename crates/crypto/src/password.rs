//! Sign-in passwords: kept only as a slow salted hash (PBKDF2-HMAC-SHA256), in a text form that
//! names its parameters so that they can be raised without invalidating stored hashes.

use crate::{base64url, base64url_decode};
use std::num::NonZeroU32;

/// Iterations for new hashes: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
pub const ITERATIONS: u32 = 600_000;
const SCHEME: &str = "pbkdf2-sha256";
const OUT_LEN: usize = 32;

/// The stored form of a new password: `pbkdf2-sha256$<iterations>$<salt>$<hash>`.
pub fn hash(password: &str) -> String {
    hash_with(password, ITERATIONS)
}

fn hash_with(password: &str, iterations: u32) -> String {
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).expect("the system random generator works");
    let mut out = [0u8; OUT_LEN];
    let n = NonZeroU32::new(iterations.max(1)).expect("at least one iteration");
    aws_lc_rs::pbkdf2::derive(
        aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        &salt,
        password.as_bytes(),
        &mut out,
    );
    format!(
        "{SCHEME}${iterations}${}${}",
        base64url(&salt),
        base64url(&out)
    )
}

/// Whether `password` is the one `stored` was made from (in constant time). A malformed stored
/// value matches nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some(SCHEME), Some(n), Some(salt), Some(expected), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let (Some(n), Some(salt), Some(expected)) = (
        n.parse().ok().and_then(NonZeroU32::new),
        base64url_decode(salt),
        base64url_decode(expected),
    ) else {
        return false;
    };
    aws_lc_rs::pbkdf2::verify(
        aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        &salt,
        password.as_bytes(),
        &expected,
    )
    .is_ok()
}

/// Spends the time a real verification would, for a user that does not exist: a sign-in takes
/// as long whether or not the name is known.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("not a password anyone has"));
    let _ = verify(password, stored);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_salted_and_verify() {
        let a = hash_with("correct horse", 1000);
        let b = hash_with("correct horse", 1000);
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("pbkdf2-sha256$1000$"));
        assert!(verify("correct horse", &a) && verify("correct horse", &b));
        assert!(!verify("correct horsE", &a));
        for broken in ["", "pbkdf2-sha256$0$AA$AA", "md5$1$a$b", &format!("{a}$x")] {
            assert!(!verify("correct horse", broken), "{broken}");
        }
    }
}
