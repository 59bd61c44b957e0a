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
use crate::folder_props::StoredFolderProperties;
use crate::model::{RulePart, Tag, Value};
use crate::props::StoredProperties;
use crate::rule_types::{
    RuleChange, RuleDraft, RuleEntry, RuleError, RuleErrorCode, RuleField, RuleSet, RuleValue,
    RulesRefused, StoredRule,
};
use crate::service::Mailbox;
use store::FolderRow;

fn error(field: RuleField, code: RuleErrorCode, message: &'static str) -> RuleError {
    RuleError {
        field,
        code,
        message,
    }
}

fn strings(v: &RuleValue) -> Vec<String> {
    match v {
        RuleValue::Strings(list) => list.clone(),
        _ => Vec::new(),
    }
}

fn addresses(v: &RuleValue) -> Vec<String> {
    match v {
        RuleValue::Addresses(list) => list
            .iter()
            .filter_map(|a| a.address())
            .map(|a| a.trim().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

fn flag(v: &RuleValue) -> Option<bool> {
    match v {
        RuleValue::Flag(b) => Some(*b),
        _ => None,
    }
}

fn text(v: &RuleValue) -> String {
    match v {
        RuleValue::Text(t) => t.trim().to_string(),
        _ => String::new(),
    }
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
        operations: &[RuleChange],
    ) -> Result<Result<(), RulesRefused>, MailboxError> {
        let inbox = self.rules_folder()?.clone();
        let mut props = StoredFolderProperties::decode(&inbox.props);
        let mut refused = Vec::new();
        for (index, op) in operations.iter().enumerate() {
            let errors = match op {
                RuleChange::Create(r) => self.checked(r, None).map(|rule| props.rules.push(rule)),
                RuleChange::Set(r) => {
                    let id = r.id.clone().unwrap_or_default();
                    match props.rules.iter().position(|x| x.id == id) {
                        None => Err(vec![not_found()]),
                        Some(i) => self.checked(r, Some(id)).map(|rule| props.rules[i] = rule),
                    }
                }
                RuleChange::Delete(id) => {
                    let before = props.rules.len();
                    props.rules.retain(|x| x.id != *id);
                    if props.rules.len() == before {
                        Err(vec![not_found()])
                    } else {
                        Ok(())
                    }
                }
            };
            if let Err(errors) = errors {
                refused.push((index, errors));
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
    fn checked(&self, r: &RuleDraft, id: Option<String>) -> Result<StoredRule, Vec<RuleError>> {
        let mut errors = Vec::new();
        let name = r.display_name.clone().unwrap_or_default();
        if name.trim().is_empty() {
            errors.push(error(
                RuleField::DisplayName,
                RuleErrorCode::EmptyValueFound,
                "The value is empty.",
            ));
        }
        let priority = r.priority.unwrap_or(0);
        if priority < 1 {
            errors.push(error(
                RuleField::Priority,
                RuleErrorCode::InvalidValue,
                "Priority must be 1 or more.",
            ));
        }
        if let Some(actions) = &r.actions {
            for a in actions.iter() {
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
            conditions: r.conditions.clone().filter(|c| !c.0.is_empty()),
            exceptions: r.exceptions.clone().filter(|c| !c.0.is_empty()),
            actions: r.actions.clone(),
        })
    }

    fn action_error(&self, a: &RuleEntry) -> Option<RuleError> {
        let RuleEntry(part, value) = a;
        let field = RuleField::Action(part.clone());
        match (part, value) {
            (RulePart::SendSMSAlertToRecipients, _) => Some(error(
                field,
                RuleErrorCode::UnsupportedRule,
                "The operation on this unsupported rule is not allowed.",
            )),
            (RulePart::ServerReplyWithMessage, v) if !matches!(v, RuleValue::Item { id: Some(id), .. } if !id.is_empty()) => {
                Some(error(
                    field,
                    RuleErrorCode::InvalidValue,
                    "Id must be non-empty.",
                ))
            }
            (RulePart::MoveToFolder | RulePart::CopyToFolder, v) => match v {
                RuleValue::Folder(f) if self.resolve(&f.target).is_ok() => None,
                _ => Some(error(
                    field,
                    RuleErrorCode::InvalidValue,
                    "The folder does not exist.",
                )),
            },
            (
                RulePart::ForwardToRecipients
                | RulePart::ForwardAsAttachmentToRecipients
                | RulePart::RedirectToRecipients,
                v,
            ) if addresses(v).is_empty() => Some(error(
                field,
                RuleErrorCode::RecipientDoesNotExist,
                "A recipient of the action has no address.",
            )),
            _ => None,
        }
    }
}

fn not_found() -> RuleError {
    error(
        RuleField::RuleId,
        RuleErrorCode::RuleNotFound,
        "The rule was not found.",
    )
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
    pub forwards: Vec<(crate::rule_types::ForwardKind, Vec<String>)>,
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
fn predicates_hold(set: &RuleSet, m: &Delivered) -> Option<bool> {
    let body = m.props.body.as_ref().map(|b| b.text.as_str()).unwrap_or("");
    for RuleEntry(part, p) in set.iter() {
        let holds = match part {
            RulePart::ContainsSenderStrings => {
                contains_any(m.sender, &strings(p)) || contains_any(m.sender_name, &strings(p))
            }
            RulePart::ContainsSubjectStrings => contains_any(m.subject, &strings(p)),
            RulePart::ContainsBodyStrings => contains_any(body, &strings(p)),
            RulePart::ContainsSubjectOrBodyStrings => {
                contains_any(m.subject, &strings(p)) || contains_any(body, &strings(p))
            }
            RulePart::ContainsRecipientStrings => {
                m.recipients.iter().any(|r| contains_any(r, &strings(p)))
            }
            RulePart::FromAddresses => same_address(m.sender, &addresses(p)),
            RulePart::SentToAddresses => {
                m.recipients.iter().any(|r| same_address(r, &addresses(p)))
            }
            RulePart::HasAttachments => {
                flag(p) == Some(crate::props::has_attachments(&m.props.attachments))
            }
            RulePart::Importance => {
                let have = m
                    .props
                    .bag
                    .text(&Tag::Importance)
                    .unwrap_or_else(|| "Normal".into());
                have.eq_ignore_ascii_case(&text(p))
            }
            RulePart::Categories => {
                let cats = m.props.categories();
                strings(p)
                    .iter()
                    .any(|c| cats.iter().any(|x| x.eq_ignore_ascii_case(c)))
            }
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
    let folder_of = |v: &RuleValue| match v {
        RuleValue::Folder(f) => mailbox.resolve(&f.target).ok().map(|f| f.id.clone()),
        _ => None,
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
        for RuleEntry(part, a) in actions.iter() {
            let on = flag(a) == Some(true);
            match part {
                RulePart::MoveToFolder => out.folder = folder_of(a).or(out.folder.take()),
                RulePart::CopyToFolder => out.copies.extend(folder_of(a)),
                RulePart::Delete if on => {
                    out.folder = mailbox.distinguished("deleteditems").map(|f| f.id.clone())
                }
                RulePart::PermanentDelete if on => {
                    out.folder = mailbox
                        .distinguished("recoverableitemsdeletions")
                        .map(|f| f.id.clone())
                }
                RulePart::MarkAsRead if on => out.read = true,
                RulePart::MarkImportance => props.set(Tag::Importance, Value::Text(text(a))),
                RulePart::AssignCategories => {
                    let mut cats = props.categories();
                    for c in strings(a) {
                        if !cats.iter().any(|x| x.eq_ignore_ascii_case(&c)) {
                            cats.push(c);
                        }
                    }
                    props.set(Tag::Categories, Value::Strings(cats));
                }
                RulePart::StopProcessingRules if on => stop = true,
                RulePart::ForwardToRecipients => out
                    .forwards
                    .push((crate::rule_types::ForwardKind::Forward, addresses(a))),
                RulePart::ForwardAsAttachmentToRecipients => out
                    .forwards
                    .push((crate::rule_types::ForwardKind::AsAttachment, addresses(a))),
                RulePart::RedirectToRecipients => out
                    .forwards
                    .push((crate::rule_types::ForwardKind::Redirect, addresses(a))),
                _ => {}
            }
        }
        if stop {
            break;
        }
    }
    out
}
