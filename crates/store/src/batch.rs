//! Several statements of one transaction sent to the database together.
//!
//! The SQLite driver runs each connection on a thread of its own and hands every statement to
//! it and its answer back: two thread wake-ups a statement, which on a virtual machine cost
//! about a hundred microseconds, all of it while the database's one write lock is held. A
//! [`Batch`] joins a write's statements into one SQLite call (SQLite runs the statements of
//! one text in order, and `$N` parameters are numbered across the whole text). PostgreSQL does
//! not take several statements with parameters in one prepared call; there each statement
//! goes on its own, as before. The SQL text is the same for both.

use sqlx::{Postgres, Sqlite, Transaction};

/// A bound value.
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    Real(Option<f64>),
    OptText(Option<String>),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Text(s.to_string())
    }
}
impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Text(s.clone())
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Int(n)
    }
}
impl From<Option<f64>> for Arg {
    fn from(n: Option<f64>) -> Arg {
        Arg::Real(n)
    }
}

/// SQLite refuses a text with more parameters than this (its default limit is 32,766).
const MAX_ARGS: usize = 30_000;

#[derive(Default)]
pub(crate) struct Batch {
    statements: Vec<(&'static str, Vec<Arg>)>,
}

impl Batch {
    /// Adds a statement whose parameters are `$1`… in its own text.
    pub(crate) fn push(&mut self, sql: &'static str, args: Vec<Arg>) {
        self.statements.push((sql, args));
    }
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind(s),
                Arg::Int(n) => q.bind(n),
                Arg::Real(r) => q.bind(r),
                Arg::OptText(t) => q.bind(t),
            };
        }
        q
    }};
}

/// Runs a batch inside a transaction of either backend.
pub(crate) trait RunBatch {
    async fn run(&mut self, batch: Batch) -> Result<(), sqlx::Error>;
}

impl Batch {
    /// The statements joined into as few SQLite calls as the argument limit allows: each call's
    /// text and its arguments, `$N` numbered across the call.
    fn joined(self) -> Vec<(String, Vec<Arg>)> {
        let mut calls = Vec::new();
        let mut sql = String::new();
        let mut args = Vec::new();
        for (text, mut own) in self.statements {
            if !sql.is_empty() && args.len() + own.len() > MAX_ARGS {
                calls.push((std::mem::take(&mut sql), std::mem::take(&mut args)));
            }
            renumber_into(&mut sql, text, args.len());
            sql.push_str(";\n");
            args.append(&mut own);
        }
        if !sql.is_empty() {
            calls.push((sql, args));
        }
        calls
    }

    /// SQLite: the batch as a transaction of its own, BEGIN IMMEDIATE and COMMIT sent in the
    /// same calls as the first and the last statements. The write lock is then held for one
    /// hand-off to the driver's thread instead of three. On an error the transaction is rolled
    /// back, so the connection is left as it was found.
    pub(crate) async fn commit_sqlite(
        self,
        conn: &mut sqlx::SqliteConnection,
    ) -> Result<(), sqlx::Error> {
        let mut calls = self.joined();
        match calls.first_mut() {
            Some(first) => first.0.insert_str(0, "BEGIN IMMEDIATE;\n"),
            None => return Ok(()),
        }
        Self::finish_sqlite(calls, conn).await
    }

    /// [`Batch::commit_sqlite`] within a transaction the caller began on `conn` (and read in).
    pub(crate) async fn commit_sqlite_begun(
        self,
        conn: &mut sqlx::SqliteConnection,
    ) -> Result<(), sqlx::Error> {
        let mut calls = self.joined();
        if calls.is_empty() {
            calls.push((String::new(), vec![]));
        }
        Self::finish_sqlite(calls, conn).await
    }

    async fn finish_sqlite(
        mut calls: Vec<(String, Vec<Arg>)>,
        conn: &mut sqlx::SqliteConnection,
    ) -> Result<(), sqlx::Error> {
        if let Some(last) = calls.last_mut() {
            last.0.push_str("COMMIT;\n");
        }
        for (sql, args) in calls {
            let q = sqlx::query(sqlx::AssertSqlSafe(sql));
            if let Err(e) = bind_all!(q, args).execute(&mut *conn).await {
                // When BEGIN itself failed there is nothing to undo, and ROLLBACK's own
                // refusal says nothing more than the error returned.
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                return Err(e);
            }
        }
        Ok(())
    }
}

impl RunBatch for Transaction<'_, Sqlite> {
    async fn run(&mut self, batch: Batch) -> Result<(), sqlx::Error> {
        for (sql, args) in batch.joined() {
            let q = sqlx::query(sqlx::AssertSqlSafe(sql));
            bind_all!(q, args).execute(&mut **self).await?;
        }
        Ok(())
    }
}

impl RunBatch for Transaction<'_, Postgres> {
    async fn run(&mut self, batch: Batch) -> Result<(), sqlx::Error> {
        for (text, args) in batch.statements {
            bind_all!(sqlx::query(text), args)
                .execute(&mut **self)
                .await?;
        }
        Ok(())
    }
}

/// Appends `text` with each `$N` moved up by `offset`.
fn renumber_into(out: &mut String, text: &str, offset: usize) {
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut n = 0usize;
        let mut digits = false;
        while let Some(&(_, d)) = chars.peek() {
            match d.to_digit(10) {
                Some(v) => {
                    n = n * 10 + v as usize;
                    digits = true;
                    chars.next();
                }
                None => break,
            }
        }
        if digits {
            out.push_str(&(n + offset).to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_across_the_batch() {
        let mut out = String::new();
        renumber_into(&mut out, "INSERT INTO t (a, b) VALUES ($1, $2)", 0);
        renumber_into(
            &mut out,
            "; UPDATE t SET a = $2 WHERE b = $1 AND c = $10",
            5,
        );
        assert_eq!(
            out,
            "INSERT INTO t (a, b) VALUES ($1, $2); UPDATE t SET a = $7 WHERE b = $6 AND c = $15"
        );
    }

    async fn rows(conn: &mut sqlx::SqliteConnection) -> Vec<(String, i64)> {
        sqlx::query_as("SELECT k, v FROM t ORDER BY k")
            .fetch_all(conn)
            .await
            .unwrap()
    }

    /// A batch committed in one call is all or nothing, and a failure leaves the connection
    /// outside any transaction, ready for the next write.
    #[tokio::test]
    async fn a_batch_committed_in_one_call_is_all_or_nothing() {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
            .execute(&mut conn)
            .await
            .unwrap();
        let insert = "INSERT INTO t (k, v) VALUES ($1, $2)";
        let mut ok = Batch::default();
        ok.push(insert, vec!["a".into(), 1.into()]);
        ok.push(insert, vec!["b".into(), 2.into()]);
        ok.commit_sqlite(&mut conn).await.unwrap();
        assert_eq!(rows(&mut conn).await, [("a".into(), 1), ("b".into(), 2)]);

        let mut clash = Batch::default();
        clash.push(insert, vec!["c".into(), 3.into()]);
        clash.push(insert, vec!["a".into(), 4.into()]); // the primary key again
        assert!(clash.commit_sqlite(&mut conn).await.is_err());
        assert_eq!(
            rows(&mut conn).await,
            [("a".into(), 1), ("b".into(), 2)],
            "the first statement of the failed batch was rolled back"
        );
        let mut next = Batch::default();
        next.push(insert, vec!["d".into(), 5.into()]);
        next.commit_sqlite(&mut conn).await.unwrap();
        assert_eq!(
            rows(&mut conn).await.len(),
            3,
            "BEGIN works again after the failure"
        );
    }
}
