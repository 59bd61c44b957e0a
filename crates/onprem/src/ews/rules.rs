//! GetInboxRules and UpdateInboxRules, for the caller's mailbox.

use super::context::Context;
use super::fields;
use ews::{
    Element, FolderRef, Node, Payload, ResponseClass, ResponseMessage, Rule, RuleOperation,
    RuleOperationError, RuleValidationError,
};
use mailbox::{
    MailboxError, RuleChange, RuleDraft, RuleEntry, RuleError, RuleField, RulePart, RuleSet,
    RuleValue, StoredRule,
};

fn other_mailbox(ctx: &Context<'_>, address: Option<&str>) -> Option<ResponseMessage> {
    let a = address.filter(|a| !a.is_empty())?;
    (!ctx.c.mailbox.has_address(a)).then(|| {
        ResponseMessage::error(
            ews::ResponseCode::ErrorAccessDenied,
            format!("Access is denied: the rules of {a} are not this caller's to read or change."),
        )
    })
}

pub(crate) fn get(
    ctx: &Context<'_>,
    address: Option<&str>,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    if let Some(refused) = other_mailbox(ctx, address) {
        return Ok(vec![refused]);
    }
    let rules = ctx.mbox.inbox_rules()?;
    Ok(vec![ResponseMessage::success(Payload::InboxRules {
        outlook_rule_blob_exists: false,
        rules: rules.iter().map(to_ews).collect(),
    })])
}

pub(crate) async fn update(
    ctx: &mut Context<'_>,
    address: Option<&str>,
    operations: &[RuleOperation],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    if let Some(refused) = other_mailbox(ctx, address) {
        return Ok(vec![refused]);
    }
    let changes: Vec<RuleChange> = operations.iter().map(change).collect();
    Ok(vec![match ctx.mbox.update_inbox_rules(&changes).await? {
        Ok(()) => ResponseMessage::success(Payload::None),
        Err(mailbox::RulesRefused(errors)) => ResponseMessage {
            class: ResponseClass::Error,
            code: ews::ResponseCode::ErrorInboxRulesValidationError
                .as_str()
                .into(),
            text: Some("A validation error occurred while executing the rule operation.".into()),
            payload: Payload::RuleOperationErrors(
                errors
                    .into_iter()
                    .map(|(operation_index, errors)| RuleOperationError {
                        operation_index,
                        errors: errors.iter().map(validation_error).collect(),
                    })
                    .collect(),
            ),
        },
    }])
}

fn validation_error(e: &RuleError) -> RuleValidationError {
    let field_uri = match &e.field {
        RuleField::RuleId => "RuleId".to_string(),
        RuleField::DisplayName => "DisplayName".to_string(),
        RuleField::Priority => "Priority".to_string(),
        RuleField::Action(part) => format!("Action:{}", part.name()),
    };
    RuleValidationError {
        field_uri,
        error_code: code(e.code).into(),
        error_message: e.message.into(),
        field_value: String::new(),
    }
}

fn code(c: mailbox::RuleErrorCode) -> &'static str {
    use mailbox::RuleErrorCode::*;
    match c {
        RuleNotFound => "RuleNotFound",
        EmptyValueFound => "EmptyValueFound",
        InvalidValue => "InvalidValue",
        UnsupportedRule => "UnsupportedRule",
        RecipientDoesNotExist => "RecipientDoesNotExist",
    }
}

fn to_ews(r: &StoredRule) -> Rule {
    Rule {
        rule_id: Some(r.id.clone()),
        display_name: Some(r.display_name.clone()),
        priority: Some(r.priority),
        is_enabled: Some(r.is_enabled),
        is_not_supported: Some(false),
        is_in_error: Some(false),
        conditions: r.conditions.as_ref().map(|c| set_element("Conditions", c)),
        exceptions: r.exceptions.as_ref().map(|c| set_element("Exceptions", c)),
        actions: r.actions.as_ref().map(|c| set_element("Actions", c)),
    }
}

fn change(op: &RuleOperation) -> RuleChange {
    match op {
        RuleOperation::Create(r) => RuleChange::Create(draft(r)),
        RuleOperation::Set(r) => RuleChange::Set(draft(r)),
        RuleOperation::Delete(id) => RuleChange::Delete(id.clone()),
    }
}

fn draft(r: &Rule) -> RuleDraft {
    RuleDraft {
        id: r.rule_id.clone(),
        display_name: r.display_name.clone(),
        priority: r.priority,
        is_enabled: r.is_enabled,
        conditions: r.conditions.as_ref().map(rule_set),
        exceptions: r.exceptions.as_ref().map(rule_set),
        actions: r.actions.as_ref().map(rule_set),
    }
}

/// How a rule part's value is written.
enum Shape {
    Strings,
    Addresses,
    Flag,
    Text,
    Folder,
    Item,
    Kept,
}

fn shape_of(part: &RulePart) -> Shape {
    use RulePart::*;
    match part {
        ContainsSenderStrings
        | ContainsSubjectStrings
        | ContainsBodyStrings
        | ContainsSubjectOrBodyStrings
        | ContainsRecipientStrings
        | Categories
        | AssignCategories => Shape::Strings,
        FromAddresses
        | SentToAddresses
        | ForwardToRecipients
        | ForwardAsAttachmentToRecipients
        | RedirectToRecipients
        | SendSMSAlertToRecipients => Shape::Addresses,
        HasAttachments | Delete | PermanentDelete | MarkAsRead | StopProcessingRules => Shape::Flag,
        Importance | MarkImportance => Shape::Text,
        MoveToFolder | CopyToFolder => Shape::Folder,
        ServerReplyWithMessage => Shape::Item,
        Other(_) => Shape::Kept,
    }
}

const STRING: &str = "String";
const ADDRESS: &str = "Address";

/// A rule's conditions, exceptions or actions (`t:Conditions`, …) in the mailbox's terms.
pub fn rule_set(el: &Element) -> RuleSet {
    RuleSet(el.elements().map(entry).collect())
}

fn entry(el: &Element) -> RuleEntry {
    let part = RulePart::from_name(&el.name);
    let typed = match shape_of(&part) {
        Shape::Strings => children(el, STRING, fields::leaf_text).map(RuleValue::Strings),
        Shape::Addresses => children(el, ADDRESS, fields::address).map(RuleValue::Addresses),
        Shape::Flag => fields::leaf_text(el)
            .and_then(|t| ews::parse_bool(&t))
            .map(RuleValue::Flag),
        Shape::Text => fields::leaf_text(el).map(RuleValue::Text),
        Shape::Folder => folder(el).map(RuleValue::Folder),
        Shape::Item => (el.children.is_empty()).then(|| RuleValue::Item {
            id: el.attr("Id").map(str::to_string),
            change_key: el.attr("ChangeKey").map(str::to_string),
        }),
        Shape::Kept => None,
    };
    RuleEntry(
        part,
        typed.unwrap_or_else(|| RuleValue::Kept(fields::record(el))),
    )
}

fn children<T>(el: &Element, name: &str, read: fn(&Element) -> Option<T>) -> Option<Vec<T>> {
    if !el.attrs.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for n in &el.children {
        match n {
            Node::Text(t) if t.trim().is_empty() => {}
            Node::Element(c) if c.name == name => out.push(read(c)?),
            _ => return None,
        }
    }
    Some(out)
}

fn folder(el: &Element) -> Option<mailbox::FolderRef> {
    let [Node::Element(f)] = el.children.as_slice() else {
        return None;
    };
    let target = super::drafts::folder(&FolderRef::parse(f));
    let change_key = match &target {
        mailbox::FolderTarget::Id(_) => f.attr("ChangeKey").map(str::to_string),
        _ => None,
    };
    (f.children.is_empty() && !matches!(target, mailbox::FolderTarget::Other(_)))
        .then_some(mailbox::FolderRef { target, change_key })
}

/// A rule set as the element it is written as (`t:Conditions`, …).
pub fn set_element(name: &str, set: &RuleSet) -> Element {
    let mut e = Element::new("", name);
    e.children = set
        .0
        .iter()
        .map(|x| Node::Element(entry_element(x)))
        .collect();
    e
}

fn leaf(name: &str, text: &str) -> Element {
    let mut e = Element::new("", name);
    if !text.is_empty() {
        e.children.push(Node::Text(text.into()));
    }
    e
}

fn entry_element(RuleEntry(part, value): &RuleEntry) -> Element {
    let name = part.name();
    let holder = |children: Vec<Element>| {
        let mut e = Element::new("", name);
        e.children = children.into_iter().map(Node::Element).collect();
        e
    };
    match value {
        RuleValue::Flag(b) => leaf(name, if *b { "true" } else { "false" }),
        RuleValue::Text(t) => leaf(name, t),
        RuleValue::Strings(list) => holder(list.iter().map(|s| leaf(STRING, s)).collect()),
        RuleValue::Addresses(list) => holder(
            list.iter()
                .map(|a| fields::address_element(ADDRESS, a))
                .collect(),
        ),
        RuleValue::Folder(f) => holder(vec![folder_element(f)]),
        RuleValue::Item { id, change_key } => {
            let mut e = Element::new("", name);
            for (k, v) in [("Id", id), ("ChangeKey", change_key)] {
                if let Some(v) = v {
                    e.attrs.push((k.into(), v.clone()));
                }
            }
            e
        }
        RuleValue::Kept(r) => fields::value_element(name, &mailbox::Value::Record(r.clone())),
    }
}

fn folder_element(f: &mailbox::FolderRef) -> Element {
    let mut e;
    match &f.target {
        mailbox::FolderTarget::Id(id) => {
            e = Element::new("", "FolderId");
            e.attrs.push(("Id".into(), id.clone()));
            if let Some(ck) = &f.change_key {
                e.attrs.push(("ChangeKey".into(), ck.clone()));
            }
        }
        mailbox::FolderTarget::Distinguished(id) | mailbox::FolderTarget::Other(id) => {
            e = Element::new("", "DistinguishedFolderId");
            e.attrs.push(("Id".into(), id.clone()));
        }
    }
    e
}

/// A rule set the mailbox stored as an EWS element tree, before rules had its own terms.
pub fn earlier_rule_set(tree: &serde_json::Value) -> Vec<RuleEntry> {
    serde_json::from_value::<Element>(tree.clone())
        .map(|el| rule_set(&el).0)
        .unwrap_or_default()
}
