//! Attachment contents, stored once by their SHA-256 digest however many items (copies,
//! deliveries to many recipients, moves) refer to them. Items refer to a blob through a row of
//! the value index under [`BLOB_REFERENCE_KEY`], so that copying an item copies the reference
//! and unreferenced blobs can be found and removed.

use crate::StoreError;
use crate::mailbox::Mailboxes;
use crate::store::{with_pool, write_tx};

/// The value-index key under which an item lists the digests of the blobs it refers to.
pub const BLOB_REFERENCE_KEY: &str = "attachment:blob";

impl Mailboxes<'_> {
    /// Stores contents by digest (a content already stored is kept as it is).
    pub async fn put_blobs(&self, blobs: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        if blobs.is_empty() {
            return Ok(());
        }
        let s = self.store;
        let now = crate::now_ms();
        write_tx!(s, tx => {
            for (digest, content) in blobs {
                sqlx::query("INSERT INTO mailbox_blobs (digest, content, size, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING")
                    .bind(digest).bind(content.as_slice()).bind(content.len() as i64).bind(now)
                    .execute(&mut *tx).await.map_err(|e| s.db_error(e))?;
            }
        });
        Ok(())
    }

    pub async fn blob(&self, digest: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let s = self.store;
        with_pool!(s.pool(), p => {
            let content: Option<Vec<u8>> = sqlx::query_scalar("SELECT content FROM mailbox_blobs WHERE digest = $1")
                .bind(digest).fetch_optional(p).await.map_err(|e| s.db_error(e))?;
            Ok(content)
        })
    }

    /// Removes blobs that no item refers to and that were stored before `before_ms` (a blob
    /// stored just now may be about to be referred to); returns how many.
    pub async fn collect_blobs(&self, before_ms: i64) -> Result<u64, StoreError> {
        let s = self.store;
        let n = write_tx!(s, tx => {
            sqlx::query("DELETE FROM mailbox_blobs WHERE created_ms < $1 AND digest NOT IN (SELECT value_text FROM mailbox_item_values WHERE prop_key = $2)")
                .bind(before_ms).bind(BLOB_REFERENCE_KEY)
                .execute(&mut *tx).await.map_err(|e| s.db_error(e))?.rows_affected()
        });
        Ok(n)
    }
}
