//! Mailbox contents: folders, items and user configurations. The mailbox crate gives them
//! meaning (distinguished folders, EWS properties, search); this repository stores them, with a
//! version per row for change keys and optimistic concurrency.

use crate::store::{with_pool, write_tx};
use crate::{Store, StoreError};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct FolderRow {
    pub id: String,
    pub mailbox: String,
    pub parent_id: Option<String>,
    pub distinguished: Option<String>,
    pub display_name: String,
    pub folder_class: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    pub id: String,
    pub mailbox: String,
    pub folder_id: String,
    /// The element name it was created with (Message, Item, CalendarItem, …).
    pub tag: String,
    pub item_class: String,
    pub subject: String,
    /// The item's other properties (JSON, owned by the mailbox crate).
    pub props: String,
    pub created_ms: i64,
    pub received_ms: i64,
    pub modified_ms: i64,
    pub size: i64,
    pub is_read: bool,
    pub is_draft: bool,
    pub immutable: bool,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserConfigurationRow {
    pub id: String,
    pub mailbox: String,
    pub folder_id: String,
    pub name: String,
    pub dictionary: Option<String>,
    pub xml_data: Option<String>,
    pub binary_data: Option<String>,
    pub version: i64,
}

pub struct Mailboxes<'s> {
    store: &'s Store,
}

impl Store {
    pub fn mailboxes(&self) -> Mailboxes<'_> {
        Mailboxes { store: self }
    }
}

macro_rules! folder_from_row {
    ($s:expr, $r:expr) => {{
        let r = $r;
        let e = |e| $s.db_error(e);
        FolderRow {
            id: r.try_get("id").map_err(e)?,
            mailbox: r.try_get("mailbox").map_err(e)?,
            parent_id: r.try_get("parent_id").map_err(e)?,
            distinguished: r.try_get("distinguished").map_err(e)?,
            display_name: r.try_get("display_name").map_err(e)?,
            folder_class: r.try_get("folder_class").map_err(e)?,
            version: r.try_get("version").map_err(e)?,
        }
    }};
}

macro_rules! item_from_row {
    ($s:expr, $r:expr) => {{
        let r = $r;
        let e = |e| $s.db_error(e);
        ItemRow {
            id: r.try_get("id").map_err(e)?,
            mailbox: r.try_get("mailbox").map_err(e)?,
            folder_id: r.try_get("folder_id").map_err(e)?,
            tag: r.try_get("tag").map_err(e)?,
            item_class: r.try_get("item_class").map_err(e)?,
            subject: r.try_get("subject").map_err(e)?,
            props: r.try_get("props").map_err(e)?,
            created_ms: r.try_get("created_ms").map_err(e)?,
            received_ms: r.try_get("received_ms").map_err(e)?,
            modified_ms: r.try_get("modified_ms").map_err(e)?,
            size: r.try_get("size").map_err(e)?,
            is_read: r.try_get::<i64, _>("is_read").map_err(e)? != 0,
            is_draft: r.try_get::<i64, _>("is_draft").map_err(e)? != 0,
            immutable: r.try_get::<i64, _>("immutable").map_err(e)? != 0,
            version: r.try_get("version").map_err(e)?,
        }
    }};
}

macro_rules! config_from_row {
    ($s:expr, $r:expr) => {{
        let r = $r;
        let e = |e| $s.db_error(e);
        UserConfigurationRow {
            id: r.try_get("id").map_err(e)?,
            mailbox: r.try_get("mailbox").map_err(e)?,
            folder_id: r.try_get("folder_id").map_err(e)?,
            name: r.try_get("name").map_err(e)?,
            dictionary: r.try_get("dictionary").map_err(e)?,
            xml_data: r.try_get("xml_data").map_err(e)?,
            binary_data: r.try_get("binary_data").map_err(e)?,
            version: r.try_get("version").map_err(e)?,
        }
    }};
}

const ITEM_COLUMNS: &str = "id, mailbox, folder_id, tag, item_class, subject, props, created_ms, received_ms, modified_ms, size, is_read, is_draft, immutable, version";

fn stale(kind: &str, id: &str, expected: i64, actual: Option<i64>) -> StoreError {
    match actual {
        None => StoreError::NotFound {
            kind: kind.into(),
            name: id.into(),
        },
        Some(actual) => StoreError::Conflict {
            kind: kind.into(),
            name: id.into(),
            expected,
            actual,
        },
    }
}

impl Mailboxes<'_> {
    /// Creates folders that do not exist yet (by mailbox and distinguished name); returns how
    /// many were made. All in one transaction.
    pub async fn ensure_folders(&self, folders: &[FolderRow]) -> Result<usize, StoreError> {
        let s = self.store;
        let made = write_tx!(s, tx => {
            let mut made = 0;
            for f in folders {
                let exists: Option<String> = sqlx::query_scalar("SELECT id FROM mailbox_folders WHERE mailbox = $1 AND distinguished = $2")
                    .bind(&f.mailbox)
                    .bind(&f.distinguished)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| s.db_error(e))?;
                if exists.is_some() {
                    continue;
                }
                sqlx::query("INSERT INTO mailbox_folders (id, mailbox, parent_id, distinguished, display_name, folder_class, version) VALUES ($1, $2, $3, $4, $5, $6, 1)")
                    .bind(&f.id)
                    .bind(&f.mailbox)
                    .bind(&f.parent_id)
                    .bind(&f.distinguished)
                    .bind(&f.display_name)
                    .bind(&f.folder_class)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| s.db_error(e))?;
                made += 1;
            }
            made
        });
        Ok(made)
    }

    pub async fn folders(&self, mailbox: &str) -> Result<Vec<FolderRow>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows = sqlx::query("SELECT * FROM mailbox_folders WHERE mailbox = $1").bind(mailbox).fetch_all(p).await.map_err(|e| s.db_error(e))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(folder_from_row!(s, r));
            }
            Ok(out)
        })
    }

    pub async fn folder(&self, id: &str) -> Result<Option<FolderRow>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let row = sqlx::query("SELECT * FROM mailbox_folders WHERE id = $1").bind(id).fetch_optional(p).await.map_err(|e| s.db_error(e))?;
            Ok(match row { Some(r) => Some(folder_from_row!(s, &r)), None => None })
        })
    }

    /// Item counts per folder of a mailbox: (folder id, total, unread).
    pub async fn counts(&self, mailbox: &str) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows = sqlx::query("SELECT folder_id, COUNT(*) AS total, SUM(CASE WHEN is_read = 0 THEN 1 ELSE 0 END) AS unread FROM mailbox_items WHERE mailbox = $1 GROUP BY folder_id")
                .bind(mailbox).fetch_all(p).await.map_err(|e| s.db_error(e))?;
            let mut out = Vec::new();
            for r in &rows {
                let unread: Option<i64> = r.try_get("unread").map_err(|e| s.db_error(e))?;
                out.push((r.try_get("folder_id").map_err(|e| s.db_error(e))?, r.try_get("total").map_err(|e| s.db_error(e))?, unread.unwrap_or(0)));
            }
            Ok(out)
        })
    }

    /// Inserts items, all or none.
    pub async fn insert_items(&self, items: &[ItemRow]) -> Result<(), StoreError> {
        let s = self.store;
        write_tx!(s, tx => {
            for i in items {
                sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO mailbox_items ({ITEM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1)")))
                    .bind(&i.id).bind(&i.mailbox).bind(&i.folder_id).bind(&i.tag).bind(&i.item_class).bind(&i.subject).bind(&i.props)
                    .bind(i.created_ms).bind(i.received_ms).bind(i.modified_ms).bind(i.size)
                    .bind(i64::from(i.is_read)).bind(i64::from(i.is_draft)).bind(i64::from(i.immutable))
                    .execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            }
        });
        Ok(())
    }

    pub async fn items_in(&self, folder_id: &str) -> Result<Vec<ItemRow>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ITEM_COLUMNS} FROM mailbox_items WHERE folder_id = $1 ORDER BY received_ms DESC, id")))
                .bind(folder_id).fetch_all(p).await.map_err(|e| s.db_error(e))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(item_from_row!(s, r));
            }
            Ok(out)
        })
    }

    pub async fn item(&self, id: &str) -> Result<Option<ItemRow>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ITEM_COLUMNS} FROM mailbox_items WHERE id = $1"))).bind(id).fetch_optional(p).await.map_err(|e| s.db_error(e))?;
            Ok(match row { Some(r) => Some(item_from_row!(s, &r)), None => None })
        })
    }

    /// Saves a changed item if it is still at `item.version`; returns the new version.
    pub async fn update_item(&self, item: &ItemRow) -> Result<i64, StoreError> {
        let s = self.store;
        write_tx!(s, tx => {
            let r = sqlx::query("UPDATE mailbox_items SET folder_id = $1, item_class = $2, subject = $3, props = $4, modified_ms = $5, size = $6, is_read = $7, is_draft = $8, immutable = $9, version = version + 1 WHERE id = $10 AND version = $11")
                .bind(&item.folder_id).bind(&item.item_class).bind(&item.subject).bind(&item.props).bind(item.modified_ms).bind(item.size)
                .bind(i64::from(item.is_read)).bind(i64::from(item.is_draft)).bind(i64::from(item.immutable)).bind(&item.id).bind(item.version)
                .execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            if r.rows_affected() == 0 {
                let actual: Option<i64> = sqlx::query_scalar("SELECT version FROM mailbox_items WHERE id = $1").bind(&item.id).fetch_optional(&mut *tx).await.map_err(|e| s.db_error(e))?;
                return Err(stale("item", &item.id, item.version, actual));
            }
        });
        Ok(item.version + 1)
    }

    pub async fn delete_item(&self, id: &str) -> Result<bool, StoreError> {
        let s = self.store;
        let n = write_tx!(s, tx => {
            sqlx::query("DELETE FROM mailbox_items WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(|e| s.db_error(e))?.rows_affected()
        });
        Ok(n > 0)
    }

    pub async fn user_configuration(
        &self,
        folder_id: &str,
        name: &str,
    ) -> Result<Option<UserConfigurationRow>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let row = sqlx::query("SELECT * FROM user_configurations WHERE folder_id = $1 AND name = $2").bind(folder_id).bind(name).fetch_optional(p).await.map_err(|e| s.db_error(e))?;
            Ok(match row { Some(r) => Some(config_from_row!(s, &r)), None => None })
        })
    }

    /// Creates a user configuration; a second one of the same name in the folder is a Duplicate.
    pub async fn create_user_configuration(
        &self,
        c: &UserConfigurationRow,
    ) -> Result<(), StoreError> {
        let s = self.store;
        write_tx!(s, tx => {
            sqlx::query("INSERT INTO user_configurations (id, mailbox, folder_id, name, dictionary, xml_data, binary_data, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1)")
                .bind(&c.id).bind(&c.mailbox).bind(&c.folder_id).bind(&c.name).bind(&c.dictionary).bind(&c.xml_data).bind(&c.binary_data)
                .execute(&mut *tx).await.map_err(|e| match e.as_database_error() {
                    Some(d) if d.is_unique_violation() => StoreError::Duplicate { kind: "user configuration".into(), name: c.name.clone() },
                    _ => s.db_error(e),
                })?;
        });
        Ok(())
    }

    pub async fn update_user_configuration(
        &self,
        c: &UserConfigurationRow,
    ) -> Result<(), StoreError> {
        let s = self.store;
        write_tx!(s, tx => {
            let r = sqlx::query("UPDATE user_configurations SET dictionary = $1, xml_data = $2, binary_data = $3, version = version + 1 WHERE id = $4 AND version = $5")
                .bind(&c.dictionary).bind(&c.xml_data).bind(&c.binary_data).bind(&c.id).bind(c.version)
                .execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            if r.rows_affected() == 0 {
                let actual: Option<i64> = sqlx::query_scalar("SELECT version FROM user_configurations WHERE id = $1").bind(&c.id).fetch_optional(&mut *tx).await.map_err(|e| s.db_error(e))?;
                return Err(stale("user configuration", &c.name, c.version, actual));
            }
        });
        Ok(())
    }

    pub async fn delete_user_configuration(&self, id: &str) -> Result<bool, StoreError> {
        let s = self.store;
        let n = write_tx!(s, tx => {
            sqlx::query("DELETE FROM user_configurations WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(|e| s.db_error(e))?.rows_affected()
        });
        Ok(n > 0)
    }
}
