use crate::changes::ChangeFeed;
use crate::group_commit::GroupCommit;
pub use crate::pool::Pool;
use crate::url::StoreUrl;
use crate::{Change, StoreError, migrate};
use sqlx::Sqlite;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Runs `$body` inside a write transaction bound to `$tx` and commits it; an error anywhere
/// rolls everything back. SQLite takes the write lock at BEGIN, so concurrent writers queue
/// instead of failing on a lock upgrade; within a process they queue on [`Store::writer`]
/// (SQLite's own wait for a busy lock sleeps in steps of milliseconds), and the commit's flush
/// to disk is awaited after the lock is given up, shared with the writers behind it.
macro_rules! write_tx {
    ($store:expr, $tx:ident => $body:expr) => {{
        let store: &$crate::Store = $store;
        match store.pool() {
            $crate::Pool::Sqlite(p) => {
                let mut writer = store.sqlite_writer(p).await?;
                let done: Result<_, sqlx::Error> = 'tx: {
                    let begun =
                        sqlx::Connection::begin_with(writer.connection(), "BEGIN IMMEDIATE").await;
                    let mut $tx = match begun {
                        Ok(tx) => tx,
                        Err(e) => break 'tx Err(e),
                    };
                    let value = $body;
                    $tx.commit().await.map(|()| value)
                };
                let value = done.map_err(|e| {
                    writer.check(&e);
                    store.db_error(e)
                })?;
                drop(writer);
                store.durable().await?;
                value
            }
            $crate::Pool::Postgres(p) => {
                let mut $tx = p.begin().await.map_err(|e| store.db_error(e))?;
                let value = $body;
                $tx.commit().await.map_err(|e| store.db_error(e))?;
                value
            }
        }
    }};
}

/// One write statement: on SQLite through the writer's connection in this process's turn
/// (`$e` a `&mut SqliteConnection`), on PostgreSQL through the pool (`$e` the pool). `$body`
/// yields the statement's `Result`; the flush is the caller's to await.
macro_rules! write_statement {
    ($store:expr, $e:ident => $body:expr) => {{
        let store: &$crate::Store = $store;
        match store.pool() {
            $crate::Pool::Sqlite(p) => {
                let mut writer = store.sqlite_writer(p).await?;
                let $e = writer.connection();
                let result = $body;
                if let Err(e) = &result {
                    writer.check(e);
                }
                result
            }
            $crate::Pool::Postgres($e) => $body,
        }
    }};
}

pub(crate) use crate::pool::with_pool;
pub(crate) use {write_statement, write_tx};

/// This process's turn to write to a SQLite store, and the one connection its writes go
/// through. One connection keeps its page cache: SQLite drops a connection's cache whenever
/// another connection wrote since its last transaction, so writes spread over the pool read
/// the pages they change from the file again each time.
pub(crate) struct SqliteWriter<'a> {
    guard: tokio::sync::MutexGuard<'a, Option<PoolConnection<Sqlite>>>,
}

impl SqliteWriter<'_> {
    pub(crate) fn connection(&mut self) -> &mut sqlx::SqliteConnection {
        self.guard.as_mut().expect("a writer holds its connection")
    }

    /// After a failed statement: the connection is given back (and a new one taken at the
    /// next write) unless the database merely refused the statement.
    pub(crate) fn check(&mut self, e: &sqlx::Error) {
        if !matches!(e, sqlx::Error::Database(_)) {
            *self.guard = None;
        }
    }
}

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Tuning for [`Store::open`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Pool size; default 8 for SQLite, 10 for PostgreSQL.
    pub max_connections: Option<u32>,
    /// How long to wait for a pooled connection.
    pub acquire_timeout: Duration,
    /// How long SQLite waits for another writer's lock.
    pub busy_timeout: Duration,
    /// How often SQLite looks for changes made by other processes.
    pub poll_interval: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: None,
            acquire_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(200),
        }
    }
}

/// How long closing waits for connections in use.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// A role's store. Cheap to clone; all clones share the pool and the change feed.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    url: StoreUrl,
    feed: Arc<ChangeFeed>,
    watcher: tokio::task::JoinHandle<()>,
    /// SQLite only: commits return once a shared flush of the WAL covers them.
    group: Option<GroupCommit>,
    /// SQLite only: this process's writers take turns here, on the connection kept in it.
    writer: tokio::sync::Mutex<Option<PoolConnection<Sqlite>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.inner.url)
    }
}

impl Store {
    /// Opens (creating if needed) the store at `url`, applies migrations, and starts watching
    /// for other processes' changes. Needs a Tokio runtime.
    pub async fn open(url: &str, options: StoreOptions) -> Result<Store, StoreError> {
        Self::open_url(StoreUrl::parse(url)?, options).await
    }

    pub async fn open_url(url: StoreUrl, options: StoreOptions) -> Result<Store, StoreError> {
        let unavailable = |reason: String| StoreError::Unavailable {
            url: url.to_string(),
            reason,
        };
        let pool = match &url {
            StoreUrl::Sqlite { path } => {
                crate::private::prepare(path)
                    .map_err(|e| unavailable(format!("cannot prepare {}: {e}", path.display())))?;
                let connect = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // Durability comes from the group commit's flush (see group_commit.rs).
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(options.busy_timeout);
                let pool = SqlitePoolOptions::new()
                    // A connection to a file does not go stale; pinging each one taken from
                    // the pool would cost every transaction a round trip to its thread.
                    .test_before_acquire(false)
                    .max_connections(options.max_connections.unwrap_or(8))
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect)
                    .await
                    .map_err(|e| unavailable(e.to_string()))?;
                Pool::Sqlite(pool)
            }
            StoreUrl::Postgres { url: text } => {
                let connect =
                    PgConnectOptions::from_str(text).map_err(|e| unavailable(e.to_string()))?;
                let pool = PgPoolOptions::new()
                    .max_connections(options.max_connections.unwrap_or(10))
                    .acquire_timeout(options.acquire_timeout)
                    .connect_with(connect)
                    .await
                    .map_err(|e| {
                        unavailable(format!(
                            "{e} (is PostgreSQL running and the database created?)"
                        ))
                    })?;
                Pool::Postgres(pool)
            }
        };
        migrate::run(&pool, &url).await?;
        let group = match &url {
            StoreUrl::Sqlite { path } => Some(GroupCommit::new(path)),
            StoreUrl::Postgres { .. } => None,
        };
        let feed = Arc::new(ChangeFeed::new());
        let watcher = crate::changes::start_watcher(
            pool.clone(),
            url.clone(),
            feed.clone(),
            options.poll_interval,
        )
        .await?;
        tracing::info!(store = %url, "store opened");
        Ok(Store {
            inner: Arc::new(Inner {
                pool,
                url,
                feed,
                watcher,
                group,
                writer: tokio::sync::Mutex::new(None),
            }),
        })
    }

    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    pub fn backend(&self) -> Backend {
        match self.inner.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The store's URL, password removed.
    pub fn url(&self) -> &StoreUrl {
        &self.inner.url
    }

    /// Changes to configuration, from this process (at once) and others (within a second).
    /// A change on [`crate::RESYNC_CHANNEL`] means "reload everything": notifications may have
    /// been missed.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.inner.feed.subscribe()
    }

    /// A number that changes whenever a configuration change is told (this process's at once,
    /// others' within a second): what was read at one generation is current while it lasts.
    pub fn generation(&self) -> u64 {
        self.inner.feed.generation()
    }

    /// How long the last configuration change made by another process took to reach this one
    /// (None until one has).
    pub fn change_feed_lag_ms(&self) -> Option<i64> {
        self.inner.feed.last_remote_lag_ms()
    }

    /// Told whenever the mailbox journal may have grown (see [`crate::changes::MAIL_CHANNEL`]);
    /// a lagging receiver should simply read the journal again.
    pub fn subscribe_mail(&self) -> tokio::sync::broadcast::Receiver<()> {
        self.inner.feed.subscribe_mail()
    }

    pub(crate) fn feed(&self) -> &ChangeFeed {
        &self.inner.feed
    }

    /// Stops the change watcher and closes the pool, waiting at most [`CLOSE_GRACE`] for
    /// connections in use to be returned (a request still holding one must not keep the
    /// process alive).
    pub async fn close(&self) {
        self.inner.watcher.abort();
        // The writer's connection goes back, or closing would wait for it.
        *self.inner.writer.lock().await = None;
        let closing = async { with_pool!(&self.inner.pool, p => p.close().await) };
        if tokio::time::timeout(CLOSE_GRACE, closing).await.is_err() {
            tracing::warn!(store = %self.inner.url, "connections still in use after {CLOSE_GRACE:?}; closing without them");
        }
    }

    /// Whether [`Store::close`] was called.
    pub fn is_closed(&self) -> bool {
        with_pool!(&self.inner.pool, p => p.is_closed())
    }

    /// Waits until what this task just committed is on disk (SQLite's group commit; on
    /// PostgreSQL the commit itself was durable).
    pub(crate) async fn durable(&self) -> Result<(), StoreError> {
        match &self.inner.group {
            Some(g) => g.durable().await.map_err(|e| StoreError::Database {
                url: self.inner.url.to_string(),
                reason: format!("flushing the write-ahead log: {e}"),
            }),
            None => Ok(()),
        }
    }

    /// A batch as a transaction of its own on SQLite, in this process's turn and one call to
    /// the driver's thread (see [`crate::batch::Batch::commit_sqlite`]), then made durable.
    pub(crate) async fn commit_sqlite_batch(
        &self,
        pool: &sqlx::SqlitePool,
        batch: crate::batch::Batch,
    ) -> Result<(), StoreError> {
        let mut writer = self.sqlite_writer(pool).await?;
        if let Err(e) = batch.commit_sqlite(writer.connection()).await {
            writer.check(&e);
            return Err(self.db_error(e));
        }
        drop(writer);
        self.durable().await
    }

    /// This process's turn to write to SQLite, with the writer's connection (taken from the
    /// pool when there is none).
    pub(crate) async fn sqlite_writer(
        &self,
        pool: &sqlx::SqlitePool,
    ) -> Result<SqliteWriter<'_>, StoreError> {
        let mut guard = self.inner.writer.lock().await;
        if guard.is_none() {
            *guard = Some(pool.acquire().await.map_err(|e| self.db_error(e))?);
        }
        Ok(SqliteWriter { guard })
    }

    /// How many WAL flushes the group commit has made (0 on PostgreSQL).
    pub fn flushes(&self) -> u64 {
        self.inner.group.as_ref().map_or(0, |g| g.flushes())
    }

    /// A database failure, named by the store's redacted URL.
    pub(crate) fn db_error(&self, e: sqlx::Error) -> StoreError {
        StoreError::Database {
            url: self.inner.url.to_string(),
            reason: e.to_string(),
        }
    }
}
