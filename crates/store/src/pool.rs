//! The connection pool of either backend, and running one body of code against either.

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

/// The connection pool of either backend.
#[derive(Debug, Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the concrete pool of either backend. The body is compiled
/// once per backend, so the same query text and row mapping serve both.
macro_rules! with_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::Pool::Sqlite($p) => $body,
            $crate::Pool::Postgres($p) => $body,
        }
    };
}

pub(crate) use with_pool;
