//! Smart lockout for password sign-in: after too many failures for one name, or from one
//! address, sign-in is refused for a while whatever the password. Names are counted whether or
//! not they exist, so a lockout tells nothing about who has an account.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failures allowed in a window before the name or the address is locked.
pub const MAX_FAILURES: u32 = 10;
/// Seconds a window lasts; a lock ends with its window.
pub const WINDOW: i64 = 60;
/// Entries kept at most; the oldest windows go first when full.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct Lockout {
    failures: Mutex<HashMap<String, (u32, i64)>>,
}

impl Lockout {
    fn keys(name: &str, address: &str) -> [String; 2] {
        [
            format!("name:{}", name.trim().to_ascii_lowercase()),
            format!("addr:{address}"),
        ]
    }

    /// True when the name or the address is locked now.
    pub fn locked(&self, name: &str, address: &str, now: i64) -> bool {
        let map = self.failures.lock().expect("lockout lock");
        Self::keys(name, address).iter().any(|k| {
            map.get(k)
                .is_some_and(|(n, start)| *n >= MAX_FAILURES && now - start < WINDOW)
        })
    }

    /// Counts a failed attempt against the name and the address.
    pub fn failed(&self, name: &str, address: &str, now: i64) {
        let mut map = self.failures.lock().expect("lockout lock");
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (_, start)| now - *start < WINDOW);
        }
        for k in Self::keys(name, address) {
            let e = map.entry(k).or_insert((0, now));
            if now - e.1 >= WINDOW {
                *e = (0, now);
            }
            e.0 += 1;
        }
    }

    /// A successful sign-in clears the name's count (not the address's).
    pub fn succeeded(&self, name: &str) {
        let [k, _] = Self::keys(name, "");
        self.failures.lock().expect("lockout lock").remove(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_limit_and_opens_after_the_window() {
        let l = Lockout::default();
        for _ in 0..MAX_FAILURES {
            assert!(!l.locked("alice@contoso.com", "10.0.0.1", 100));
            l.failed("Alice@contoso.com", "10.0.0.1", 100);
        }
        assert!(l.locked("alice@contoso.com", "10.0.0.9", 101), "by name");
        assert!(l.locked("bob@contoso.com", "10.0.0.1", 101), "by address");
        assert!(!l.locked("bob@contoso.com", "10.0.0.2", 101));
        assert!(!l.locked("alice@contoso.com", "10.0.0.2", 100 + WINDOW));
        l.failed("nobody@contoso.com", "10.0.0.3", 100);
        l.succeeded("nobody@contoso.com");
        assert!(!l.locked("nobody@contoso.com", "10.0.0.4", 100));
    }
}
