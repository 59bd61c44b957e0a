//! The partner's presence API (`GET /s2s/presence/{user}`), which on-premises calls with a
//! self-issued actor token: the answer's JSON (a refusal carries [`crate::api_error::ErrorBody`]).

use serde::{Deserialize, Serialize};

/// A user's presence as the partner shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Presence {
    pub sip: String,
    pub smtp: String,
    /// Available, Busy, DoNotDisturb, Away, Offline.
    pub availability: String,
    /// What the user is doing: the availability, or InAMeeting, OutOfOffice.
    pub activity: String,
    /// What clients show: "In a meeting", "Out of office", …
    pub label: String,
    /// The automatic reply's text, while it is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// `mailbox` (read from the user's mailbox) or `manual` (as the user set it).
    pub source: String,
    /// Why the mailbox could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox_error: Option<String>,
}
