//! Items: made from what a client sends, changed by item changes, and shown in the shape a
//! request asks for.

use crate::MailboxError;
use crate::model::{Entry, EntryValue, Property, Tag, Value};
use crate::props::{PROPS_FORMAT, StoredProperties, is_message_class};
use crate::search::format_time;
use crate::wire::{self, dictionary_of};
use ews::{Item, ItemId, PropertyPath, Shape};
use store::{FolderRow, ItemRow};

pub fn change_key(id: &str, version: i64) -> String {
    // The version, and a part of the id: two items never share a change key, as in Exchange
    // (a copy starts at the version its original may have too).
    let tag: String = id.chars().rev().take(8).collect();
    format!("CK{version}-{tag}")
}

/// Whether `id` has the form of the ids this server issues (for folders and items alike).
pub fn is_well_formed_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The version a change key names, if it has the form this server issues.
pub fn change_key_version(ck: &str) -> Option<i64> {
    let rest = ck.strip_prefix("CK")?;
    rest.split_once('-').map_or(rest, |(v, _)| v).parse().ok()
}

fn default_class(kind: &str) -> &'static str {
    match kind {
        "Message" => "IPM.Note",
        "CalendarItem" => "IPM.Appointment",
        "Contact" => "IPM.Contact",
        "Task" => "IPM.Task",
        "PostItem" => "IPM.Post",
        "MeetingRequest" => "IPM.Schedule.Meeting.Request",
        _ => "IPM",
    }
}

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
fn over_long_name(src: &Item) -> Option<&str> {
    src.other
        .iter()
        .find(|o| {
            is_limited_name(&Tag::from_name(&o.name)) && o.text().chars().count() > MAX_SHORT_TEXT
        })
        .map(|o| o.name.as_str())
}

/// Applies the properties `src` carries to an item and its property bag.
fn apply(row: &mut ItemRow, props: &mut StoredProperties, src: &Item, append: bool) {
    if let Some(c) = &src.item_class {
        row.item_class = c.clone();
    }
    if let Some(s) = &src.subject {
        row.subject = truncated(s);
    }
    if let Some(b) = &src.body {
        match (&mut props.body, append) {
            (Some(existing), true) => existing.text.push_str(&b.text),
            (slot, _) => {
                *slot = Some(crate::body::Body {
                    body_type: b.body_type.clone(),
                    text: b.text.clone(),
                })
            }
        }
    }
    if let Some(r) = src.is_read {
        row.is_read = r;
    }
    if let Some(d) = src.is_draft {
        row.is_draft = d;
    }
    for e in &src.extended {
        let e = wire::mapi_property(e);
        if is_message_class(&e.uri)
            && let Some(v) = e.values.first()
        {
            row.item_class = v.clone();
        }
        props.set_extended(e);
    }
    for o in &src.other {
        let Property(tag, value) = wire::property(o);
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
    src: &Item,
    now: i64,
) -> (ItemRow, StoredProperties) {
    made(mailbox, &folder.id, src, now)
}

/// An item that lives in no folder: the item of an item attachment.
pub fn new_detached(src: &Item, now: i64) -> (ItemRow, StoredProperties) {
    made("", "", src, now)
}

fn made(mailbox: &str, folder_id: &str, src: &Item, now: i64) -> (ItemRow, StoredProperties) {
    let mut row = ItemRow {
        id: uuid::Uuid::new_v4().simple().to_string(),
        mailbox: mailbox.to_string(),
        folder_id: folder_id.to_string(),
        tag: src.kind.clone(),
        item_class: default_class(&src.kind).to_string(),
        subject: String::new(),
        props: String::new(),
        props_format: PROPS_FORMAT,
        created_ms: now,
        received_ms: now,
        modified_ms: now,
        size: 0,
        is_read: false,
        // A message saved without being sent is a draft, as in Exchange.
        is_draft: src.kind == "Message",
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

/// Applies SetItemField / AppendToItemField / DeleteItemField changes.
pub fn apply_updates(
    row: &mut ItemRow,
    props: &mut StoredProperties,
    updates: &[ews::ItemUpdate],
    now: i64,
) -> Result<(), MailboxError> {
    for u in updates {
        if let ews::ItemUpdate::Set { item, .. } | ews::ItemUpdate::Append { item, .. } = u
            && let Some(name) = over_long_name(item)
        {
            return Err(MailboxError::PropertyUpdate(format!(
                "The value of {name} is longer than {MAX_SHORT_TEXT} characters."
            )));
        }
        match u {
            ews::ItemUpdate::Set { item, .. } => apply(row, props, item, false),
            ews::ItemUpdate::Append { item, .. } => apply(row, props, item, true),
            ews::ItemUpdate::Delete { path } => match path {
                Some(PropertyPath::Extended(e)) => props.remove_extended(&wire::mapi_name(e)),
                Some(PropertyPath::Indexed { uri, index }) => delete_indexed(props, uri, index),
                Some(p) => match p.element_name().unwrap_or("") {
                    "Subject" => row.subject.clear(),
                    "Body" => props.body = None,
                    name => props.bag.remove(&Tag::from_name(name)),
                },
                None => {
                    return Err(MailboxError::InvalidPropertySet(
                        "A DeleteItemField names no property.".into(),
                    ));
                }
            },
            ews::ItemUpdate::Unknown(other) => {
                return Err(MailboxError::InvalidRequest(format!(
                    "'{other}' is not an item change."
                )));
            }
        }
    }
    crate::calendar::normalize(row, props);
    finish(row, props, now);
    Ok(())
}

/// DeleteItemField of an indexed property: the whole entry (`contacts:EmailAddress`), or one
/// part of it (`contacts:PhysicalAddress:Street`), the entry going when nothing is left of it.
fn delete_indexed(props: &mut StoredProperties, uri: &str, index: &str) {
    let name = uri.split_once(':').map(|(_, n)| n).unwrap_or(uri);
    let part = name.split_once(':').map(|(_, p)| p);
    let Some(Value::Entries(entries)) = props.bag.get_mut(&Tag::from_name(dictionary_of(name)))
    else {
        return;
    };
    match part {
        None => entries.retain(|e| e.key != index),
        Some(part) => {
            for e in entries.iter_mut().filter(|e| e.key == index) {
                if let EntryValue::Parts(parts) = &mut e.value {
                    parts.retain(|(n, _)| n != part);
                }
            }
            entries.retain(|e| {
                e.key != index || matches!(&e.value, EntryValue::Parts(p) if !p.is_empty())
            });
        }
    }
}

/// What of an item a shape asks for.
struct Wanted<'a> {
    shape: &'a Shape,
    all: bool,
}

impl Wanted<'_> {
    fn field(&self, name: &str) -> bool {
        self.all
            || self
                .shape
                .additional
                .iter()
                .any(|p| p.element_name().map(dictionary_of) == Some(name))
    }

    fn extended(&self, key: &str) -> bool {
        self.all
            || self.shape.additional.iter().any(|p| match p {
                PropertyPath::Extended(e) => e.key() == key,
                _ => false,
            })
    }
}

/// The item as GetItem (`with_body`), FindItem and the write operations return it.
pub fn to_ews(
    row: &ItemRow,
    props: &StoredProperties,
    folder: Option<&FolderRow>,
    shape: &Shape,
    with_body: bool,
) -> Item {
    let w = Wanted {
        shape,
        all: shape.base != ews::BaseShape::IdOnly,
    };
    let mut item = Item::new(&row.tag);
    item.item_id = Some(ItemId::new(&row.id, change_key(&row.id, row.version)));
    if w.field("ParentFolderId") {
        item.parent_folder_id = folder.map(|f| ItemId::new(&f.id, change_key(&f.id, f.version)));
    }
    if w.field("ItemClass") {
        item.item_class = Some(row.item_class.clone());
    }
    if w.field("Subject") {
        item.subject = Some(row.subject.clone());
    }
    if with_body && w.field("Body") {
        item.body = props
            .body
            .as_ref()
            .map(|b| crate::body::body_as(b, shape.body_type.as_deref()))
            .map(|b| ews::Body {
                body_type: b.body_type,
                text: b.text,
            });
    }
    item.other = props
        .bag
        .iter()
        .filter(|p| (with_body || p.0 != Tag::MimeContent) && w.field(p.0.name()))
        .map(wire::element)
        .collect();
    let text_body_asked = shape.base == ews::BaseShape::AllProperties
        || shape
            .additional
            .iter()
            .any(|p| p.element_name() == Some("TextBody"));
    if text_body_asked && let Some(b) = &props.body {
        let t = crate::body::text_body(b);
        let mut e = ews::Element::new("", "TextBody");
        e.attrs.push(("BodyType".into(), "Text".into()));
        e.children.push(ews::Node::Text(t.text));
        item.other.push(e);
    }
    if w.field("DateTimeReceived") {
        item.date_time_received = Some(format_time(row.received_ms));
    }
    if w.field("Size") {
        item.size = Some(row.size);
    }
    if w.field("DateTimeCreated") {
        item.date_time_created = Some(format_time(row.created_ms));
    }
    if w.field("LastModifiedTime") {
        item.last_modified_time = Some(format_time(row.modified_ms));
    }
    if w.field("IsRead") {
        item.is_read = Some(row.is_read);
    }
    if w.field("IsDraft") {
        item.is_draft = Some(row.is_draft);
    }
    item.extended = props
        .extended
        .iter()
        .filter(|e| w.extended(&e.uri.key()))
        .map(wire::extended_property)
        .collect();
    if crate::calendar::is_calendar_item(row) {
        let computed = crate::calendar::computed(row, props, &|tag| w.field(tag.name()));
        item.other.extend(computed.iter().map(wire::element));
    }
    if w.field("Attachments") && !props.attachments.is_empty() {
        item.attachments = Some(crate::attachments::summaries(&props.attachments, &row.id));
    }
    if w.field("HasAttachments") {
        let has = crate::attachments::has_attachments(&props.attachments);
        item.other.retain(|o| o.name != "HasAttachments");
        let mut e = ews::Element::new("", "HasAttachments");
        e.children
            .push(ews::Node::Text(if has { "true" } else { "false" }.into()));
        item.other.push(e);
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(xml: &str) -> ews::Item {
        let wrapped = format!(
            r#"<t:Contact xmlns:t="{}">{xml}</t:Contact>"#,
            ews::NS_TYPES
        );
        ews::Item::parse(&ews::xml::parse(&wrapped).unwrap())
    }

    fn contacts_folder() -> FolderRow {
        FolderRow {
            id: "f".into(),
            mailbox: "m".into(),
            parent_id: None,
            distinguished: None,
            display_name: "Contacts".into(),
            folder_class: None,
            props: "{}".into(),
            version: 1,
        }
    }

    #[test]
    fn dictionary_entries_change_one_at_a_time() {
        let folder = contacts_folder();
        let (mut row, mut props) = new_item(
            "m",
            &folder,
            &contact(
                r#"<t:EmailAddresses><t:Entry Key="EmailAddress1">a@x</t:Entry><t:Entry Key="EmailAddress2">b@x</t:Entry></t:EmailAddresses><t:PhysicalAddresses><t:Entry Key="Home"><t:Street>Main 1</t:Street><t:City>Oslo</t:City></t:Entry></t:PhysicalAddresses>"#,
            ),
            1,
        );
        let set = ews::ItemUpdate::Set {
            path: None,
            item: contact(
                r#"<t:EmailAddresses><t:Entry Key="EmailAddress2">c@x</t:Entry></t:EmailAddresses><t:PhysicalAddresses><t:Entry Key="Home"><t:City>Bergen</t:City></t:Entry></t:PhysicalAddresses>"#,
            ),
        };
        let delete = ews::ItemUpdate::Delete {
            path: Some(PropertyPath::Indexed {
                uri: "contacts:EmailAddress".into(),
                index: "EmailAddress1".into(),
            }),
        };
        apply_updates(&mut row, &mut props, &[set, delete], 2).unwrap();
        let shape = Shape {
            additional: vec![
                PropertyPath::Indexed {
                    uri: "contacts:EmailAddress".into(),
                    index: "EmailAddress2".into(),
                },
                PropertyPath::Indexed {
                    uri: "contacts:PhysicalAddress:City".into(),
                    index: "Home".into(),
                },
            ],
            ..Shape::default()
        };
        let shown = to_ews(&row, &props, None, &shape, true);
        let mut w = ews::writer::Writer::new();
        shown.write(&mut w);
        let xml = w.finish();
        assert!(
            xml.contains(
                r#"<t:EmailAddresses><t:Entry Key="EmailAddress2">c@x</t:Entry></t:EmailAddresses>"#
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<t:Street>Main 1</t:Street><t:City>Bergen</t:City>"),
            "{xml}"
        );
    }

    #[test]
    fn deleting_a_part_of_an_address_keeps_the_rest_of_it() {
        let folder = contacts_folder();
        let (mut row, mut props) = new_item(
            "m",
            &folder,
            &contact(
                r#"<t:PhysicalAddresses><t:Entry Key="Home"><t:Street>ABC</t:Street></t:Entry><t:Entry Key="Business"><t:Street>DEF</t:Street><t:State>X</t:State></t:Entry></t:PhysicalAddresses>"#,
            ),
            1,
        );
        let delete = |part: &str, index: &str| ews::ItemUpdate::Delete {
            path: Some(PropertyPath::Indexed {
                uri: format!("contacts:PhysicalAddress:{part}"),
                index: index.into(),
            }),
        };
        let updates = [delete("State", "Business"), delete("Street", "Home")];
        apply_updates(&mut row, &mut props, &updates, 2).unwrap();
        let Some(Value::Entries(addresses)) = props.get(&Tag::PhysicalAddresses) else {
            panic!("{props:?}");
        };
        assert_eq!(addresses.len(), 1, "the emptied Home entry is gone");
        assert_eq!(addresses[0].key, "Business");
        let EntryValue::Parts(parts) = &addresses[0].value else {
            panic!("{addresses:?}");
        };
        assert!(
            parts.iter().any(|(n, _)| n == "Street") && !parts.iter().any(|(n, _)| n == "State")
        );
    }
}
