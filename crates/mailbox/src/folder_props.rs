//! What a folder keeps besides its columns: extended properties, permissions, and the
//! mailbox-wide settings kept with a folder (the Inbox's rules; the root's automatic replies and
//! delegates).

use crate::mapi::MapiProperty;
use serde::{Deserialize, Serialize};

pub(crate) const DAY_MS: i64 = 86_400_000;

/// A folder's properties besides its columns.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredFolderProperties {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended: Vec<MapiProperty>,
    /// The folder's permissions as the client gave them: kept for clients, not enforced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_set: Option<serde_json::Value>,
    /// The Inbox keeps the mailbox's rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<crate::rule_types::StoredRule>,
    /// The root folder keeps the mailbox's automatic-reply settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oof: Option<StoredOof>,
    /// The root folder keeps the mailbox's delegates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegates: Option<StoredDelegates>,
}

impl StoredFolderProperties {
    pub fn decode(text: &str) -> StoredFolderProperties {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub(crate) fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// The settings as stored (times in ms since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOof {
    pub state: String,
    pub external_audience: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<i64>,
    pub internal_reply: String,
    pub external_reply: String,
}

impl StoredOof {
    /// A new mailbox's settings: off, for everyone, the window a day from now (what Exchange
    /// shows before anyone set it).
    pub(crate) fn initial(now: i64) -> StoredOof {
        let hour = now - now.rem_euclid(3_600_000);
        StoredOof {
            state: "Disabled".into(),
            external_audience: "All".into(),
            start_ms: Some(hour),
            end_ms: Some(hour + DAY_MS),
            internal_reply: String::new(),
            external_reply: String::new(),
        }
    }

    /// Whether automatic replies are on at `now`.
    pub fn is_on(&self, now: i64) -> bool {
        match self.state.as_str() {
            "Enabled" => true,
            "Scheduled" => {
                self.start_ms.is_some_and(|s| s <= now) && self.end_ms.is_some_and(|e| now < e)
            }
            _ => false,
        }
    }
}

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
