//! Items: made from what a client sends and changed by item changes.

use crate::MailboxError;
use crate::draft::{ItemChange, ItemDraft, PropertyRef};
use crate::model::{Entry, EntryValue, Property, Tag, Value};
use crate::props::{PROPS_FORMAT, StoredProperties, is_message_class};
use store::{FolderRow, ItemRow};

pub use crate::ids::{change_key, change_key_version, is_well_formed_id};

/// Properties the server sets; what a client sends for them is ignored.
fn is_server_owned(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::TextBody | Tag::HasAttachments | Tag::DateTimeSent | Tag::ConversationId
    )
}

/// Exchange keeps at most 255 characters of a subject and of a contact's name parts.
const MAX_SHORT_TEXT: usize = 255;

/// Name parts whose change to a longer value is refused (ErrorPropertyUpdate), as Exchange does;
/// a longer subject is cut to the limit instead.
fn is_limited_name(tag: &Tag) -> bool {
    matches!(tag, Tag::GivenName | Tag::MiddleName | Tag::Surname)
}

fn truncated(text: &str) -> String {
    text.chars().take(MAX_SHORT_TEXT).collect()
}

/// The first name part in `src` longer than Exchange allows.
fn over_long_name(src: &ItemDraft) -> Option<&str> {
    src.props
        .iter()
        .find(|p| is_limited_name(&p.0) && p.1.text().chars().count() > MAX_SHORT_TEXT)
        .map(|p| p.0.name())
}

/// Applies the properties `src` carries to an item and its property bag.
fn apply(row: &mut ItemRow, props: &mut StoredProperties, src: &ItemDraft, append: bool) {
    if let Some(c) = &src.class {
        row.item_class = c.clone();
    }
    if let Some(s) = &src.subject {
        row.subject = truncated(s);
    }
    if let Some(b) = &src.body {
        match (&mut props.body, append) {
            (Some(existing), true) => existing.text.push_str(&b.text),
            (slot, _) => *slot = Some(b.clone()),
        }
    }
    if let Some(r) = src.is_read {
        row.is_read = r;
    }
    if let Some(d) = src.is_draft {
        row.is_draft = d;
    }
    for e in &src.extended {
        if is_message_class(&e.uri)
            && let Some(v) = e.values.first()
        {
            row.item_class = v.clone();
        }
        props.set_extended(e.clone());
    }
    for Property(tag, value) in src.props.iter().cloned() {
        if is_server_owned(&tag) {
            continue;
        }
        if is_limited_name(&tag) && value.text().chars().count() > MAX_SHORT_TEXT {
            props.set(tag, Value::Text(truncated(&value.text())));
            continue;
        }
        match (props.bag.get_mut(&tag), value) {
            // A dictionary (EmailAddresses, PhoneNumbers, …) takes the entries it is given,
            // by key, and keeps the others: clients change one entry at a time.
            (Some(Value::Entries(existing)), Value::Entries(new)) => merge_entries(existing, new),
            (_, value) => props.set(tag, value),
        }
    }
}

fn merge_entries(existing: &mut Vec<Entry>, new: Vec<Entry>) {
    for entry in new {
        match existing.iter_mut().find(|e| e.key == entry.key) {
            // An address entry changes one part at a time (street, city, …).
            Some(Entry {
                value: EntryValue::Parts(slot),
                ..
            }) => {
                if let EntryValue::Parts(parts) = entry.value {
                    for (name, text) in parts {
                        match slot.iter_mut().find(|(n, _)| *n == name) {
                            Some(p) => p.1 = text,
                            None => slot.push((name, text)),
                        }
                    }
                }
            }
            Some(slot) => *slot = entry,
            None => existing.push(entry),
        }
    }
}

/// Stores `props` on `row` (its size and modification time with them).
pub(crate) fn finish_stored(row: &mut ItemRow, props: &StoredProperties, now: i64) {
    finish(row, props, now)
}

fn finish(row: &mut ItemRow, props: &StoredProperties, now: i64) {
    row.props = props.encode();
    row.props_format = PROPS_FORMAT;
    let files: i64 = props.attachments.iter().map(|a| a.size).sum();
    row.size = (row.props.len() + row.subject.len()) as i64 + files;
    row.modified_ms = now;
}

/// A copy of `row` as a new item (new id, first version, not immutable) in `mailbox`'s
/// folder `folder_id`: what copying, copying a folder and delivering all store.
pub fn copy_into(row: &ItemRow, mailbox: &str, folder_id: &str) -> ItemRow {
    ItemRow {
        id: uuid::Uuid::new_v4().simple().to_string(),
        mailbox: mailbox.to_string(),
        folder_id: folder_id.to_string(),
        immutable: false,
        version: 1,
        ..row.clone()
    }
}

/// A new item in `folder` from what the client sent (its attachments are added by the caller,
/// which stores their contents).
pub fn new_item(
    mailbox: &str,
    folder: &FolderRow,
    src: &ItemDraft,
    now: i64,
) -> (ItemRow, StoredProperties) {
    made(mailbox, &folder.id, src, now)
}

/// An item that lives in no folder: the item of an item attachment.
pub fn new_detached(src: &ItemDraft, now: i64) -> (ItemRow, StoredProperties) {
    made("", "", src, now)
}

fn made(mailbox: &str, folder_id: &str, src: &ItemDraft, now: i64) -> (ItemRow, StoredProperties) {
    let kind = src.kind();
    let mut row = ItemRow {
        id: uuid::Uuid::new_v4().simple().to_string(),
        mailbox: mailbox.to_string(),
        folder_id: folder_id.to_string(),
        tag: kind.name().to_string(),
        item_class: kind.default_class().to_string(),
        subject: String::new(),
        props: String::new(),
        props_format: PROPS_FORMAT,
        created_ms: now,
        received_ms: now,
        modified_ms: now,
        size: 0,
        is_read: false,
        // A message saved without being sent is a draft, as in Exchange.
        is_draft: kind == crate::model::ItemKind::Message,
        immutable: false,
        version: 1,
    };
    let mut props = StoredProperties::default();
    apply(&mut row, &mut props, src, false);
    crate::calendar::normalize(&row, &mut props);
    crate::task::on_create(&row, &mut props);
    finish(&mut row, &props, now);
    (row, props)
}

/// Applies an update's changes: properties set, appended to, deleted.
pub fn apply_updates(
    row: &mut ItemRow,
    props: &mut StoredProperties,
    changes: &[ItemChange],
    now: i64,
) -> Result<(), MailboxError> {
    for c in changes {
        if let ItemChange::Set(item) | ItemChange::Append(item) = c
            && let Some(name) = over_long_name(item)
        {
            return Err(MailboxError::PropertyUpdate(format!(
                "The value of {name} is longer than {MAX_SHORT_TEXT} characters."
            )));
        }
        match c {
            ItemChange::Set(item) => apply(row, props, item, false),
            ItemChange::Append(item) => apply(row, props, item, true),
            ItemChange::Delete(PropertyRef::Subject) => row.subject.clear(),
            ItemChange::Delete(PropertyRef::Body) => props.body = None,
            ItemChange::Delete(PropertyRef::Prop(tag)) => props.bag.remove(tag),
            ItemChange::Delete(PropertyRef::Extended(name)) => props.remove_extended(name),
            ItemChange::Delete(PropertyRef::Entry {
                dictionary,
                key,
                part,
            }) => delete_entry(props, dictionary, key, part.as_deref()),
        }
    }
    crate::calendar::normalize(row, props);
    finish(row, props, now);
    Ok(())
}

/// Deletes a dictionary's entry, or one part of it, the entry going when nothing is left of
/// it.
fn delete_entry(props: &mut StoredProperties, dictionary: &Tag, key: &str, part: Option<&str>) {
    let Some(Value::Entries(entries)) = props.bag.get_mut(dictionary) else {
        return;
    };
    match part {
        None => entries.retain(|e| e.key != key),
        Some(part) => {
            for e in entries.iter_mut().filter(|e| e.key == key) {
                if let EntryValue::Parts(parts) = &mut e.value {
                    parts.retain(|(n, _)| n != part);
                }
            }
            entries.retain(|e| {
                e.key != key || matches!(&e.value, EntryValue::Parts(p) if !p.is_empty())
            });
        }
    }
}
