//! Inbox rules: kept with the Inbox (in its stored properties, so a change is one versioned
//! write), changed all-or-none by UpdateInboxRules with Exchange's validation errors, and run
//! on each message delivered to the mailbox.
//!
//! Conditions and exceptions run: ContainsSenderStrings, ContainsSubjectStrings,
//! ContainsBodyStrings, ContainsSubjectOrBodyStrings, ContainsRecipientStrings, FromAddresses,
//! SentToAddresses, HasAttachments, Importance, Categories. Actions run: MoveToFolder,
//! CopyToFolder, Delete, PermanentDelete, MarkAsRead, MarkImportance, AssignCategories,
//! StopProcessingRules. The forwarding actions are kept but not run (no mail leaves this
//! server's delivery path on a rule's behalf), and a rule with a condition not listed here
//! never matches.

use crate::MailboxError;
use crate::folders::StoredFolderProperties;
use crate::model::{Tag, Value};
use crate::props::StoredProperties;
use crate::service::Mailbox;
use ews::{Element, Rule, RuleOperation, RuleOperationError, RuleValidationError};
use serde::{Deserialize, Serialize};
use store::FolderRow;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRule {
    pub id: String,
    pub display_name: String,
    pub priority: i64,
    pub is_enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Element>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceptions: Option<Element>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Element>,
}

impl StoredRule {
    pub fn to_ews(&self) -> Rule {
        Rule {
            rule_id: Some(self.id.clone()),
            display_name: Some(self.display_name.clone()),
            priority: Some(self.priority),
            is_enabled: Some(self.is_enabled),
            is_not_supported: Some(false),
            is_in_error: Some(false),
            conditions: self.conditions.clone(),
            exceptions: self.exceptions.clone(),
            actions: self.actions.clone(),
        }
    }
}

/// Why UpdateInboxRules refused: the operation and its validation errors.
#[derive(Debug)]
pub struct RulesRefused(pub Vec<RuleOperationError>);

const CONDITIONS_RUN: &[&str] = &[
    "ContainsSenderStrings",
    "ContainsSubjectStrings",
    "ContainsBodyStrings",
    "ContainsSubjectOrBodyStrings",
    "ContainsRecipientStrings",
    "FromAddresses",
    "SentToAddresses",
    "HasAttachments",
    "Importance",
    "Categories",
];

const FOLDER_ACTIONS: &[&str] = &["MoveToFolder", "CopyToFolder"];
const ADDRESS_ACTIONS: &[&str] = &[
    "ForwardToRecipients",
    "ForwardAsAttachmentToRecipients",
    "RedirectToRecipients",
];

fn error(field: &str, code: &str, message: &str) -> RuleValidationError {
    RuleValidationError {
        field_uri: field.into(),
        error_code: code.into(),
        error_message: message.into(),
        field_value: String::new(),
    }
}

fn strings(el: &Element) -> Vec<String> {
    el.children_named("String").map(|s| s.text()).collect()
}

fn addresses(el: &Element) -> Vec<String> {
    el.elements()
        .filter_map(|a| a.child_text("EmailAddress"))
        .filter(|a| !a.trim().is_empty())
        .collect()
}

impl Mailbox {
    fn rules_folder(&self) -> Result<&FolderRow, MailboxError> {
        self.distinguished("inbox")
            .ok_or(MailboxError::FolderNotFound(Some("inbox".into())))
    }

    /// GetInboxRules: the rules in priority order.
    pub fn inbox_rules(&self) -> Result<Vec<StoredRule>, MailboxError> {
        let mut rules = StoredFolderProperties::decode(&self.rules_folder()?.props).rules;
        rules.sort_by_key(|r| r.priority);
        Ok(rules)
    }

    /// UpdateInboxRules: every operation checked, then all applied in one write, or none.
    pub async fn update_inbox_rules(
        &mut self,
        operations: &[RuleOperation],
    ) -> Result<Result<(), RulesRefused>, MailboxError> {
        let inbox = self.rules_folder()?.clone();
        let mut props = StoredFolderProperties::decode(&inbox.props);
        let mut refused = Vec::new();
        for (index, op) in operations.iter().enumerate() {
            let errors = match op {
                RuleOperation::Create(r) => {
                    self.checked(r, None).map(|rule| props.rules.push(rule))
                }
                RuleOperation::Set(r) => {
                    let id = r.rule_id.clone().unwrap_or_default();
                    match props.rules.iter().position(|x| x.id == id) {
                        None => Err(vec![error(
                            "RuleId",
                            "RuleNotFound",
                            "The rule was not found.",
                        )]),
                        Some(i) => self.checked(r, Some(id)).map(|rule| props.rules[i] = rule),
                    }
                }
                RuleOperation::Delete(id) => {
                    let before = props.rules.len();
                    props.rules.retain(|x| x.id != *id);
                    if props.rules.len() == before {
                        Err(vec![error(
                            "RuleId",
                            "RuleNotFound",
                            "The rule was not found.",
                        )])
                    } else {
                        Ok(())
                    }
                }
            };
            if let Err(errors) = errors {
                refused.push(RuleOperationError {
                    operation_index: index,
                    errors,
                });
            }
        }
        if !refused.is_empty() {
            return Ok(Err(RulesRefused(refused)));
        }
        let mut row = inbox;
        row.props = props.encode();
        self.save_folder_props(row).await?;
        Ok(Ok(()))
    }

    /// A rule as stored, or the validation errors Exchange gives for it.
    fn checked(
        &self,
        r: &Rule,
        id: Option<String>,
    ) -> Result<StoredRule, Vec<RuleValidationError>> {
        let mut errors = Vec::new();
        let name = r.display_name.clone().unwrap_or_default();
        if name.trim().is_empty() {
            errors.push(error(
                "DisplayName",
                "EmptyValueFound",
                "The value is empty.",
            ));
        }
        let priority = r.priority.unwrap_or(0);
        if priority < 1 {
            errors.push(error(
                "Priority",
                "InvalidValue",
                "Priority must be 1 or more.",
            ));
        }
        if let Some(actions) = &r.actions {
            for a in actions.elements() {
                errors.extend(self.action_error(a));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(StoredRule {
            id: id.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()),
            display_name: name,
            priority,
            is_enabled: r.is_enabled.unwrap_or(true),
            conditions: r
                .conditions
                .clone()
                .filter(|c| c.elements().next().is_some()),
            exceptions: r
                .exceptions
                .clone()
                .filter(|c| c.elements().next().is_some()),
            actions: r.actions.clone(),
        })
    }

    fn action_error(&self, a: &Element) -> Option<RuleValidationError> {
        let field = format!("Action:{}", a.name);
        match a.name.as_str() {
            "SendSMSAlertToRecipients" => Some(error(
                &field,
                "UnsupportedRule",
                "The operation on this unsupported rule is not allowed.",
            )),
            "ServerReplyWithMessage" if a.attr("Id").is_none_or(str::is_empty) => {
                Some(error(&field, "InvalidValue", "Id must be non-empty."))
            }
            n if FOLDER_ACTIONS.contains(&n) => {
                let target = a.elements().next().map(ews::FolderRef::parse);
                match target.map(|t| self.resolve(&t)) {
                    Some(Ok(_)) => None,
                    _ => Some(error(&field, "InvalidValue", "The folder does not exist.")),
                }
            }
            n if ADDRESS_ACTIONS.contains(&n) && addresses(a).is_empty() => Some(error(
                &field,
                "RecipientDoesNotExist",
                "A recipient of the action has no address.",
            )),
            _ => None,
        }
    }
}

/// What the rules do to one delivered message.
#[derive(Debug, Default, PartialEq)]
pub struct Placement {
    /// The folder the message goes to (None: the Inbox).
    pub folder: Option<String>,
    /// Further folders a copy goes to.
    pub copies: Vec<String>,
    pub read: bool,
    /// Where the rules send the message on (run by the transport).
    pub forwards: Vec<(crate::transport::ForwardKind, Vec<String>)>,
}

/// The message as rules see it.
pub struct Delivered<'a> {
    pub sender: &'a str,
    pub sender_name: &'a str,
    pub recipients: &'a [String],
    pub subject: &'a str,
    pub props: &'a StoredProperties,
}

fn contains_any(text: &str, needles: &[String]) -> bool {
    let text = text.to_lowercase();
    needles.iter().any(|n| text.contains(&n.to_lowercase()))
}

fn same_address(a: &str, list: &[String]) -> bool {
    list.iter().any(|b| b.eq_ignore_ascii_case(a))
}

/// Whether every predicate of a set holds; None if a predicate is one this server does not
/// run.
fn predicates_hold(set: &Element, m: &Delivered) -> Option<bool> {
    let body = m.props.body.as_ref().map(|b| b.text.as_str()).unwrap_or("");
    for p in set.elements() {
        let holds = match p.name.as_str() {
            "ContainsSenderStrings" => {
                contains_any(m.sender, &strings(p)) || contains_any(m.sender_name, &strings(p))
            }
            "ContainsSubjectStrings" => contains_any(m.subject, &strings(p)),
            "ContainsBodyStrings" => contains_any(body, &strings(p)),
            "ContainsSubjectOrBodyStrings" => {
                contains_any(m.subject, &strings(p)) || contains_any(body, &strings(p))
            }
            "ContainsRecipientStrings" => m.recipients.iter().any(|r| contains_any(r, &strings(p))),
            "FromAddresses" => same_address(m.sender, &addresses(p)),
            "SentToAddresses" => m.recipients.iter().any(|r| same_address(r, &addresses(p))),
            "HasAttachments" => {
                ews::parse_bool(&p.text())
                    == Some(crate::attachments::has_attachments(&m.props.attachments))
            }
            "Importance" => {
                let have = m
                    .props
                    .bag
                    .text(&Tag::Importance)
                    .unwrap_or_else(|| "Normal".into());
                have.eq_ignore_ascii_case(p.text().trim())
            }
            "Categories" => {
                let cats = m.props.categories();
                strings(p)
                    .iter()
                    .any(|c| cats.iter().any(|x| x.eq_ignore_ascii_case(c)))
            }
            other if CONDITIONS_RUN.contains(&other) => false,
            _ => return None,
        };
        if !holds {
            return Some(false);
        }
    }
    Some(true)
}

/// Runs the mailbox's enabled rules, in priority order, on a message being delivered; may
/// change its properties (importance, categories). Folder names resolve in `mailbox`.
pub fn run(mailbox: &Mailbox, m: &Delivered, props: &mut StoredProperties) -> Placement {
    let mut out = Placement::default();
    let Ok(rules) = mailbox.inbox_rules() else {
        return out;
    };
    let folder_of = |a: &Element| {
        a.elements()
            .next()
            .map(ews::FolderRef::parse)
            .and_then(|r| mailbox.resolve(&r).ok().map(|f| f.id.clone()))
    };
    for rule in rules.iter().filter(|r| r.is_enabled) {
        let applies = rule
            .conditions
            .as_ref()
            .map_or(Some(true), |c| predicates_hold(c, m))
            == Some(true)
            && rule
                .exceptions
                .as_ref()
                .is_none_or(|e| predicates_hold(e, m) == Some(false));
        if !applies {
            continue;
        }
        let Some(actions) = &rule.actions else {
            continue;
        };
        let mut stop = false;
        for a in actions.elements() {
            let on = || ews::parse_bool(&a.text()) == Some(true);
            match a.name.as_str() {
                "MoveToFolder" => out.folder = folder_of(a).or(out.folder.take()),
                "CopyToFolder" => out.copies.extend(folder_of(a)),
                "Delete" if on() => {
                    out.folder = mailbox.distinguished("deleteditems").map(|f| f.id.clone())
                }
                "PermanentDelete" if on() => {
                    out.folder = mailbox
                        .distinguished("recoverableitemsdeletions")
                        .map(|f| f.id.clone())
                }
                "MarkAsRead" if on() => out.read = true,
                "MarkImportance" => props.set(Tag::Importance, Value::Text(a.text().trim().into())),
                "AssignCategories" => {
                    let mut cats = props.categories();
                    for c in strings(a) {
                        if !cats.iter().any(|x| x.eq_ignore_ascii_case(&c)) {
                            cats.push(c);
                        }
                    }
                    props.set(Tag::Categories, Value::Strings(cats));
                }
                "StopProcessingRules" if on() => stop = true,
                "ForwardToRecipients" => out
                    .forwards
                    .push((crate::transport::ForwardKind::Forward, addresses(a))),
                "ForwardAsAttachmentToRecipients" => out
                    .forwards
                    .push((crate::transport::ForwardKind::AsAttachment, addresses(a))),
                "RedirectToRecipients" => out
                    .forwards
                    .push((crate::transport::ForwardKind::Redirect, addresses(a))),
                _ => {}
            }
        }
        if stop {
            break;
        }
    }
    out
}
