//! The mailbox's delegates (who may act for its owner, with which folder permissions), kept
//! with the root folder as automatic replies are. Who a delegate is in the directory is the
//! server's to decide; this keeps the list.

use crate::MailboxError;
use crate::folders::StoredFolderProperties;
use crate::service::Mailbox;
use serde::{Deserialize, Serialize};

/// One delegate as stored: the user (SID, address, name) and the levels per folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StoredDelegate {
    pub sid: String,
    pub smtp: String,
    pub display_name: String,
    /// (folder, level) for Calendar, Tasks, Inbox, Contacts, Notes, Journal.
    pub levels: Vec<(String, String)>,
    pub receive_copies_of_meeting_messages: bool,
    pub view_private_items: bool,
}

/// The mailbox's delegates and where meeting requests go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StoredDelegates {
    pub users: Vec<StoredDelegate>,
    /// DelegatesOnly, DelegatesAndMe, DelegatesAndSendInformationToMe (the default), NoForward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver_meeting_requests: Option<String>,
}

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
