//! The mailbox's delegates (who may act for its owner, with which folder permissions), kept
//! with the root folder as automatic replies are. Who a delegate is in the directory is the
//! server's to decide; this keeps the list.

use crate::MailboxError;
use crate::folder_props::{StoredDelegates, StoredFolderProperties};
use crate::service::Mailbox;

impl Mailbox {
    fn root_folder(&self) -> Result<&store::FolderRow, MailboxError> {
        self.distinguished("root")
            .ok_or(MailboxError::FolderNotFound(Some("root".into())))
    }

    /// The stored delegates (none for a new mailbox).
    pub fn delegates(&self) -> Result<StoredDelegates, MailboxError> {
        Ok(StoredFolderProperties::decode(&self.root_folder()?.props)
            .delegates
            .unwrap_or_default())
    }

    /// Replaces the delegates in one write.
    pub async fn save_delegates(&mut self, delegates: StoredDelegates) -> Result<(), MailboxError> {
        let mut row = self.root_folder()?.clone();
        let mut props = StoredFolderProperties::decode(&row.props);
        props.delegates = Some(delegates);
        row.props = props.encode();
        self.save_folder_props(row).await?;
        Ok(())
    }
}
