//! Client assertions already used, remembered for exactly as long as they could be accepted
//! (their expiry plus the clock skew), so the memory held follows the assertion lifetime and
//! the request rate, never an arbitrary count that an attacker could flush.
//!
//! An assertion is named by its identity (the digest of tenant, client and `jti`), not by its
//! bytes. This is the process's front of the shared record in the store: an assertion is
//! entered here only after the store recorded it, so a refusal for any other reason leaves
//! nothing behind that would refuse the client's retry.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

const SHARDS: usize = 16;

#[derive(Default)]
struct Shard {
    seen: HashMap<[u8; 32], i64>,
    by_expiry: BTreeMap<i64, Vec<[u8; 32]>>,
}

/// A set of assertion digests, each dropped after its own expiry.
pub struct ReplayCache {
    shards: Vec<Mutex<Shard>>,
}

impl Default for ReplayCache {
    fn default() -> Self {
        ReplayCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        }
    }
}

impl ReplayCache {
    /// Whether `digest` was recorded and is not yet forgotten.
    pub fn is_used(&self, digest: &[u8; 32], now: i64) -> bool {
        let shard = self.shard(digest);
        shard.seen.get(digest).is_some_and(|&until| until >= now)
    }

    fn shard(&self, digest: &[u8; 32]) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[digest[0] as usize % SHARDS]
            .lock()
            .expect("replay cache lock")
    }

    /// Records `digest` until `forget_after` (Unix seconds). False when it is already there:
    /// a replay.
    pub fn first_use(&self, digest: [u8; 32], forget_after: i64, now: i64) -> bool {
        let mut shard = self.shard(&digest);
        while let Some(entry) = shard.by_expiry.first_entry() {
            if *entry.key() >= now {
                break;
            }
            for d in entry.remove() {
                shard.seen.remove(&d);
            }
        }
        if shard.seen.contains_key(&digest) {
            return false;
        }
        shard.seen.insert(digest, forget_after);
        shard
            .by_expiry
            .entry(forget_after)
            .or_default()
            .push(digest);
        true
    }

    /// How many assertions are remembered now.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().expect("replay cache lock").seen.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_expiry_then_forgets() {
        let c = ReplayCache::default();
        let d = [7u8; 32];
        assert!(!c.is_used(&d, 10));
        assert!(c.first_use(d, 100, 10));
        assert!(c.is_used(&d, 50));
        assert!(!c.is_used(&d, 101), "past its expiry");
        assert!(!c.first_use(d, 100, 50), "a replay within the lifetime");
        assert!(!c.first_use(d, 100, 100), "still at the expiry second");
        let mut other = [7u8; 32]; // the same shard as `d`
        other[1] = 8;
        assert!(
            c.first_use(other, 500, 101),
            "expired entries of the shard are dropped on the way"
        );
        assert_eq!(c.len(), 1);
        assert!(c.first_use(d, 200, 101), "forgotten after its expiry");
    }
}
