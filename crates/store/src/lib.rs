//! Hybrid's storage: one [`Store`] over embedded SQLite (the default, under the data folder)
//! or PostgreSQL (for several stateless processes of a role on one database).
//!
//! A store is opened from a URL, applies its backend's versioned migrations, and offers one
//! repository per aggregate ([`DirectoryObjects`] is the first: versioned configuration objects,
//! as a directory holds them). Every configuration write also records a change that other
//! processes learn about within a second ([`Store::subscribe`]), so that nothing on a request's
//! authentication path needs to read the database.

mod batch;
mod blobs;
mod changes;
mod device;
mod directory;
mod error;
mod events;
mod group_commit;
mod handshake;
mod mailbox;
mod migrate;
mod pool;
mod private;
mod queue;
mod replay;
mod search;
mod store;
mod url;

pub use blobs::BLOB_REFERENCE_KEY;
pub use changes::{Change, MAIL_CHANNEL, RESYNC_CHANNEL};
pub use device::{DeviceAuthorization, DeviceAuthorizations, DevicePoll};
pub use directory::{DirectoryObject, DirectoryObjects, MAX_OBJECT_BYTES, NewObject};
pub use error::StoreError;
pub use events::{JournalEntry, SubscriptionRow, Subscriptions};
pub use handshake::{HandshakeEvent, HandshakePage, Handshakes};
pub use mailbox::{
    FOLDERS_CHANNEL, FolderCounts, FolderRow, ItemRow, ItemValue, Mailboxes, UserConfigurationRow,
};
pub use queue::{Job, JobState, NewJob, Outcome, QueueStats, WorkQueue};
pub use replay::{PendingUse, ReplayRecorder, UsedAssertions};
pub use search::{CmpOp, Column, ItemFilter, OrderKey, SortBy, SqlValue, ValueTest, text_key};
pub use store::{Backend, Pool, Store, StoreOptions};
pub use url::StoreUrl;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
