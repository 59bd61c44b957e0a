//! Mailbox contents: folders, items and user configurations. The mailbox crate gives them
//! meaning (distinguished folders, EWS properties, search); this repository stores them, with a
//! version per row for change keys and optimistic concurrency, sort and text keys on indexed
//! columns, an index of extended-property values, and folder counts kept in step with every
//! write, so that no request needs to read a whole folder.

use crate::batch::{Batch, RunBatch};
use crate::changes::{notify_mail, record_change};
use crate::search::{self, ItemFilter, OrderKey, SqlValue, text_key};
use crate::store::{with_pool, write_tx};
use crate::{Store, StoreError};
use sqlx::Row;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct FolderRow {
    pub id: String,
    pub mailbox: String,
    pub parent_id: Option<String>,
    pub distinguished: Option<String>,
    pub display_name: String,
    pub folder_class: Option<String>,
    /// The folder's other properties (JSON, owned by the mailbox crate).
    pub props: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// 1: the first release's form (XML fragments); 2: the mailbox crate's typed form.
    pub props_format: i64,
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
    pub(crate) store: &'s Store,
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
            props: r.try_get("props").map_err(e)?,
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
            props_format: r.try_get("props_format").map_err(e)?,
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

const ITEM_COLUMNS: &str = "id, mailbox, folder_id, tag, item_class, subject, props, props_format, created_ms, received_ms, modified_ms, size, is_read, is_draft, immutable, version";

/// The change channel of folder writes (creating, renaming, moving or removing folders).
pub const FOLDERS_CHANNEL: &str = "MailboxFolders";

/// One value of an item's extended property, as the value index keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemValue {
    pub key: String,
    pub text: String,
}

/// A folder's kept counts: its items, the unread ones, and their total size in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FolderCounts {
    pub folder_id: String,
    pub total: i64,
    pub unread: i64,
    pub size: i64,
}

/// How an item's writes change its folder's counts.
#[derive(Default)]
struct CountDelta(HashMap<(String, String), (i64, i64, i64)>);

impl CountDelta {
    fn add(&mut self, item: &ItemRow, sign: i64) {
        let e = self
            .0
            .entry((item.folder_id.clone(), text_key(&item.item_class)))
            .or_default();
        e.0 += sign;
        e.1 += if item.is_read { 0 } else { sign };
        e.2 += sign * item.size;
    }
}

/// The statements every write of an item shares, added to one batch (see batch.rs).
mod item_writes {
    use super::{CountDelta, ItemRow, ItemValue};
    use crate::batch::{Arg, Batch};
    use crate::text_key;

    pub(super) fn insert(b: &mut Batch, i: &ItemRow) {
        b.push(
            "INSERT INTO mailbox_items (id, mailbox, folder_id, tag, item_class, subject, props, props_format, created_ms, received_ms, modified_ms, size, is_read, is_draft, immutable, version, subject_key, class_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $17, $8, $9, $10, $11, $12, $13, $14, 1, $15, $16)",
            vec![
                (&i.id).into(), (&i.mailbox).into(), (&i.folder_id).into(), (&i.tag).into(),
                (&i.item_class).into(), (&i.subject).into(), (&i.props).into(),
                i.created_ms.into(), i.received_ms.into(), i.modified_ms.into(), i.size.into(),
                i64::from(i.is_read).into(), i64::from(i.is_draft).into(), i64::from(i.immutable).into(),
                Arg::Text(text_key(&i.subject)), Arg::Text(text_key(&i.item_class)),
                i.props_format.into(),
            ],
        );
    }

    /// The item's value index entries; `replace` removes the old ones first.
    pub(super) fn values(b: &mut Batch, id: &str, values: &[ItemValue], replace: bool) {
        if replace {
            b.push(
                "DELETE FROM mailbox_item_values WHERE item_id = $1",
                vec![id.into()],
            );
        }
        for v in values {
            let number = v.text.trim().parse::<f64>().ok().filter(|n| n.is_finite());
            b.push(
                "INSERT INTO mailbox_item_values (item_id, prop_key, value_text, value_key, value_num) VALUES ($1, $2, $3, $4, $5)",
                vec![id.into(), (&v.key).into(), (&v.text).into(), Arg::Text(text_key(&v.text)), number.into()],
            );
        }
    }

    /// Journals a change of `i` in `folder`; `other` is the folder at the other end of a move
    /// (where it went, on the `delete` entry; where it came from, on the `create` one).
    pub(super) fn journal(
        b: &mut Batch,
        i: &ItemRow,
        folder: &str,
        kind: &str,
        other: Option<&str>,
    ) {
        let new_mail = kind == "create" && other.is_none() && is_new_mail(i);
        b.push(
            "INSERT INTO mailbox_item_journal (folder_id, item_id, kind, at_ms, mailbox, other_folder, new_mail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                folder.into(), (&i.id).into(), kind.into(), crate::now_ms().into(), (&i.mailbox).into(),
                Arg::OptText(other.map(str::to_string)), i64::from(new_mail).into(),
            ],
        );
    }

    /// Journals the arriving half of a move: `i` in its new folder, under its new id, coming
    /// from `old`.
    pub(super) fn journal_move(b: &mut Batch, i: &ItemRow, old: &ItemRow) {
        b.push(
            "INSERT INTO mailbox_item_journal (folder_id, item_id, kind, at_ms, mailbox, other_folder, other_item) VALUES ($1, $2, 'create', $3, $4, $5, $6)",
            vec![
                (&i.folder_id).into(), (&i.id).into(), crate::now_ms().into(), (&i.mailbox).into(),
                (&old.folder_id).into(), (&old.id).into(),
            ],
        );
    }

    /// Journals a copy: `i` made from `from` (folder synchronization reads it as a create).
    pub(super) fn journal_copy(b: &mut Batch, i: &ItemRow, from: &ItemRow) {
        b.push(
            "INSERT INTO mailbox_item_journal (folder_id, item_id, kind, at_ms, mailbox, other_folder, other_item) VALUES ($1, $2, 'copy', $3, $4, $5, $6)",
            vec![
                (&i.folder_id).into(), (&i.id).into(), crate::now_ms().into(), (&i.mailbox).into(),
                (&from.folder_id).into(), (&from.id).into(),
            ],
        );
    }

    /// Mail that arrived: an unread message, meeting message or report that is not a draft
    /// (a sent copy is read, a saved draft is a draft).
    fn is_new_mail(i: &ItemRow) -> bool {
        let class = i.item_class.to_ascii_lowercase();
        !i.is_draft
            && !i.is_read
            && ["ipm.note", "ipm.schedule.meeting", "report."]
                .iter()
                .any(|p| class.starts_with(p))
    }

    pub(super) fn counts(b: &mut Batch, delta: &CountDelta) {
        for ((folder, class), (total, unread, size)) in &delta.0 {
            if *total == 0 && *unread == 0 && *size == 0 {
                continue;
            }
            b.push(
                "INSERT INTO mailbox_folder_counts (folder_id, class_key, total, unread, size) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (folder_id, class_key) DO UPDATE SET total = mailbox_folder_counts.total + excluded.total, unread = mailbox_folder_counts.unread + excluded.unread, size = mailbox_folder_counts.size + excluded.size",
                vec![folder.into(), class.into(), (*total).into(), (*unread).into(), (*size).into()],
            );
        }
    }
}

/// Whether another folder under the same parent has `f`'s display name (case ignored).
macro_rules! sibling_taken {
    ($s:expr, $tx:expr, $f:expr) => {{
        let f: &FolderRow = $f;
        let names: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, display_name FROM mailbox_folders WHERE mailbox = $1 AND parent_id = $2",
        )
        .bind(&f.mailbox)
        .bind(&f.parent_id)
        .fetch_all(&mut *$tx)
        .await
        .map_err(|e| $s.db_error(e))?;
        let key = text_key(&f.display_name);
        names
            .iter()
            .any(|(id, n)| *id != f.id && text_key(n) == key)
    }};
}

/// Journals a change of folder `f` under its parent (`other`: the parent it left, on a move).
macro_rules! folder_event {
    ($s:expr, $tx:expr, $f:expr, $kind:expr, $other:expr) => {{
        let f: &FolderRow = $f;
        let other: Option<String> = $other;
        sqlx::query("INSERT INTO mailbox_item_journal (folder_id, item_id, kind, at_ms, mailbox, other_folder) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(f.parent_id.clone().unwrap_or_default()).bind(&f.id).bind($kind).bind(crate::now_ms()).bind(&f.mailbox).bind(other)
            .execute(&mut *$tx).await.map_err(|e| $s.db_error(e))?;
        notify_mail!($s, $tx);
    }};
}

/// Deletes a folder's items with their values and kept counts; yields how many.
macro_rules! remove_items {
    ($s:expr, $tx:expr, $folder:expr) => {{
        let folder: &str = $folder;
        sqlx::query("INSERT INTO mailbox_item_journal (folder_id, item_id, kind, at_ms, mailbox) SELECT folder_id, id, 'delete', $2, mailbox FROM mailbox_items WHERE folder_id = $1").bind(folder).bind(crate::now_ms()).execute(&mut *$tx).await.map_err(|e| $s.db_error(e))?;
        sqlx::query("DELETE FROM mailbox_item_values WHERE item_id IN (SELECT id FROM mailbox_items WHERE folder_id = $1)").bind(folder).execute(&mut *$tx).await.map_err(|e| $s.db_error(e))?;
        let n = sqlx::query("DELETE FROM mailbox_items WHERE folder_id = $1").bind(folder).execute(&mut *$tx).await.map_err(|e| $s.db_error(e))?.rows_affected();
        sqlx::query("DELETE FROM mailbox_folder_counts WHERE folder_id = $1").bind(folder).execute(&mut *$tx).await.map_err(|e| $s.db_error(e))?;
        n
    }};
}

/// Binds compiled parameters after the folder id.
macro_rules! bind_params {
    ($q:expr, $params:expr) => {{
        let mut q = $q;
        for v in $params {
            q = match v {
                SqlValue::Text(t) => q.bind(t.clone()),
                SqlValue::Int(i) => q.bind(*i),
                SqlValue::Real(r) => q.bind(*r),
            };
        }
        q
    }};
}

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
                sqlx::query("INSERT INTO mailbox_folders (id, mailbox, parent_id, distinguished, display_name, folder_class, props, version) VALUES ($1, $2, $3, $4, $5, $6, '{}', 1)")
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
            // Every process keeps folder trees in memory: this tells them to read them again.
            let seq = if made > 0 { Some(record_change!(s, tx, FOLDERS_CHANNEL)) } else { None };
            (made, seq)
        });
        let (made, seq) = made;
        if let Some(seq) = seq {
            s.feed().committed(seq, FOLDERS_CHANNEL);
        }
        Ok(made)
    }

    /// Creates a folder; another of the same name (case ignored) under its parent is a
    /// Duplicate.
    pub async fn create_folder(&self, f: &FolderRow) -> Result<(), StoreError> {
        let s = self.store;
        let seq = write_tx!(s, tx => {
            if sibling_taken!(s, tx, f) {
                return Err(StoreError::Duplicate { kind: "folder".into(), name: f.display_name.clone() });
            }
            sqlx::query("INSERT INTO mailbox_folders (id, mailbox, parent_id, distinguished, display_name, folder_class, props, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1)")
                .bind(&f.id).bind(&f.mailbox).bind(&f.parent_id).bind(&f.distinguished).bind(&f.display_name).bind(&f.folder_class).bind(&f.props)
                .execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            folder_event!(s, tx, f, "folder-create", None::<String>);
            record_change!(s, tx, FOLDERS_CHANNEL)
        });
        s.feed().committed(seq, FOLDERS_CHANNEL);
        s.feed().mail_written();
        Ok(())
    }

    /// Saves a changed folder (name, class, parent, properties) if it is still at
    /// `f.version`; returns the new version.
    pub async fn update_folder(&self, f: &FolderRow) -> Result<i64, StoreError> {
        let s = self.store;
        let seq = write_tx!(s, tx => {
            let actual: Option<(i64, Option<String>)> = sqlx::query_as("SELECT version, parent_id FROM mailbox_folders WHERE id = $1").bind(&f.id).fetch_optional(&mut *tx).await.map_err(|e| s.db_error(e))?;
            let (actual, old_parent) = match actual {
                Some((v, p)) => (Some(v), p),
                None => (None, None),
            };
            if actual != Some(f.version) {
                return Err(stale("folder", &f.id, f.version, actual));
            }
            if sibling_taken!(s, tx, f) {
                return Err(StoreError::Duplicate { kind: "folder".into(), name: f.display_name.clone() });
            }
            sqlx::query("UPDATE mailbox_folders SET parent_id = $1, display_name = $2, folder_class = $3, props = $4, version = version + 1 WHERE id = $5")
                .bind(&f.parent_id).bind(&f.display_name).bind(&f.folder_class).bind(&f.props).bind(&f.id)
                .execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            if old_parent != f.parent_id {
                folder_event!(s, tx, f, "folder-move", Some(old_parent.unwrap_or_default()));
            } else {
                folder_event!(s, tx, f, "folder-update", None::<String>);
            }
            record_change!(s, tx, FOLDERS_CHANNEL)
        });
        s.feed().committed(seq, FOLDERS_CHANNEL);
        s.feed().mail_written();
        Ok(f.version + 1)
    }

    /// Removes the items of a folder (their values and counts with them); returns how many.
    pub async fn empty_folder(&self, folder_id: &str) -> Result<u64, StoreError> {
        let s = self.store;
        let n = write_tx!(s, tx => {
            let n = remove_items!(s, tx, folder_id);
            notify_mail!(s, tx);
            n
        });
        s.feed().mail_written();
        Ok(n)
    }

    /// Removes folders with their items and user configurations, all or none.
    pub async fn delete_folders(&self, ids: &[String]) -> Result<(), StoreError> {
        let s = self.store;
        let seq = write_tx!(s, tx => {
            for id in ids {
                remove_items!(s, tx, id);
                sqlx::query("DELETE FROM user_configurations WHERE folder_id = $1").bind(id).execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            }
            for id in ids {
                sqlx::query("INSERT INTO mailbox_item_journal (folder_id, item_id, kind, at_ms, mailbox) SELECT COALESCE(parent_id, ''), id, 'folder-delete', $2, mailbox FROM mailbox_folders WHERE id = $1")
                    .bind(id).bind(crate::now_ms()).execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            }
            notify_mail!(s, tx);
            // Children first: the tree's parent references stay valid at every step.
            for id in ids.iter().rev() {
                sqlx::query("DELETE FROM mailbox_folders WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            }
            record_change!(s, tx, FOLDERS_CHANNEL)
        });
        s.feed().committed(seq, FOLDERS_CHANNEL);
        s.feed().mail_written();
        Ok(())
    }

    pub async fn folders(&self, mailbox: &str) -> Result<Vec<FolderRow>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows = sqlx::query("SELECT id, mailbox, parent_id, distinguished, display_name, folder_class, props, version FROM mailbox_folders WHERE mailbox = $1")
                .bind(mailbox).fetch_all(p).await.map_err(|e| s.db_error(e))?;
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

    /// The kept counts of a mailbox's folders.
    pub async fn folder_counts(&self, mailbox: &str) -> Result<Vec<FolderCounts>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows = sqlx::query("SELECT c.folder_id, CAST(SUM(c.total) AS BIGINT) AS total, CAST(SUM(c.unread) AS BIGINT) AS unread, CAST(SUM(c.size) AS BIGINT) AS size FROM mailbox_folder_counts c JOIN mailbox_folders f ON f.id = c.folder_id WHERE f.mailbox = $1 GROUP BY c.folder_id")
                .bind(mailbox).fetch_all(p).await.map_err(|e| s.db_error(e))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let e = |e| s.db_error(e);
                let n = |name: &str| -> Result<i64, StoreError> { Ok(r.try_get::<Option<i64>, _>(name).map_err(e)?.unwrap_or(0)) };
                out.push(FolderCounts { folder_id: r.try_get("folder_id").map_err(e)?, total: n("total")?, unread: n("unread")?, size: n("size")? });
            }
            Ok(out)
        })
    }

    /// The kept count of a folder's items of one class: (total, unread).
    pub async fn class_count(
        &self,
        folder_id: &str,
        item_class: &str,
    ) -> Result<(i64, i64), StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let row = sqlx::query("SELECT total, unread FROM mailbox_folder_counts WHERE folder_id = $1 AND class_key = $2")
                .bind(folder_id).bind(text_key(item_class)).fetch_optional(p).await.map_err(|e| s.db_error(e))?;
            Ok(match row {
                Some(r) => (r.try_get("total").map_err(|e| s.db_error(e))?, r.try_get("unread").map_err(|e| s.db_error(e))?),
                None => (0, 0),
            })
        })
    }

    /// Inserts items with their extended-property values, all or none.
    pub async fn insert_items(
        &self,
        items: &[(ItemRow, Vec<ItemValue>)],
    ) -> Result<(), StoreError> {
        self.insert_items_queued(items, &[]).await
    }

    /// Inserts items and enqueues work on the store's queue in one transaction (a sent copy and
    /// its delivery: neither without the other).
    pub async fn insert_items_queued(
        &self,
        items: &[(ItemRow, Vec<ItemValue>)],
        jobs: &[crate::NewJob],
    ) -> Result<(), StoreError> {
        let s = self.store;
        let mut delta = CountDelta::default();
        for (i, _) in items {
            delta.add(i, 1);
        }
        let mut batch = Batch::default();
        for (i, values) in items {
            item_writes::insert(&mut batch, i);
            item_writes::journal(&mut batch, i, &i.folder_id, "create", None);
            item_writes::values(&mut batch, &i.id, values, false);
        }
        item_writes::counts(&mut batch, &delta);
        let now = crate::now_ms();
        for j in jobs {
            batch.push(
                "INSERT INTO work_queue (id, kind, payload, state, due_ms, attempts, last_error, lease_owner, lease_until_ms, created_ms, updated_ms) VALUES ($1, $2, $3, 'pending', $4, 0, '', '', 0, $4, $4) ON CONFLICT (id) DO NOTHING",
                vec![(&j.id).into(), (&j.kind).into(), crate::batch::Arg::Text(j.payload.to_string()), now.into()],
            );
        }
        commit_mail_batch(s, batch).await?;
        s.feed().mail_written();
        Ok(())
    }

    /// Inserts a copy of the item `from` (its values too), journalled as a copy of it.
    pub async fn insert_copy(
        &self,
        copy: &ItemRow,
        values: &[ItemValue],
        from: &ItemRow,
    ) -> Result<(), StoreError> {
        let s = self.store;
        let mut delta = CountDelta::default();
        delta.add(copy, 1);
        let mut batch = Batch::default();
        item_writes::insert(&mut batch, copy);
        item_writes::journal_copy(&mut batch, copy, from);
        item_writes::values(&mut batch, &copy.id, values, false);
        item_writes::counts(&mut batch, &delta);
        commit_mail_batch(s, batch).await?;
        s.feed().mail_written();
        Ok(())
    }

    pub async fn item(&self, id: &str) -> Result<Option<ItemRow>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ITEM_COLUMNS} FROM mailbox_items WHERE id = $1"))).bind(id).fetch_optional(p).await.map_err(|e| s.db_error(e))?;
            Ok(match row { Some(r) => Some(item_from_row!(s, &r)), None => None })
        })
    }

    /// One page of a folder's items that pass `filter`, in `order`.
    pub async fn find_items(
        &self,
        folder_id: &str,
        filter: &ItemFilter,
        order: &[OrderKey],
        offset: usize,
        limit: usize,
    ) -> Result<Vec<ItemRow>, StoreError> {
        let s = self.store;
        let c = search::compile(s.backend(), filter);
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM mailbox_items WHERE folder_id = $1 AND {} ORDER BY {} LIMIT {} OFFSET {}",
            c.sql,
            search::order_by(order),
            limit,
            offset
        );
        with_pool!(s.pool(), p => {
            let q = bind_params!(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(folder_id), &c.params);
            let rows = q.fetch_all(p).await.map_err(|e| s.db_error(e))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(item_from_row!(s, r));
            }
            Ok(out)
        })
    }

    /// How many of a folder's items pass `filter`.
    pub async fn count_items(
        &self,
        folder_id: &str,
        filter: &ItemFilter,
    ) -> Result<i64, StoreError> {
        let s = self.store;
        if *filter == ItemFilter::True {
            let sql = "SELECT CAST(COALESCE(SUM(total), 0) AS BIGINT) FROM mailbox_folder_counts WHERE folder_id = $1";
            return with_pool!(s.pool(), p => {
                let n: i64 = sqlx::query_scalar(sql).bind(folder_id).fetch_one(p).await.map_err(|e| s.db_error(e))?;
                Ok(n)
            });
        }
        let c = search::compile(s.backend(), filter);
        let sql = format!(
            "SELECT COUNT(*) FROM mailbox_items WHERE folder_id = $1 AND {}",
            c.sql
        );
        with_pool!(s.pool(), p => {
            let q = bind_params!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(folder_id), &c.params);
            let n: i64 = q.fetch_one(p).await.map_err(|e| s.db_error(e))?;
            Ok(n)
        })
    }

    /// Streams a folder's items that pass `filter`, in `order`, to `visit` one at a time, until
    /// it returns false: for tests the SQL cannot make, with memory bounded by what `visit` keeps.
    pub async fn scan_items(
        &self,
        folder_id: &str,
        filter: &ItemFilter,
        order: &[OrderKey],
        mut visit: impl FnMut(ItemRow) -> bool,
    ) -> Result<(), StoreError> {
        use futures_util::TryStreamExt;
        let s = self.store;
        let c = search::compile(s.backend(), filter);
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM mailbox_items WHERE folder_id = $1 AND {} ORDER BY {}",
            c.sql,
            search::order_by(order)
        );
        with_pool!(s.pool(), p => {
            let q = bind_params!(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(folder_id), &c.params);
            let mut rows = q.fetch(p);
            while let Some(r) = rows.try_next().await.map_err(|e| s.db_error(e))? {
                if !visit(item_from_row!(s, &r)) {
                    break;
                }
            }
            Ok(())
        })
    }

    /// Saves a changed item if it is still at `item.version` (its values too, when given);
    /// returns the new version, and the item's id, which is a new one when the item changed
    /// folders (as in Exchange, a moved item is another item to its clients).
    pub async fn update_item(
        &self,
        item: &ItemRow,
        values: Option<&[ItemValue]>,
    ) -> Result<(i64, String), StoreError> {
        let s = self.store;
        let select = format!("SELECT {ITEM_COLUMNS} FROM mailbox_items WHERE id = $1");
        let id = match s.pool() {
            // Two calls to the driver's thread under the write lock: BEGIN with the read of
            // the stored row, then the batch with COMMIT.
            crate::Pool::Sqlite(p) => {
                let mut writer = s.sqlite_writer(p).await?;
                let conn = writer.connection();
                let begun = sqlx::query(sqlx::AssertSqlSafe(format!("BEGIN IMMEDIATE;\n{select}")))
                    .bind(&item.id)
                    .fetch_optional(&mut *conn)
                    .await;
                let old = match begun {
                    Ok(old) => old,
                    Err(e) => {
                        // BEGIN may have taken effect before the read failed.
                        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                        writer.check(&e);
                        return Err(s.db_error(e));
                    }
                };
                let planned = match old {
                    Some(r) => {
                        // Decoded in a closure: a failure must still reach the ROLLBACK.
                        let decode =
                            || -> Result<ItemRow, StoreError> { Ok(item_from_row!(s, &r)) };
                        decode().and_then(|old| updated(item, old, values))
                    }
                    None => Err(stale("item", &item.id, item.version, None)),
                };
                let (batch, id) = match planned {
                    Ok(p) => p,
                    Err(e) => {
                        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                        return Err(e);
                    }
                };
                if let Err(e) = batch.commit_sqlite_begun(conn).await {
                    writer.check(&e);
                    return Err(s.db_error(e));
                }
                drop(writer);
                s.durable().await?;
                id
            }
            crate::Pool::Postgres(_) => write_tx!(s, tx => {
                let old = sqlx::query(sqlx::AssertSqlSafe(select)).bind(&item.id).fetch_optional(&mut *tx).await.map_err(|e| s.db_error(e))?;
                let old = match old {
                    Some(r) => item_from_row!(s, &r),
                    None => return Err(stale("item", &item.id, item.version, None)),
                };
                let (batch, id) = updated(item, old, values)?;
                tx.run(batch).await.map_err(|e| s.db_error(e))?;
                notify_mail!(s, tx);
                id
            }),
        };
        s.feed().mail_written();
        Ok((item.version + 1, id))
    }

    pub async fn delete_item(&self, id: &str) -> Result<bool, StoreError> {
        let s = self.store;
        let gone = write_tx!(s, tx => {
            let old = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ITEM_COLUMNS} FROM mailbox_items WHERE id = $1"))).bind(id).fetch_optional(&mut *tx).await.map_err(|e| s.db_error(e))?;
            match old {
                None => false,
                Some(r) => {
                    let old = item_from_row!(s, &r);
                    sqlx::query("DELETE FROM mailbox_item_values WHERE item_id = $1").bind(id).execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
                    sqlx::query("DELETE FROM mailbox_items WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
                    let mut batch = Batch::default();
                    item_writes::journal(&mut batch, &old, &old.folder_id, "delete", None);
                    let mut delta = CountDelta::default();
                    delta.add(&old, -1);
                    item_writes::counts(&mut batch, &delta);
                    tx.run(batch).await.map_err(|e| s.db_error(e))?;
                    notify_mail!(s, tx);
                    true
                }
            }
        });
        if gone {
            s.feed().mail_written();
        }
        Ok(gone)
    }

    /// The newest entry of the item journal (0 when it is empty).
    pub async fn journal_head(&self) -> Result<i64, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let n: Option<i64> = sqlx::query_scalar("SELECT CAST(MAX(seq) AS BIGINT) FROM mailbox_item_journal").fetch_one(p).await.map_err(|e| s.db_error(e))?;
            Ok(n.unwrap_or(0))
        })
    }

    /// A folder's journal entries after `since`, oldest first: (seq, item id, kind).
    pub async fn journal_since(
        &self,
        folder_id: &str,
        since: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows: Vec<(i64, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT seq, item_id, CASE WHEN kind = 'copy' THEN 'create' ELSE kind END FROM mailbox_item_journal WHERE folder_id = $1 AND seq > $2 AND kind NOT LIKE 'folder%' ORDER BY seq LIMIT {limit}")))
                .bind(folder_id).bind(since).fetch_all(p).await.map_err(|e| s.db_error(e))?;
            Ok(rows)
        })
    }

    /// The oldest journal entry still kept (entries before it were pruned).
    pub async fn journal_floor(&self) -> Result<i64, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let n: Option<i64> = sqlx::query_scalar("SELECT CAST(MIN(seq) AS BIGINT) FROM mailbox_item_journal").fetch_one(p).await.map_err(|e| s.db_error(e))?;
            Ok(n.unwrap_or(0))
        })
    }

    /// Removes journal entries older than `before_ms`; a sync state from before them can no
    /// longer be answered incrementally.
    pub async fn prune_journal(&self, before_ms: i64) -> Result<u64, StoreError> {
        let s = self.store;
        let n = write_tx!(s, tx => {
            sqlx::query("DELETE FROM mailbox_item_journal WHERE at_ms < $1").bind(before_ms).execute(&mut *tx).await.map_err(|e| s.db_error(e))?.rows_affected()
        });
        Ok(n)
    }

    /// Up to `limit` of a folder's items with ids after `after`, in id order (a folder's first
    /// synchronization, page by page).
    pub async fn items_after(
        &self,
        folder_id: &str,
        after: &str,
        limit: usize,
    ) -> Result<Vec<ItemRow>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ITEM_COLUMNS} FROM mailbox_items WHERE folder_id = $1 AND id > $2 ORDER BY id LIMIT {limit}")))
                .bind(folder_id).bind(after).fetch_all(p).await.map_err(|e| s.db_error(e))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(item_from_row!(s, r));
            }
            Ok(out)
        })
    }

    /// Marks every item of a folder read (or unread), each changed one getting a new version;
    /// returns how many changed.
    pub async fn mark_all_read(&self, folder_id: &str, read: bool) -> Result<u64, StoreError> {
        let s = self.store;
        let flag = i64::from(read);
        let n = write_tx!(s, tx => {
            sqlx::query("INSERT INTO mailbox_item_journal (folder_id, item_id, kind, at_ms, mailbox) SELECT folder_id, id, 'read', $1, mailbox FROM mailbox_items WHERE folder_id = $2 AND is_read <> $3")
                .bind(crate::now_ms()).bind(folder_id).bind(flag)
                .execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            let n = sqlx::query("UPDATE mailbox_items SET is_read = $1, version = version + 1, modified_ms = $2 WHERE folder_id = $3 AND is_read <> $1")
                .bind(flag).bind(crate::now_ms()).bind(folder_id)
                .execute(&mut *tx).await.map_err(|e| s.db_error(e))?.rows_affected();
            sqlx::query("UPDATE mailbox_folder_counts SET unread = CASE WHEN $1 = 1 THEN 0 ELSE total END WHERE folder_id = $2")
                .bind(flag).bind(folder_id)
                .execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            notify_mail!(s, tx);
            n
        });
        s.feed().mail_written();
        Ok(n)
    }

    /// Up to `limit` items whose properties are in a form older than `current`.
    pub async fn legacy_items(
        &self,
        current: i64,
        limit: usize,
    ) -> Result<Vec<ItemRow>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ITEM_COLUMNS} FROM mailbox_items WHERE props_format < {current} LIMIT {limit}"))).fetch_all(p).await.map_err(|e| s.db_error(e))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(item_from_row!(s, r));
            }
            Ok(out)
        })
    }

    /// Rewrites items' stored properties in a newer form, with their value index: the same
    /// content, so neither their version (change key) nor the change journal moves.
    pub async fn rewrite_props(
        &self,
        items: &[(ItemRow, Vec<ItemValue>)],
    ) -> Result<(), StoreError> {
        let mut batch = Batch::default();
        for (i, values) in items {
            batch.push(
                "UPDATE mailbox_items SET props = $1, props_format = $2, size = $3 WHERE id = $4",
                vec![
                    (&i.props).into(),
                    i.props_format.into(),
                    i.size.into(),
                    (&i.id).into(),
                ],
            );
            item_writes::values(&mut batch, &i.id, values, true);
        }
        commit_mail_batch(self.store, batch).await
    }

    /// Recomputes every folder's kept counts from its items (after an upgrade of stored items).
    pub async fn recount(&self) -> Result<(), StoreError> {
        let s = self.store;
        write_tx!(s, tx => {
            sqlx::query("DELETE FROM mailbox_folder_counts").execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            sqlx::query("INSERT INTO mailbox_folder_counts (folder_id, class_key, total, unread, size) SELECT folder_id, class_key, COUNT(*), SUM(CASE WHEN is_read = 0 THEN 1 ELSE 0 END), SUM(size) FROM mailbox_items GROUP BY folder_id, class_key")
                .execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
        });
        Ok(())
    }

    /// Up to `limit` user configurations whose dictionary is still in the first release's form
    /// (an XML fragment).
    pub async fn legacy_user_configurations(
        &self,
        limit: usize,
    ) -> Result<Vec<UserConfigurationRow>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM user_configurations WHERE dictionary LIKE '<%' LIMIT {limit}"))).fetch_all(p).await.map_err(|e| s.db_error(e))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(config_from_row!(s, r));
            }
            Ok(out)
        })
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

/// A mailbox write made of a batch alone, as one transaction: on SQLite in one call to the
/// driver's thread per batch (see [`Batch::commit_sqlite`]), on PostgreSQL with the
/// notification other processes wait for.
async fn commit_mail_batch(s: &Store, batch: Batch) -> Result<(), StoreError> {
    match s.pool() {
        crate::Pool::Sqlite(p) => s.commit_sqlite_batch(p, batch).await,
        crate::Pool::Postgres(_) => {
            write_tx!(s, tx => {
                tx.run(batch).await.map_err(|e| s.db_error(e))?;
                notify_mail!(s, tx);
            });
            Ok(())
        }
    }
}

/// The writes that replace the stored row `old` by `item` (a move when its folder changed, under
/// a new id, which is returned), or a conflict when `old` is not the version `item` was read at.
fn updated(
    item: &ItemRow,
    old: ItemRow,
    values: Option<&[ItemValue]>,
) -> Result<(Batch, String), StoreError> {
    if old.version != item.version {
        return Err(stale("item", &item.id, item.version, Some(old.version)));
    }
    let mut moved = item.clone();
    if old.folder_id != item.folder_id {
        moved.id = uuid::Uuid::new_v4().simple().to_string();
    }
    let item = &moved;
    let mut batch = Batch::default();
    batch.push(
        "UPDATE mailbox_items SET folder_id = $1, item_class = $2, subject = $3, props = $4, modified_ms = $5, size = $6, is_read = $7, is_draft = $8, immutable = $9, subject_key = $10, class_key = $11, props_format = $12, version = version + 1, id = $14 WHERE id = $13",
        vec![
            (&item.folder_id).into(), (&item.item_class).into(), (&item.subject).into(), (&item.props).into(),
            item.modified_ms.into(), item.size.into(),
            i64::from(item.is_read).into(), i64::from(item.is_draft).into(), i64::from(item.immutable).into(),
            crate::batch::Arg::Text(text_key(&item.subject)), crate::batch::Arg::Text(text_key(&item.item_class)),
            item.props_format.into(), (&old.id).into(), (&item.id).into(),
        ],
    );
    if item.id != old.id {
        batch.push(
            "UPDATE mailbox_item_values SET item_id = $1 WHERE item_id = $2",
            vec![(&item.id).into(), (&old.id).into()],
        );
    }
    if let Some(values) = values {
        item_writes::values(&mut batch, &item.id, values, true);
    }
    if old.folder_id == item.folder_id {
        // A change of the read flag alone is journalled as such (a ReadFlagChange).
        let only_read = old.is_read != item.is_read
            && old.props == item.props
            && old.subject == item.subject
            && old.item_class == item.item_class
            && old.is_draft == item.is_draft
            && old.immutable == item.immutable;
        let kind = if only_read { "read" } else { "update" };
        item_writes::journal(&mut batch, item, &item.folder_id, kind, None);
    } else {
        item_writes::journal(
            &mut batch,
            &old,
            &old.folder_id,
            "delete",
            Some(&item.folder_id),
        );
        item_writes::journal_move(&mut batch, item, &old);
    }
    let mut delta = CountDelta::default();
    delta.add(&old, -1);
    delta.add(item, 1);
    item_writes::counts(&mut batch, &delta);
    Ok((batch, item.id.clone()))
}
