//! The partner's operator API bodies: its users and its signing certificate.

use serde::{Deserialize, Serialize};

/// `POST /api/users`: a user the service knows, by SIP and SMTP address.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUser {
    pub sip: String,
    pub smtp: String,
    #[serde(
        default,
        rename = "display_name",
        alias = "displayName",
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
}

/// A user as stored and listed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PartnerUser {
    pub sip: String,
    pub smtp: String,
    pub display_name: String,
    /// Set by hand (`PUT /api/users/{user}/presence`); Available when never set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<String>,
}

/// `GET /api/users`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UserList {
    pub users: Vec<PartnerUser>,
}

/// `GET /admin/signing-certificate[?which=next]`: the public certificate, never the key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SigningCertificate {
    /// current or next.
    pub which: String,
    /// DER in base64.
    pub certificate: String,
    pub thumbprint: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
}

/// One message of a conversation: who said it, when, what.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConversationMessage {
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    pub text: String,
}

/// `POST /api/conversations`: a conversation held, to archive and write to history.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewConversation {
    pub participants: Vec<String>,
    #[serde(default)]
    pub messages: Vec<ConversationMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A missed conversation (nobody answered): conversation history only.
    #[serde(default)]
    pub missed: bool,
    /// Held on a mobile client: its history is written to the mailbox.
    #[serde(default)]
    pub mobile: bool,
}

/// What a conversation became: one piece of work per mailbox item to write.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationAccepted {
    pub work_ids: Vec<String>,
}

/// One piece of queued work: an item to write into a user's mailbox folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WorkPayload {
    /// The user's SMTP address.
    pub user: String,
    /// The distinguished folder: recoverableitemspurges or conversationhistory.
    pub folder: String,
    pub item_class: String,
    pub subject: String,
    /// The transcript (HTML); not shown by the API.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub body: String,
}

/// A job as the API shows it: its payload but the transcript, and where it stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WorkView {
    pub id: String,
    /// archive or history.
    pub kind: String,
    #[serde(flatten)]
    pub payload: WorkPayload,
    /// pending until done or given up, `done`, or `failed` when dead-lettered.
    pub status: String,
    /// The queue's state: pending, leased, done or dead.
    pub state: String,
    pub attempts: i64,
    pub last_error: String,
    pub due_ms: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// `GET /admin/queue`: the queue's counts, and its pending, leased and dead-lettered jobs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QueueView {
    pub pending: i64,
    pub leased: i64,
    pub dead: i64,
    /// How long the oldest due job has waited (ms), 0 when none is due.
    pub oldest_due_age_ms: i64,
    pub jobs: Vec<WorkView>,
}

/// `PUT /api/users/{user}/greeting`: the greeting stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GreetingSaved {
    pub user: String,
    /// The user configuration it is kept in (`Um.CustomGreetings.External`, `….Oof`).
    pub name: String,
    pub bytes: usize,
    /// False when it replaced an earlier one.
    pub created: bool,
}

/// One delegate of a user's calendar.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Delegate {
    pub smtp: Option<String>,
    pub display_name: Option<String>,
    /// The delegate's calendar permission (Editor, Reviewer, …).
    pub calendar: Option<String>,
}

/// `GET /api/users/{user}/delegates`: read as the application that reads them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Delegates {
    pub user: String,
    pub application: String,
    pub delegates: Vec<Delegate>,
}

/// `PUT /api/users/{user}/presence`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SetPresence {
    pub availability: String,
}
