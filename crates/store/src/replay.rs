//! Client assertions already used, shared by every process of a service: a row per assertion
//! digest until the assertion can no longer be accepted. The token service keeps an in-memory
//! front for the replays one process sees itself; this table decides across processes and
//! across restarts.

use crate::StoreError;
use crate::store::{Store, with_pool, write_statement};

/// The used-assertion table of a store.
pub struct UsedAssertions<'a> {
    store: &'a Store,
}

impl Store {
    pub fn used_assertions(&self) -> UsedAssertions<'_> {
        UsedAssertions { store: self }
    }
}

impl UsedAssertions<'_> {
    /// Records the assertion `digest` (hex) as used until `forget_after` (Unix seconds). False
    /// when it was already used and is not yet forgotten: a replay, wherever it was first used.
    /// One statement, atomic on both backends.
    pub async fn first_use(
        &self,
        digest: &str,
        forget_after: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let s = self.store;
        let sql = "INSERT INTO used_assertions (digest, forget_after) VALUES ($1, $2) \
                   ON CONFLICT (digest) DO UPDATE SET forget_after = excluded.forget_after \
                   WHERE used_assertions.forget_after < $3";
        let done = write_statement!(s, e => {
            sqlx::query(sql).bind(digest).bind(forget_after).bind(now).execute(e).await
                .map(|done| done.rows_affected())
        })
        .map_err(|e| s.db_error(e))?;
        s.durable().await?;
        Ok(done == 1)
    }

    /// Records a batch of assertions in one statement and one commit: for each, whether this
    /// was its first use (false for a replay, also of an earlier entry of the same batch).
    /// `now` decides which recorded uses are forgotten and may be taken again.
    pub async fn first_uses(
        &self,
        batch: &[(String, i64)],
        now: i64,
    ) -> Result<Vec<bool>, StoreError> {
        let firsts = self.insert(batch, now).await?;
        self.store.durable().await?;
        Ok(firsts)
    }

    /// [`Self::first_uses`] committed but not yet waited on to be durable.
    async fn insert(&self, batch: &[(String, i64)], now: i64) -> Result<Vec<bool>, StoreError> {
        let mut firsts: Vec<usize> = Vec::with_capacity(batch.len());
        for (i, (digest, _)) in batch.iter().enumerate() {
            if !firsts.iter().any(|&j| batch[j].0 == *digest) {
                firsts.push(i);
            }
        }
        if firsts.is_empty() {
            return Ok(vec![]);
        }
        let mut sql = String::from("INSERT INTO used_assertions (digest, forget_after) VALUES ");
        for n in 0..firsts.len() {
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${})", 2 * n + 2, 2 * n + 3));
        }
        sql.push_str(
            " ON CONFLICT (digest) DO UPDATE SET forget_after = excluded.forget_after \
             WHERE used_assertions.forget_after < $1 RETURNING digest",
        );
        let s = self.store;
        macro_rules! bound {
            () => {{
                let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).bind(now);
                for &i in &firsts {
                    q = q.bind(batch[i].0.as_str()).bind(batch[i].1);
                }
                q
            }};
        }
        let recorded: Vec<String> =
            write_statement!(s, e => bound!().fetch_all(e).await).map_err(|e| s.db_error(e))?;
        Ok(batch
            .iter()
            .enumerate()
            .map(|(i, (digest, _))| firsts.contains(&i) && recorded.contains(digest))
            .collect())
    }

    /// Removes the assertions that can no longer be accepted; how many went.
    pub async fn prune(&self, now: i64) -> Result<u64, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let done = sqlx::query("DELETE FROM used_assertions WHERE forget_after < $1")
                .bind(now).execute(p).await.map_err(|e| s.db_error(e))?;
            Ok(done.rows_affected())
        })
    }

    /// How many assertions are remembered.
    pub async fn count(&self) -> Result<i64, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM used_assertions")
                .fetch_one(p).await.map_err(|e| s.db_error(e))?;
            Ok(n)
        })
    }
}

/// The most assertions one statement records (two parameters each, far below either engine's
/// limit).
const MAX_BATCH: usize = 512;

/// How long a batch under load waits for company (tokio's timer ticks in milliseconds).
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

struct Pending {
    digest: String,
    forget_after: i64,
    now: i64,
    answer: tokio::sync::oneshot::Sender<Result<bool, String>>,
}

/// Records used assertions for many concurrent requests at once: each request waits for its
/// own answer, made durable, while the requests that arrive during a commit are gathered into
/// the next one (group commit), so the record costs a statement and a flush per batch instead
/// of per token. The guarantee is [`UsedAssertions::first_use`]'s: an answer `true` is given
/// only once the use is durable in the shared table.
#[derive(Clone)]
pub struct ReplayRecorder {
    queue: tokio::sync::mpsc::Sender<Pending>,
}

impl ReplayRecorder {
    /// Starts the recorder. On SQLite it runs on a thread of its own, so that a batch is
    /// written and flushed while the request workers go on with their requests (signing the
    /// tokens whose use it records) rather than when one of them is free to poll it. On
    /// PostgreSQL the work is the database server's, and the recorder is a task of the
    /// current runtime (whose reactor its pooled connections are registered with).
    pub fn start(store: Store) -> ReplayRecorder {
        let (queue, rx) = tokio::sync::mpsc::channel(4 * MAX_BATCH);
        if store.backend() == crate::Backend::Postgres {
            tokio::spawn(record(store, rx));
            return ReplayRecorder { queue };
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        match runtime {
            Ok(runtime) => {
                let spawned = std::thread::Builder::new()
                    .name("replay-record".into())
                    .spawn(move || runtime.block_on(record(store, rx)));
                if let Err(e) = spawned {
                    tracing::error!("the replay recorder's thread did not start: {e}");
                }
            }
            Err(e) => tracing::error!("the replay recorder's runtime did not start: {e}"),
        }
        ReplayRecorder { queue }
    }

    /// As [`UsedAssertions::first_use`], batched with the other requests of the moment.
    pub async fn first_use(
        &self,
        digest: String,
        forget_after: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.submit(digest, forget_after, now)
            .await?
            .outcome()
            .await
    }

    /// Hands the use to the recorder and returns at once (unless a full backlog makes it
    /// wait): the answer comes from [`PendingUse::outcome`], which the caller awaits after
    /// doing its own work in the meantime.
    pub async fn submit(
        &self,
        digest: String,
        forget_after: i64,
        now: i64,
    ) -> Result<PendingUse, StoreError> {
        let (answer, wait) = tokio::sync::oneshot::channel();
        self.queue
            .send(Pending {
                digest,
                forget_after,
                now,
                answer,
            })
            .await
            .map_err(|_| unavailable("the replay recorder has stopped".into()))?;
        Ok(PendingUse { wait })
    }
}

/// A use handed to the recorder, not yet answered.
pub struct PendingUse {
    wait: tokio::sync::oneshot::Receiver<Result<bool, String>>,
}

impl PendingUse {
    /// True once the use is durable in the shared table and was the first; false for a replay.
    pub async fn outcome(self) -> Result<bool, StoreError> {
        match self.wait.await {
            Ok(Ok(first)) => Ok(first),
            Ok(Err(reason)) => Err(unavailable(reason)),
            Err(_) => Err(unavailable("the replay recorder has stopped".into())),
        }
    }
}

fn unavailable(reason: String) -> StoreError {
    StoreError::Database {
        url: "used_assertions".into(),
        reason,
    }
}

async fn record(store: Store, mut rx: tokio::sync::mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    let mut busy = false;
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // Under concurrent load (the last batch had company) the batch is given a moment to
        // fill: every batch costs a statement, a flush and their wake-ups, which a handful
        // of tokens share badly. A lone request is never held back.
        if busy && batch.len() < MAX_BATCH {
            tokio::time::sleep(GATHER).await;
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
        }
        busy = batch.len() > 1;
        let pending = std::mem::take(&mut batch);
        // The earliest clock of the batch: an entry forgotten only by a later request's clock
        // stays a replay (refusing is the safe side).
        let now = pending.iter().map(|p| p.now).min().unwrap_or(0);
        let entries: Vec<(String, i64)> = pending
            .iter()
            .map(|p| (p.digest.clone(), p.forget_after))
            .collect();
        // One batch at a time, its flush awaited before the next is taken: the requests that
        // arrive meanwhile make the next batch, so a commit and its page writes serve as many
        // tokens as are waiting (a commit per batch, not per token).
        let result = match store.used_assertions().insert(&entries, now).await {
            Ok(firsts) => store.durable().await.map(|()| firsts),
            Err(e) => Err(e),
        };
        for (i, p) in pending.into_iter().enumerate() {
            let answer = match &result {
                Ok(firsts) => Ok(firsts.get(i).copied().unwrap_or(false)),
                Err(e) => Err(e.to_string()),
            };
            let _ = p.answer.send(answer);
        }
    }
}
