//! Items: made from what a client sends, changed by item changes, and shown in the shape a
//! request asks for.

use crate::MailboxError;
use crate::props::{StoredProperties, is_message_class};
use crate::search::format_time;
use ews::{Item, ItemId, PropertyPath, Shape};
use store::{FolderRow, ItemRow};

pub fn change_key(version: i64) -> String {
    format!("CK{version}")
}

/// Whether `id` has the form of the ids this server issues (for folders and items alike).
pub fn is_well_formed_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The version a change key names, if it has the form this server issues.
pub fn change_key_version(ck: &str) -> Option<i64> {
    ck.strip_prefix("CK")?.parse().ok()
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
const SERVER_OWNED: &[&str] = &[
    "ItemId",
    "ParentFolderId",
    "DateTimeCreated",
    "DateTimeReceived",
    "LastModifiedTime",
    "Size",
    "DateTimeSent",
    "ConversationId",
];

/// Applies the properties `src` carries to an item and its property bag.
fn apply(row: &mut ItemRow, props: &mut StoredProperties, src: &Item, append: bool) {
    if let Some(c) = &src.item_class {
        row.item_class = c.clone();
    }
    if let Some(s) = &src.subject {
        row.subject = s.clone();
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
    for o in &src.other {
        if !SERVER_OWNED.contains(&o.name.as_str()) {
            props.set_other(o.clone());
        }
    }
}

/// Stores `props` on `row` (its size and modification time with them).
pub(crate) fn finish_stored(row: &mut ItemRow, props: &StoredProperties, now: i64) {
    finish(row, props, now)
}

fn finish(row: &mut ItemRow, props: &StoredProperties, now: i64) {
    row.props = props.encode();
    row.props_format = 2;
    row.size = (row.props.len() + row.subject.len()) as i64;
    row.modified_ms = now;
}

/// A new item in `folder` from what the client sent.
pub fn new_item(
    mailbox: &str,
    folder: &FolderRow,
    src: &Item,
    now: i64,
) -> (ItemRow, StoredProperties) {
    let mut row = ItemRow {
        id: uuid::Uuid::new_v4().simple().to_string(),
        mailbox: mailbox.to_string(),
        folder_id: folder.id.clone(),
        tag: src.kind.clone(),
        item_class: default_class(&src.kind).to_string(),
        subject: String::new(),
        props: String::new(),
        props_format: 2,
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
        match u {
            ews::ItemUpdate::Set { item, .. } => apply(row, props, item, false),
            ews::ItemUpdate::Append { item, .. } => apply(row, props, item, true),
            ews::ItemUpdate::Delete { path } => match path {
                Some(PropertyPath::Extended(e)) => props.remove_extended(e),
                Some(p) => match p.element_name().unwrap_or("") {
                    "Subject" => row.subject.clear(),
                    "Body" => props.body = None,
                    name => props.other.retain(|o| o.name != name),
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
    finish(row, props, now);
    Ok(())
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
                .any(|p| p.element_name() == Some(name))
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
    item.item_id = Some(ItemId::new(&row.id, change_key(row.version)));
    if w.field("ParentFolderId") {
        item.parent_folder_id = folder.map(|f| ItemId::new(&f.id, change_key(f.version)));
    }
    if w.field("ItemClass") {
        item.item_class = Some(row.item_class.clone());
    }
    if w.field("Subject") {
        item.subject = Some(row.subject.clone());
    }
    if with_body && w.field("Body") {
        item.body = props.body.clone();
    }
    item.other = props
        .other
        .iter()
        .filter(|o| (with_body || o.name != "MimeContent") && w.field(&o.name))
        .cloned()
        .collect();
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
        .cloned()
        .collect();
    item
}
