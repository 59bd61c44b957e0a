//! Client assertions already used, shared by every process of a service: a row per assertion
//! digest until the assertion can no longer be accepted. The token service keeps an in-memory
//! front for the replays one process sees itself; this table decides across processes and
//! across restarts.

use crate::StoreError;
use crate::store::{Store, with_pool};

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
        with_pool!(s.pool(), p => {
            let writer = s.writer().await;
            let done = sqlx::query(sql)
                .bind(digest).bind(forget_after).bind(now)
                .execute(p).await.map_err(|e| s.db_error(e))?;
            drop(writer);
            s.durable().await?;
            Ok(done.rows_affected() == 1)
        })
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
