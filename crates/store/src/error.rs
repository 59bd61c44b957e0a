use thiserror::Error;

/// Every storage failure, with a stable code. Messages name the store by its URL with any
/// password removed, and say what to do.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "invalid store URL '{url}': {reason} (use sqlite://PATH or postgres://USER@HOST:PORT/DB)"
    )]
    InvalidUrl { url: String, reason: String },
    #[error("cannot open the store {url}: {reason}")]
    Unavailable { url: String, reason: String },
    #[error("migrating the store {url} to version {version} failed: {reason}")]
    Migration {
        url: String,
        version: i64,
        reason: String,
    },
    #[error(
        "the store {url} has schema version {found}, newer than this program knows ({known}); run a newer hybrid"
    )]
    SchemaTooNew { url: String, found: i64, known: i64 },
    #[error("{kind} '{name}' already exists")]
    Duplicate { kind: String, name: String },
    #[error("{kind} '{name}' was not found")]
    NotFound { kind: String, name: String },
    #[error(
        "{kind} '{name}' was changed by someone else (version {actual}, expected {expected}); read it again and retry"
    )]
    Conflict {
        kind: String,
        name: String,
        expected: i64,
        actual: i64,
    },
    #[error("{what} is {size} bytes; the limit is {limit}")]
    TooLarge {
        what: String,
        size: usize,
        limit: usize,
    },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the store {url} failed: {reason}")]
    Database { url: String, reason: String },
}

impl StoreError {
    /// A stable identifier for this kind of failure.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::InvalidUrl { .. } => "StoreInvalidUrl",
            StoreError::Unavailable { .. } => "StoreUnavailable",
            StoreError::Migration { .. } => "StoreMigrationFailed",
            StoreError::SchemaTooNew { .. } => "StoreSchemaTooNew",
            StoreError::Duplicate { .. } => "StoreDuplicate",
            StoreError::NotFound { .. } => "StoreNotFound",
            StoreError::Conflict { .. } => "StoreConflict",
            StoreError::TooLarge { .. } => "StoreTooLarge",
            StoreError::Corrupt(_) => "StoreCorrupt",
            StoreError::Database { .. } => "StoreDatabaseError",
        }
    }
}
