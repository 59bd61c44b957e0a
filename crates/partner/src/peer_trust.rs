//! The keys the partner trusts for presence requests, as last read from its own service principal
//! in the cloud directory: read again after five minutes, and at once (at most every two
//! seconds) when a token names a key not among them.

use crate::PartnerError;
use s2s::validate::TrustSnapshot;
use std::sync::{Arc, Mutex};

const REFRESH_EVERY: i64 = 300;
const REFRESH_AT_MOST_EVERY: i64 = 2;

#[derive(Default)]
pub struct PeerTrust {
    inner: Mutex<Option<(i64, Arc<TrustSnapshot>)>>,
    /// When a token naming an unknown key last made the keys be read again.
    last_forced: Mutex<i64>,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl PeerTrust {
    /// The trust as last read; read again when older than five minutes, or when `force` and
    /// no other forced read happened in the last two seconds (an unknown key is worth one read,
    /// not one per request).
    pub async fn get(
        &self,
        force: bool,
        read: impl AsyncFnOnce() -> Result<TrustSnapshot, PartnerError>,
    ) -> Result<Arc<TrustSnapshot>, PartnerError> {
        let cached = self.inner.lock().expect("peer trust").clone();
        if let Some((at, snap)) = &cached {
            let fresh = now() - at < REFRESH_EVERY;
            let forced = force && {
                let mut last = self.last_forced.lock().expect("peer trust");
                let allowed = now() - *last >= REFRESH_AT_MOST_EVERY;
                if allowed {
                    *last = now();
                }
                allowed
            };
            if fresh && !forced {
                return Ok(snap.clone());
            }
        }
        let fresh = Arc::new(read().await?);
        *self.inner.lock().expect("peer trust") = Some((now(), fresh.clone()));
        Ok(fresh)
    }
}
