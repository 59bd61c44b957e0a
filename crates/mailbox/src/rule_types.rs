//! Inbox rules in the mailbox's terms: conditions, exceptions and actions as typed parts, rules
//! as stored and as a client gives them, the changes UpdateInboxRules makes, and why one is
//! refused.

use crate::model::{Address, FolderRef, Record, RulePart};
use serde::{Deserialize, Deserializer, Serialize};

/// The reader of rule sets kept as EWS element trees before rules had terms of their own (see
/// [`crate::read_earlier_forms_with`]).
static EARLIER: std::sync::OnceLock<fn(&serde_json::Value) -> Vec<RuleEntry>> =
    std::sync::OnceLock::new();

pub(crate) fn read_earlier_rule_sets_with(reader: fn(&serde_json::Value) -> Vec<RuleEntry>) {
    let _ = EARLIER.set(reader);
}

fn earlier(tree: &serde_json::Value) -> Vec<RuleEntry> {
    EARLIER.get().map(|r| r(tree)).unwrap_or_default()
}

/// The value of one condition, exception or action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleValue {
    Flag(bool),
    Text(String),
    Strings(Vec<String>),
    Addresses(Vec<Address>),
    Folder(FolderRef),
    /// A message the server replies with, by id.
    Item {
        id: Option<String>,
        change_key: Option<String>,
    },
    /// A value of a part this server does not run, kept for clients.
    Kept(Record),
}

/// One condition, exception or action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleEntry(pub RulePart, pub RuleValue);

/// A rule's conditions, exceptions or actions, in the order given. Stored rules written before
/// this form kept EWS element trees; those are read by the reader of earlier forms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RuleSet(pub Vec<RuleEntry>);

impl<'de> Deserialize<'de> for RuleSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RuleSet, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        if v.is_array() {
            return serde_json::from_value(v)
                .map(RuleSet)
                .map_err(serde::de::Error::custom);
        }
        Ok(RuleSet(earlier(&v)))
    }
}

impl RuleSet {
    pub fn iter(&self) -> impl Iterator<Item = &RuleEntry> {
        self.0.iter()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRule {
    pub id: String,
    pub display_name: String,
    pub priority: i64,
    pub is_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<RuleSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceptions: Option<RuleSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<RuleSet>,
}

/// A rule as a client gives it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleDraft {
    pub id: Option<String>,
    pub display_name: Option<String>,
    pub priority: Option<i64>,
    pub is_enabled: Option<bool>,
    pub conditions: Option<RuleSet>,
    pub exceptions: Option<RuleSet>,
    pub actions: Option<RuleSet>,
}

/// One operation of UpdateInboxRules.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleChange {
    Create(RuleDraft),
    Set(RuleDraft),
    Delete(String),
}

/// What a refused rule names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleField {
    RuleId,
    DisplayName,
    Priority,
    Action(RulePart),
}

/// Exchange's rule validation codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleErrorCode {
    RuleNotFound,
    EmptyValueFound,
    InvalidValue,
    UnsupportedRule,
    RecipientDoesNotExist,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub field: RuleField,
    pub code: RuleErrorCode,
    pub message: &'static str,
}

/// Why UpdateInboxRules refused: each refused operation's index and its errors.
#[derive(Debug)]
pub struct RulesRefused(pub Vec<(usize, Vec<RuleError>)>);

/// How a rule sends a message on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ForwardKind {
    /// A new message from the rule's owner, "FW:" and the original's text.
    Forward,
    /// A new message from the rule's owner with the original attached.
    AsAttachment,
    /// The original itself, still from its sender.
    Redirect,
}
