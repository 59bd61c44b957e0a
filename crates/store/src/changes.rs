//! Change notification between processes sharing a store.
//!
//! Every configuration write appends to `change_log` inside its own transaction. This process
//! learns of its own changes at once; other processes learn through PostgreSQL LISTEN/NOTIFY
//! (the NOTIFY is sent in the same transaction, so it is delivered only on commit) or, on
//! SQLite, by polling `change_log`, which is cheap and needs no server.

use crate::url::StoreUrl;
use crate::{Pool, StoreError};
use sqlx::Row;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::broadcast;

/// The channel of a change that means "notifications may have been missed: reload everything".
pub const RESYNC_CHANNEL: &str = "*";
const PG_CHANNEL: &str = "hybrid_changes";
/// The channel of mailbox writes: items and folders changed, so the mailbox event journal grew.
/// It is told apart from configuration changes (which make servers reload their trust).
pub const MAIL_CHANNEL: &str = "MailboxEvents";
/// How long change_log rows are kept for pollers (pruned now and then by writers).
pub(crate) const KEEP_MS: i64 = 10 * 60 * 1000;

/// A configuration change: which kind of object (the channel), and whether this process made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub channel: String,
    pub local: bool,
}

pub(crate) struct ChangeFeed {
    origin: String,
    sender: broadcast::Sender<Change>,
    /// change_log sequence numbers this process wrote, so the poller does not repeat them.
    own: Mutex<HashSet<i64>>,
    /// Counts every change told (local or not), before subscribers hear of it.
    generation: AtomicU64,
    /// How long the last change from another process took to arrive, ms (-1: none yet).
    last_lag_ms: AtomicI64,
    /// Told of every mailbox write, this process's and (on PostgreSQL) other processes'.
    mail: broadcast::Sender<()>,
}

impl ChangeFeed {
    pub fn new() -> Self {
        ChangeFeed {
            origin: uuid::Uuid::new_v4().to_string(),
            sender: broadcast::channel(1024).0,
            own: Mutex::new(HashSet::new()),
            generation: AtomicU64::new(0),
            last_lag_ms: AtomicI64::new(-1),
            mail: broadcast::channel(16).0,
        }
    }

    /// How long the last change made by another process took to reach this one.
    pub fn last_remote_lag_ms(&self) -> Option<i64> {
        Some(self.last_lag_ms.load(Ordering::Relaxed)).filter(|l| *l >= 0)
    }

    fn arrived(&self, at_ms: i64) {
        self.last_lag_ms
            .store((crate::now_ms() - at_ms).max(0), Ordering::Relaxed);
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Records that this process committed change `seq` on `channel`, and tells subscribers.
    pub fn committed(&self, seq: i64, channel: &str) {
        self.own.lock().expect("change feed lock").insert(seq);
        self.generation.fetch_add(1, Ordering::SeqCst);
        let _ = self.sender.send(Change {
            channel: channel.into(),
            local: true,
        });
    }

    /// A mailbox write was committed (here, or elsewhere on PostgreSQL).
    pub fn mail_written(&self) {
        let _ = self.mail.send(());
    }

    pub fn subscribe_mail(&self) -> broadcast::Receiver<()> {
        self.mail.subscribe()
    }

    fn remote(&self, channel: &str) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let _ = self.sender.send(Change {
            channel: channel.into(),
            local: false,
        });
    }
}

/// Appends a change inside the caller's write transaction; returns its sequence number.
/// Call [`ChangeFeed::committed`] after the commit.
macro_rules! record_change {
    ($store:expr, $tx:expr, $channel:expr) => {{
        let store: &$crate::Store = $store;
        let channel: &str = $channel;
        let now = $crate::now_ms();
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO change_log (origin, channel, at_ms) VALUES ($1, $2, $3) RETURNING seq",
        )
        .bind(store.feed().origin())
        .bind(channel)
        .bind(now)
        .fetch_one(&mut *$tx)
        .await
        .map_err(|e| store.db_error(e))?;
        if store.backend() == $crate::Backend::Postgres {
            // origin:channel@at_ms (the time lets a listener tell how late it heard of it).
            sqlx::query("SELECT pg_notify('hybrid_changes', $1)")
                .bind(format!("{}:{}@{}", store.feed().origin(), channel, now))
                .execute(&mut *$tx)
                .await
                .map_err(|e| store.db_error(e))?;
        }
        if seq % 256 == 0 {
            sqlx::query("DELETE FROM change_log WHERE at_ms < $1")
                .bind(now - $crate::changes::KEEP_MS)
                .execute(&mut *$tx)
                .await
                .map_err(|e| store.db_error(e))?;
        }
        seq
    }};
}
pub(crate) use record_change;

/// Tells other processes on PostgreSQL, on commit, that a mailbox write happened (SQLite's
/// other processes find it in the journal by polling).
macro_rules! notify_mail {
    ($store:expr, $tx:expr) => {{
        let store: &$crate::Store = $store;
        if store.backend() == $crate::Backend::Postgres {
            sqlx::query("SELECT pg_notify('hybrid_changes', $1)")
                .bind(format!(
                    "{}:{}@{}",
                    store.feed().origin(),
                    $crate::changes::MAIL_CHANNEL,
                    $crate::now_ms()
                ))
                .execute(&mut *$tx)
                .await
                .map_err(|e| store.db_error(e))?;
        }
    }};
}
pub(crate) use notify_mail;

/// Starts the task that delivers other processes' changes.
pub(crate) async fn start_watcher(
    pool: Pool,
    url: StoreUrl,
    feed: Arc<ChangeFeed>,
    interval: Duration,
) -> Result<tokio::task::JoinHandle<()>, StoreError> {
    match pool {
        Pool::Sqlite(p) => {
            let start: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM change_log")
                .fetch_one(&p)
                .await
                .map_err(|e| StoreError::Database {
                    url: url.to_string(),
                    reason: e.to_string(),
                })?;
            Ok(tokio::spawn(poll_sqlite(p, feed, start, interval)))
        }
        Pool::Postgres(p) => {
            let mut listener = sqlx::postgres::PgListener::connect_with(&p)
                .await
                .map_err(|e| StoreError::Unavailable {
                    url: url.to_string(),
                    reason: format!("LISTEN: {e}"),
                })?;
            listener
                .listen(PG_CHANNEL)
                .await
                .map_err(|e| StoreError::Unavailable {
                    url: url.to_string(),
                    reason: format!("LISTEN: {e}"),
                })?;
            Ok(tokio::spawn(listen_postgres(listener, p, feed)))
        }
    }
}

async fn poll_sqlite(
    pool: sqlx::SqlitePool,
    feed: Arc<ChangeFeed>,
    mut last: i64,
    interval: Duration,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let rows = match sqlx::query(
            "SELECT seq, origin, channel, at_ms FROM change_log WHERE seq > $1 ORDER BY seq",
        )
        .bind(last)
        .fetch_all(&pool)
        .await
        {
            Ok(rows) => rows,
            Err(e) if pool.is_closed() => return tracing::debug!("change poller stops: {e}"),
            Err(e) => {
                tracing::warn!("change poller: {e}");
                continue;
            }
        };
        for row in rows {
            let seq: i64 = row.get(0);
            last = last.max(seq);
            let own = feed.own.lock().expect("change feed lock").remove(&seq);
            if !own && row.get::<String, _>(1) != feed.origin {
                feed.arrived(row.get::<i64, _>(3));
                feed.remote(&row.get::<String, _>(2));
            }
        }
    }
}

async fn listen_postgres(
    mut listener: sqlx::postgres::PgListener,
    pool: sqlx::PgPool,
    feed: Arc<ChangeFeed>,
) {
    // A lost connection is said once when it goes and once when it is back, not at every
    // retry; retries back off to five seconds.
    let mut lost = false;
    let mut backoff = Duration::from_millis(250);
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) => {
                if lost {
                    tracing::info!("change listener connected again");
                    lost = false;
                    backoff = Duration::from_millis(250);
                }
                let (origin, rest) = n.payload().split_once(':').unwrap_or(("", n.payload()));
                // An older process sends origin:channel without the time.
                let (channel, at) = match rest.rsplit_once('@') {
                    Some((c, t)) => (c, t.parse::<i64>().ok()),
                    None => (rest, None),
                };
                if channel == MAIL_CHANNEL {
                    if origin != feed.origin {
                        feed.mail_written();
                    }
                } else if origin != feed.origin {
                    if let Some(at) = at {
                        feed.arrived(at);
                    }
                    feed.remote(channel);
                }
            }
            // The connection dropped and was re-established: notifications may have been lost.
            Ok(None) => {
                if lost {
                    tracing::info!("change listener connected again");
                    lost = false;
                    backoff = Duration::from_millis(250);
                }
                feed.remote(RESYNC_CHANNEL);
                feed.mail_written();
            }
            Err(_) if pool.is_closed() => {
                return tracing::debug!("change listener stops: the store is closed");
            }
            Err(e) => {
                if !lost {
                    tracing::warn!(
                        "change listener lost its connection: {e}; retrying with backoff"
                    );
                    lost = true;
                }
                feed.remote(RESYNC_CHANNEL);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}
