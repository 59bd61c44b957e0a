//! The work queue: jobs that must be done exactly once, eventually, by whichever process of a
//! service is free. A job is a row (its payload with it, so enqueueing is one transaction)
//! indexed on (state, due time): claiming reads only what is due, however many finished jobs
//! the table holds. A claim is a lease: a process that dies holding one loses it when it
//! expires, and another takes the job. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`;
//! SQLite's single writer makes the claiming statement atomic by itself.

use crate::StoreError;
use crate::store::{Store, with_pool, write_statement, write_tx};
use sqlx::Row;

/// A job's state: due (or waiting for its due time), leased by a worker, done, or given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Pending,
    Leased,
    Done,
    Dead,
}

impl JobState {
    pub fn name(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Leased => "leased",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }

    fn parse(s: &str) -> JobState {
        match s {
            "leased" => JobState::Leased,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            _ => JobState::Pending,
        }
    }
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: String,
    pub kind: String,
    pub payload: serde_json::Value,
}

/// How a leased job ended (for [`WorkQueue::finish_all`]).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: String,
    pub state: JobState,
    pub due_ms: i64,
    pub error: String,
}

/// A job as stored.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub state: JobState,
    pub due_ms: i64,
    pub attempts: i64,
    pub last_error: String,
    pub lease_owner: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// What a queue operator watches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub pending: i64,
    pub leased: i64,
    pub dead: i64,
    /// How long the oldest due job has waited (ms), 0 when none is due.
    pub oldest_due_age_ms: i64,
}

pub struct WorkQueue<'a> {
    store: &'a Store,
}

impl Store {
    pub fn queue(&self) -> WorkQueue<'_> {
        WorkQueue { store: self }
    }
}

const COLUMNS: &str =
    "id, kind, payload, state, due_ms, attempts, last_error, lease_owner, created_ms, updated_ms";

fn job(row: &impl JobRow) -> Job {
    Job {
        id: row.text(0),
        kind: row.text(1),
        payload: serde_json::from_str(&row.text(2)).unwrap_or(serde_json::Value::Null),
        state: JobState::parse(&row.text(3)),
        due_ms: row.int(4),
        attempts: row.int(5),
        last_error: row.text(6),
        lease_owner: row.text(7),
        created_ms: row.int(8),
        updated_ms: row.int(9),
    }
}

/// Reading a job row on either backend.
trait JobRow {
    fn text(&self, i: usize) -> String;
    fn int(&self, i: usize) -> i64;
}

impl JobRow for sqlx::sqlite::SqliteRow {
    fn text(&self, i: usize) -> String {
        self.try_get(i).unwrap_or_default()
    }
    fn int(&self, i: usize) -> i64 {
        self.try_get(i).unwrap_or_default()
    }
}

impl JobRow for sqlx::postgres::PgRow {
    fn text(&self, i: usize) -> String {
        self.try_get(i).unwrap_or_default()
    }
    fn int(&self, i: usize) -> i64 {
        self.try_get::<i64, _>(i)
            .or_else(|_| self.try_get::<i32, _>(i).map(i64::from))
            .unwrap_or_default()
    }
}

impl WorkQueue<'_> {
    /// Enqueues jobs, all or none, due now (a job whose id is already queued is kept as it is,
    /// so enqueueing again is harmless).
    pub async fn enqueue(&self, jobs: &[NewJob]) -> Result<(), StoreError> {
        let s = self.store;
        let now = crate::now_ms();
        let mut batch = crate::batch::Batch::default();
        for j in jobs {
            batch.push(
                "INSERT INTO work_queue (id, kind, payload, state, due_ms, attempts, last_error, lease_owner, lease_until_ms, created_ms, updated_ms) VALUES ($1, $2, $3, 'pending', $4, 0, '', '', 0, $4, $4) ON CONFLICT (id) DO NOTHING",
                vec![(&j.id).into(), (&j.kind).into(), crate::batch::Arg::Text(j.payload.to_string()), now.into()],
            );
        }
        match s.pool() {
            crate::Pool::Sqlite(p) => s.commit_sqlite_batch(p, batch).await,
            crate::Pool::Postgres(_) => {
                use crate::batch::RunBatch;
                write_tx!(s, tx => {
                    tx.run(batch).await.map_err(|e| s.db_error(e))?;
                });
                Ok(())
            }
        }
    }

    /// Leases up to `max` jobs that are due (or whose lease expired) to `owner` for `lease_ms`;
    /// each claim counts as an attempt.
    pub async fn claim(
        &self,
        owner: &str,
        max: i64,
        lease_ms: i64,
    ) -> Result<Vec<Job>, StoreError> {
        self.claim_of(owner, &[], max, lease_ms).await
    }

    /// [`WorkQueue::claim`] of the jobs of these kinds only (all kinds when empty): a process
    /// never holds work of another role's that shares its database.
    pub async fn claim_of(
        &self,
        owner: &str,
        kinds: &[&str],
        max: i64,
        lease_ms: i64,
    ) -> Result<Vec<Job>, StoreError> {
        let s = self.store;
        let now = crate::now_ms();
        let of_kind = if kinds.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 5)).collect();
            format!(" AND kind IN ({})", names.join(", "))
        };
        let due = format!(
            "((state = 'pending' AND due_ms <= $2) OR (state = 'leased' AND lease_until_ms < $2)){of_kind}"
        );
        let lock = if s.backend() == crate::Backend::Postgres {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE work_queue SET state = 'leased', lease_owner = $1, lease_until_ms = $2 + $3, attempts = attempts + 1, updated_ms = $2 \
             WHERE id IN (SELECT id FROM work_queue WHERE {due} ORDER BY due_ms, id LIMIT $4{lock}) RETURNING {COLUMNS}"
        );
        let mut jobs: Vec<Job> = write_statement!(s, e => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(owner).bind(now).bind(lease_ms).bind(max);
            for k in kinds {
                q = q.bind(*k);
            }
            q.fetch_all(e).await.map(|rows| rows.iter().map(job).collect())
        })
        .map_err(|e| s.db_error(e))?;
        // A lease counts an attempt; it must not be lost after the work was begun.
        if !jobs.is_empty() {
            s.durable().await?;
        }
        jobs.sort_by(|a, b| (a.due_ms, &a.id).cmp(&(b.due_ms, &b.id)));
        Ok(jobs)
    }

    /// Finishes a leased job: done, back to pending at `due_ms` with the error, or dead. Only
    /// the lease's owner may; false when the lease was lost (the job is someone else's now).
    pub async fn finish(
        &self,
        id: &str,
        owner: &str,
        state: JobState,
        due_ms: i64,
        error: &str,
    ) -> Result<bool, StoreError> {
        let outcome = Outcome {
            id: id.to_string(),
            state,
            due_ms,
            error: error.to_string(),
        };
        let held = self.finish_all(owner, &[outcome]).await?;
        Ok(held.first().copied().unwrap_or(false))
    }

    /// [`WorkQueue::finish`] for several jobs of one owner in one transaction (one durable
    /// commit for a whole batch); for each, whether the lease was still held.
    pub async fn finish_all(
        &self,
        owner: &str,
        outcomes: &[Outcome],
    ) -> Result<Vec<bool>, StoreError> {
        if outcomes.is_empty() {
            return Ok(vec![]);
        }
        // One statement for the whole batch (the outcomes as a VALUES list, whose columns both
        // engines name column1, column2, …), answering the ids whose lease was still held.
        let s = self.store;
        let now = crate::now_ms();
        let rows: Vec<String> = (0..outcomes.len())
            .map(|i| {
                let n = 3 + 4 * i;
                format!("(${n}, ${}, ${}, ${})", n + 1, n + 2, n + 3)
            })
            .collect();
        let sql = format!(
            "UPDATE work_queue SET state = v.column2, due_ms = v.column3, last_error = v.column4, \
             lease_owner = '', lease_until_ms = 0, updated_ms = $1 \
             FROM (VALUES {}) AS v WHERE work_queue.id = v.column1 \
             AND work_queue.state = 'leased' AND work_queue.lease_owner = $2 RETURNING work_queue.id",
            rows.join(", ")
        );
        let held: Vec<String> = write_statement!(s, e => {
            let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).bind(now).bind(owner);
            for o in outcomes {
                q = q.bind(&o.id).bind(o.state.name()).bind(o.due_ms).bind(&o.error);
            }
            q.fetch_all(e).await
        })
        .map_err(|e| s.db_error(e))?;
        s.durable().await?;
        Ok(outcomes.iter().map(|o| held.contains(&o.id)).collect())
    }

    /// Puts a dead job back, due now, its attempts counted afresh. False when it is not dead.
    pub async fn revive(&self, id: &str) -> Result<bool, StoreError> {
        let s = self.store;
        let now = crate::now_ms();
        let done = write_statement!(s, e => {
            sqlx::query("UPDATE work_queue SET state = 'pending', due_ms = $1, attempts = 0, updated_ms = $1 WHERE id = $2 AND state = 'dead'")
                .bind(now).bind(id)
                .execute(e).await.map(|done| done.rows_affected())
        })
        .map_err(|e| s.db_error(e))?;
        s.durable().await?;
        Ok(done == 1)
    }

    pub async fn get(&self, id: &str) -> Result<Option<Job>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM work_queue WHERE id = $1")))
                .bind(id).fetch_optional(p).await.map_err(|e| s.db_error(e))?;
            Ok(row.as_ref().map(job))
        })
    }

    /// Jobs in `state`, oldest due first, at most `limit`.
    pub async fn list(&self, state: JobState, limit: i64) -> Result<Vec<Job>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM work_queue WHERE state = $1 ORDER BY due_ms LIMIT $2")))
                .bind(state.name()).bind(limit).fetch_all(p).await.map_err(|e| s.db_error(e))?;
            Ok(rows.iter().map(job).collect())
        })
    }

    /// Removes jobs done before `before_ms`; how many went.
    pub async fn prune_done(&self, before_ms: i64) -> Result<u64, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let done = sqlx::query("DELETE FROM work_queue WHERE state = 'done' AND updated_ms < $1")
                .bind(before_ms).execute(p).await.map_err(|e| s.db_error(e))?;
            Ok(done.rows_affected())
        })
    }

    pub async fn stats(&self) -> Result<QueueStats, StoreError> {
        let s = self.store;
        let now = crate::now_ms();
        with_pool!(s.pool(), p => {
            // One index range per state: done jobs are never counted (nor read).
            let mut out = QueueStats::default();
            for (state, slot) in [("pending", &mut out.pending), ("leased", &mut out.leased), ("dead", &mut out.dead)] {
                *slot = sqlx::query_scalar("SELECT COUNT(*) FROM work_queue WHERE state = $1")
                    .bind(state).fetch_one(p).await.map_err(|e| s.db_error(e))?;
            }
            let oldest: Option<i64> = sqlx::query_scalar("SELECT MIN(due_ms) FROM work_queue WHERE state = 'pending' AND due_ms <= $1")
                .bind(now).fetch_one(p).await.map_err(|e| s.db_error(e))?;
            out.oldest_due_age_ms = oldest.map(|d| now - d).unwrap_or(0);
            Ok(out)
        })
    }
}
