//! Directory objects: versioned configuration objects (a tenant's service principals, an
//! organization's AuthServers, partner applications, recipients, …), each of a kind, under a
//! parent (tenant or organization), with a name unique within its kind and parent regardless
//! of case, a JSON body, and a version for optimistic concurrency.

use crate::changes::record_change;
use crate::store::{with_pool, write_tx};
use crate::{Store, StoreError, now_ms};
use serde_json::Value;
use sqlx::Row;

/// The largest JSON body an object may have.
pub const MAX_OBJECT_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryObject {
    pub id: String,
    pub kind: String,
    pub parent: String,
    pub name: String,
    pub data: Value,
    /// Starts at 1; every update adds 1.
    pub version: i64,
    pub created_ms: i64,
    pub changed_ms: i64,
}

/// An object to create. `id` defaults to a new GUID.
#[derive(Debug, Clone)]
pub struct NewObject {
    pub id: Option<String>,
    pub kind: String,
    pub parent: String,
    pub name: String,
    pub data: Value,
}

impl NewObject {
    pub fn new(kind: &str, parent: &str, name: &str, data: Value) -> Self {
        NewObject {
            id: None,
            kind: kind.into(),
            parent: parent.into(),
            name: name.into(),
            data,
        }
    }
}

/// The repository of directory objects.
pub struct DirectoryObjects<'s> {
    store: &'s Store,
}

impl Store {
    pub fn directory(&self) -> DirectoryObjects<'_> {
        DirectoryObjects { store: self }
    }
}

macro_rules! object_from_row {
    ($store:expr, $row:expr) => {{
        let row = $row;
        let data: String = row.try_get("data").map_err(|e| $store.db_error(e))?;
        DirectoryObject {
            id: row.try_get("id").map_err(|e| $store.db_error(e))?,
            kind: row.try_get("kind").map_err(|e| $store.db_error(e))?,
            parent: row.try_get("parent").map_err(|e| $store.db_error(e))?,
            name: row.try_get("name").map_err(|e| $store.db_error(e))?,
            data: serde_json::from_str(&data)
                .map_err(|e| StoreError::Corrupt(format!("object body: {e}")))?,
            version: row.try_get("version").map_err(|e| $store.db_error(e))?,
            created_ms: row.try_get("created_ms").map_err(|e| $store.db_error(e))?,
            changed_ms: row.try_get("changed_ms").map_err(|e| $store.db_error(e))?,
        }
    }};
}

const COLUMNS: &str = "id, kind, parent, name, data, version, created_ms, changed_ms";

fn body(obj_kind: &str, name: &str, data: &Value) -> Result<String, StoreError> {
    let text = data.to_string();
    if text.len() > MAX_OBJECT_BYTES {
        return Err(StoreError::TooLarge {
            what: format!("{obj_kind} '{name}'"),
            size: text.len(),
            limit: MAX_OBJECT_BYTES,
        });
    }
    Ok(text)
}

fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

impl DirectoryObjects<'_> {
    /// Creates one object. A name already used by its kind under its parent is refused.
    pub async fn create(&self, new: NewObject) -> Result<DirectoryObject, StoreError> {
        Ok(self.create_all(vec![new]).await?.remove(0))
    }

    /// Creates several objects in one transaction: all of them, or none.
    pub async fn create_all(
        &self,
        new: Vec<NewObject>,
    ) -> Result<Vec<DirectoryObject>, StoreError> {
        let store = self.store;
        let now = now_ms();
        let mut prepared = Vec::with_capacity(new.len());
        for n in new {
            if n.name.trim().is_empty() {
                return Err(StoreError::Corrupt(format!("a {} needs a name", n.kind)));
            }
            let text = body(&n.kind, &n.name, &n.data)?;
            let id =
                n.id.clone()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            prepared.push((id, n, text));
        }
        let (seqs, created) = write_tx!(store, tx => {
            let mut created = Vec::with_capacity(prepared.len());
            let mut seqs = Vec::new();
            for (id, n, text) in &prepared {
                let result = sqlx::query(
                    "INSERT INTO directory_objects (id, kind, parent, name, name_key, data, version, created_ms, changed_ms)
                     VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
                )
                .bind(id)
                .bind(&n.kind)
                .bind(&n.parent)
                .bind(n.name.trim())
                .bind(name_key(&n.name))
                .bind(text)
                .bind(now)
                .execute(&mut *tx)
                .await;
                if let Err(e) = result {
                    return Err(duplicate_or(store, e, &n.kind, &n.name));
                }
                created.push(DirectoryObject {
                    id: id.clone(),
                    kind: n.kind.clone(),
                    parent: n.parent.clone(),
                    name: n.name.trim().to_string(),
                    data: n.data.clone(),
                    version: 1,
                    created_ms: now,
                    changed_ms: now,
                });
            }
            let mut kinds: Vec<&str> = prepared.iter().map(|(_, n, _)| n.kind.as_str()).collect();
            kinds.dedup();
            for kind in kinds {
                seqs.push((record_change!(store, tx, kind), kind.to_string()));
            }
            (seqs, created)
        });
        for (seq, kind) in seqs {
            store.feed().committed(seq, &kind);
        }
        Ok(created)
    }

    /// The object with this id.
    pub async fn get(&self, id: &str) -> Result<Option<DirectoryObject>, StoreError> {
        let store = self.store;
        with_pool!(store.pool(), p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM directory_objects WHERE id = $1")))
                .bind(id)
                .fetch_optional(p)
                .await
                .map_err(|e| store.db_error(e))?;
            Ok(match row { Some(r) => Some(object_from_row!(store, &r)), None => None })
        })
    }

    /// The object of `kind` under `parent` with this name (any case).
    pub async fn find(
        &self,
        kind: &str,
        parent: &str,
        name: &str,
    ) -> Result<Option<DirectoryObject>, StoreError> {
        let store = self.store;
        with_pool!(store.pool(), p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM directory_objects WHERE kind = $1 AND parent = $2 AND name_key = $3"
            )))
            .bind(kind)
            .bind(parent)
            .bind(name_key(name))
            .fetch_optional(p)
            .await
            .map_err(|e| store.db_error(e))?;
            Ok(match row { Some(r) => Some(object_from_row!(store, &r)), None => None })
        })
    }

    /// Every object of `kind` under `parent` (every parent when `parent` is None), by name.
    pub async fn list(
        &self,
        kind: &str,
        parent: Option<&str>,
    ) -> Result<Vec<DirectoryObject>, StoreError> {
        let store = self.store;
        with_pool!(store.pool(), p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM directory_objects WHERE kind = $1 AND ($2 IS NULL OR parent = $2)
                 ORDER BY parent, name_key"
            )))
            .bind(kind)
            .bind(parent)
            .fetch_all(p)
            .await
            .map_err(|e| store.db_error(e))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(object_from_row!(store, r));
            }
            Ok(out)
        })
    }

    /// Replaces an object's name and body if it is still at `expected_version`; a stale
    /// version is refused with [`StoreError::Conflict`] and changes nothing.
    pub async fn update(
        &self,
        current: &DirectoryObject,
        name: &str,
        data: Value,
    ) -> Result<DirectoryObject, StoreError> {
        let store = self.store;
        let text = body(&current.kind, name, &data)?;
        let now = now_ms();
        let seq = write_tx!(store, tx => {
            let result = sqlx::query(
                "UPDATE directory_objects SET name = $1, name_key = $2, data = $3, version = version + 1, changed_ms = $4
                 WHERE id = $5 AND version = $6",
            )
            .bind(name.trim())
            .bind(name_key(name))
            .bind(&text)
            .bind(now)
            .bind(&current.id)
            .bind(current.version)
            .execute(&mut *tx)
            .await
            .map_err(|e| duplicate_or(store, e, &current.kind, name))?;
            if result.rows_affected() == 0 {
                let actual: Option<i64> = sqlx::query_scalar("SELECT version FROM directory_objects WHERE id = $1")
                    .bind(&current.id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| store.db_error(e))?;
                return Err(stale(current, actual));
            }
            record_change!(store, tx, &current.kind)
        });
        store.feed().committed(seq, &current.kind);
        Ok(DirectoryObject {
            name: name.trim().to_string(),
            data,
            version: current.version + 1,
            changed_ms: now,
            ..current.clone()
        })
    }

    /// Deletes an object if it is still at its version.
    pub async fn delete(&self, current: &DirectoryObject) -> Result<(), StoreError> {
        let store = self.store;
        let seq = write_tx!(store, tx => {
            let result = sqlx::query("DELETE FROM directory_objects WHERE id = $1 AND version = $2")
                .bind(&current.id)
                .bind(current.version)
                .execute(&mut *tx)
                .await
                .map_err(|e| store.db_error(e))?;
            if result.rows_affected() == 0 {
                let actual: Option<i64> = sqlx::query_scalar("SELECT version FROM directory_objects WHERE id = $1")
                    .bind(&current.id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| store.db_error(e))?;
                return Err(stale(current, actual));
            }
            record_change!(store, tx, &current.kind)
        });
        store.feed().committed(seq, &current.kind);
        Ok(())
    }
}

fn duplicate_or(store: &Store, e: sqlx::Error, kind: &str, name: &str) -> StoreError {
    match e.as_database_error() {
        Some(d) if d.is_unique_violation() => StoreError::Duplicate {
            kind: kind.into(),
            name: name.trim().into(),
        },
        _ => store.db_error(e),
    }
}

/// Why a versioned write changed nothing: the object is gone, or another writer moved it on.
fn stale(current: &DirectoryObject, actual: Option<i64>) -> StoreError {
    match actual {
        None => StoreError::NotFound {
            kind: current.kind.clone(),
            name: current.name.clone(),
        },
        Some(actual) => StoreError::Conflict {
            kind: current.kind.clone(),
            name: current.name.clone(),
            expected: current.version,
            actual,
        },
    }
}
