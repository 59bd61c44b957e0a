//! The archive mailbox: a second folder tree in the user's mailbox store (`archiveroot`, which
//! Enable-Mailbox -Archive provisions, with the `archive*` distinguished ids EWS clients use),
//! and ArchiveItem's move. As Exchange reads ArchiveSourceFolderId, it is the folder the items
//! go to, named as any folder is: `archiveinbox` is the archive's Inbox, `deleteditems` the
//! primary mailbox's Deleted Items (exchangelib's suite shows a server doing so).

use crate::{Mailbox, MailboxError};
use store::FolderRow;

/// Whether `f` belongs to the archive's tree (its top folder is `archiveroot`) rather than the
/// primary mailbox's.
pub fn in_archive(folders: &[FolderRow], f: &FolderRow) -> bool {
    let mut at = f;
    for _ in 0..64 {
        match at
            .parent_id
            .as_deref()
            .and_then(|p| folders.iter().find(|x| x.id == p))
        {
            Some(parent) => at = parent,
            None => break,
        }
    }
    at.distinguished.as_deref() == Some("archiveroot")
}

impl Mailbox {
    pub fn has_archive(&self) -> bool {
        self.distinguished("archiveroot").is_some()
    }

    pub fn in_archive(&self, f: &FolderRow) -> bool {
        in_archive(&self.folders, f)
    }

    /// ArchiveItem for one item: moved into `dest`; refused when the mailbox has no archive.
    pub async fn archive_item(
        &self,
        id: &str,
        dest: &FolderRow,
    ) -> Result<crate::MailItem, MailboxError> {
        if !self.has_archive() {
            return Err(MailboxError::ArchiveMailboxNotEnabled);
        }
        self.move_item(id, dest).await
    }
}
