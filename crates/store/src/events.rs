//! Mailbox events and the subscriptions that read them.
//!
//! Every item and folder write appends to the mailbox journal in its own transaction (see
//! mailbox.rs), so the journal is the one source of a mailbox's events: folder synchronization
//! reads it by folder, notifications by mailbox. A subscription is a row any process can serve:
//! where its reader has got to (`position`, a journal sequence number) and when it lapses.

use crate::store::{with_pool, write_tx};
use crate::{Mailboxes, Store, StoreError};
use sqlx::Row;

/// One journal entry of a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub seq: i64,
    pub at_ms: i64,
    /// The folder the change happened in (for a folder's own change, its parent).
    pub folder_id: String,
    /// The item (or, for `folder-*` kinds, the folder) changed.
    pub id: String,
    /// create, copy, update, read, delete; folder-create, folder-update, folder-move,
    /// folder-delete.
    pub kind: String,
    /// The folder at the other end of a move.
    pub other_folder: Option<String>,
    /// On the arriving half of a move: the id the item had before it; on a copy, the original's.
    pub other_item: Option<String>,
    /// Whether a `create` is mail that arrived.
    pub new_mail: bool,
}

impl Mailboxes<'_> {
    /// Up to `limit` journal entries of `mailbox` after `after`, oldest first.
    pub async fn journal_of(
        &self,
        mailbox: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<JournalEntry>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT seq, at_ms, folder_id, item_id, kind, other_folder, other_item, new_mail FROM mailbox_item_journal WHERE mailbox = $1 AND seq > $2 ORDER BY seq LIMIT {limit}")))
                .bind(mailbox).bind(after).fetch_all(p).await.map_err(|e| s.db_error(e))?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let e = |e| s.db_error(e);
                out.push(JournalEntry {
                    seq: r.try_get("seq").map_err(e)?,
                    at_ms: r.try_get("at_ms").map_err(e)?,
                    folder_id: r.try_get("folder_id").map_err(e)?,
                    id: r.try_get("item_id").map_err(e)?,
                    kind: r.try_get("kind").map_err(e)?,
                    other_folder: r.try_get("other_folder").map_err(e)?,
                    other_item: r.try_get("other_item").map_err(e)?,
                    new_mail: r.try_get::<i64, _>("new_mail").map_err(e)? != 0,
                });
            }
            Ok(out)
        })
    }

    /// The mailboxes of up to `limit` journal entries after `after`, with their sequence
    /// numbers (how a process learns which mailboxes changed).
    pub async fn journal_mailboxes_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let rows: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT seq, mailbox FROM mailbox_item_journal WHERE seq > $1 ORDER BY seq LIMIT {limit}")))
                .bind(after).fetch_all(p).await.map_err(|e| s.db_error(e))?;
            Ok(rows)
        })
    }
}

/// A notification subscription as stored. `spec` is the mailbox crate's, opaque here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRow {
    pub id: String,
    pub mailbox: String,
    pub kind: String,
    pub spec: String,
    pub position: i64,
    pub expires_ms: i64,
    pub created_ms: i64,
    /// Push: when a notification was last delivered (0: never).
    pub last_sent_ms: i64,
    /// Push: since when deliveries have been failing (0: they are not).
    pub failing_since_ms: i64,
}

pub struct Subscriptions<'s> {
    store: &'s Store,
}

impl Store {
    pub fn subscriptions(&self) -> Subscriptions<'_> {
        Subscriptions { store: self }
    }
}

impl Subscriptions<'_> {
    /// Stores a new subscription unless its mailbox already has `limit` live ones (lapsed ones
    /// of the mailbox are removed first); returns whether it was stored.
    pub async fn insert(&self, row: &SubscriptionRow, limit: usize) -> Result<bool, StoreError> {
        let s = self.store;
        let stored = write_tx!(s, tx => {
            sqlx::query("DELETE FROM ews_subscriptions WHERE mailbox = $1 AND expires_ms < $2")
                .bind(&row.mailbox).bind(crate::now_ms()).execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ews_subscriptions WHERE mailbox = $1")
                .bind(&row.mailbox).fetch_one(&mut *tx).await.map_err(|e| s.db_error(e))?;
            if live as usize >= limit {
                false
            } else {
                sqlx::query("INSERT INTO ews_subscriptions (id, mailbox, kind, spec, position, expires_ms, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(&row.id).bind(&row.mailbox).bind(&row.kind).bind(&row.spec).bind(row.position).bind(row.expires_ms).bind(row.created_ms)
                    .execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
                true
            }
        });
        Ok(stored)
    }

    /// A subscription that has not lapsed.
    pub async fn get(&self, id: &str) -> Result<Option<SubscriptionRow>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let row = sqlx::query("SELECT id, mailbox, kind, spec, position, expires_ms, created_ms, last_sent_ms, failing_since_ms FROM ews_subscriptions WHERE id = $1 AND expires_ms >= $2")
                .bind(id).bind(crate::now_ms()).fetch_optional(p).await.map_err(|e| s.db_error(e))?;
            let Some(r) = row else { return Ok(None) };
            let e = |e| s.db_error(e);
            Ok(Some(SubscriptionRow {
                id: r.try_get("id").map_err(e)?,
                mailbox: r.try_get("mailbox").map_err(e)?,
                kind: r.try_get("kind").map_err(e)?,
                spec: r.try_get("spec").map_err(e)?,
                position: r.try_get("position").map_err(e)?,
                expires_ms: r.try_get("expires_ms").map_err(e)?,
                created_ms: r.try_get("created_ms").map_err(e)?,
                last_sent_ms: r.try_get("last_sent_ms").map_err(e)?,
                failing_since_ms: r.try_get("failing_since_ms").map_err(e)?,
            }))
        })
    }

    /// Moves a subscription's position on (never back) and its lapse time.
    pub async fn touch(&self, id: &str, position: i64, expires_ms: i64) -> Result<(), StoreError> {
        let s = self.store;
        write_tx!(s, tx => {
            sqlx::query("UPDATE ews_subscriptions SET position = CASE WHEN position > $1 THEN position ELSE $1 END, expires_ms = $2 WHERE id = $3")
                .bind(position).bind(expires_ms).bind(id).execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
        });
        Ok(())
    }

    /// Records a push delivery's outcome: delivered at `sent_ms` (position moved on, failures
    /// forgotten), or failing since `failing_since_ms`.
    pub async fn record_push(
        &self,
        id: &str,
        position: i64,
        expires_ms: i64,
        sent_ms: Option<i64>,
        failing_since_ms: i64,
    ) -> Result<(), StoreError> {
        let s = self.store;
        write_tx!(s, tx => {
            sqlx::query("UPDATE ews_subscriptions SET position = CASE WHEN position > $1 THEN position ELSE $1 END, expires_ms = $2, last_sent_ms = COALESCE($3, last_sent_ms), failing_since_ms = $4 WHERE id = $5")
                .bind(position).bind(expires_ms).bind(sent_ms).bind(failing_since_ms).bind(id)
                .execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
        });
        Ok(())
    }

    /// Makes the delivery jobs of `mailbox`'s push subscriptions due now (`job_prefix` + the
    /// subscription id names each job); returns how many.
    pub async fn wake_push(&self, mailbox: &str, job_prefix: &str) -> Result<u64, StoreError> {
        let s = self.store;
        let ids: Vec<String> = with_pool!(s.pool(), p => {
            sqlx::query_scalar("SELECT id FROM ews_subscriptions WHERE mailbox = $1 AND kind = 'push'")
                .bind(mailbox).fetch_all(p).await.map_err(|e| s.db_error(e))
        })?;
        if ids.is_empty() {
            return Ok(0);
        }
        let now = crate::now_ms();
        let n = write_tx!(s, tx => {
            let mut n = 0;
            for id in &ids {
                n += sqlx::query("UPDATE work_queue SET due_ms = $1 WHERE id = $2 AND state = 'pending' AND due_ms > $1")
                    .bind(now).bind(format!("{job_prefix}{id}"))
                    .execute(&mut *tx).await.map_err(|e| s.db_error(e))?.rows_affected();
            }
            n
        });
        Ok(n)
    }

    /// The mailboxes that have push subscriptions (lapsed ones included until swept).
    pub async fn push_mailboxes(&self) -> Result<Vec<String>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            sqlx::query_scalar("SELECT DISTINCT mailbox FROM ews_subscriptions WHERE kind = 'push'")
                .fetch_all(p).await.map_err(|e| s.db_error(e))
        })
    }

    /// Ends a subscription; returns whether it was there.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let s = self.store;
        let n = write_tx!(s, tx => {
            sqlx::query("DELETE FROM ews_subscriptions WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(|e| s.db_error(e))?.rows_affected()
        });
        Ok(n > 0)
    }

    /// Removes every lapsed subscription; returns how many.
    pub async fn sweep(&self) -> Result<u64, StoreError> {
        let s = self.store;
        let n = write_tx!(s, tx => {
            sqlx::query("DELETE FROM ews_subscriptions WHERE expires_ms < $1").bind(crate::now_ms()).execute(&mut *tx).await.map_err(|e| s.db_error(e))?.rows_affected()
        });
        Ok(n)
    }
}
