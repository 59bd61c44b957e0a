//! Items as EWS shows them: the properties a shape asks for, an occurrence of a series in
//! place of its master, attachments listed, whole, or by id alone.

use super::field_uris::{self, Column};
use super::fields;
use ews::{Attachment, AttachmentContent, AttachmentId, Item, ItemId, PropertyPath, Shape};
use mailbox::attachments::wire_id;
use mailbox::calendar::{Occurrence, occurrence_id};
use mailbox::{AttachedItem, StoredAttachment, StoredContent};
use mailbox::{MailItem, Property, Tag, Value, change_key, format_time};
use store::FolderRow;

/// What of an item a shape asks for.
struct Wanted<'a> {
    shape: &'a Shape,
    all: bool,
}

impl Wanted<'_> {
    fn prop(&self, tag: &Tag) -> bool {
        self.all
            || self
                .shape
                .additional
                .iter()
                .any(|p| field_uris::asks_for(p, tag))
    }

    fn field(&self, column: Column) -> bool {
        self.all
            || self
                .shape
                .additional
                .iter()
                .any(|p| field_uris::asks_for_column(p, column))
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
    stored: &MailItem,
    folder: Option<&FolderRow>,
    shape: &Shape,
    with_body: bool,
) -> Item {
    let props = &stored.props;
    let w = Wanted {
        shape,
        all: shape.base != ews::BaseShape::IdOnly,
    };
    let mut item = Item::new(stored.kind.name());
    item.item_id = Some(ItemId::new(
        &stored.id,
        change_key(&stored.id, stored.version),
    ));
    if w.field(Column::ParentFolderId) {
        item.parent_folder_id = folder.map(|f| ItemId::new(&f.id, change_key(&f.id, f.version)));
    }
    if w.field(Column::ItemClass) {
        item.item_class = Some(stored.class.clone());
    }
    if w.field(Column::Subject) {
        item.subject = Some(stored.subject.clone());
    }
    if with_body && w.field(Column::Body) {
        item.body = props
            .body
            .as_ref()
            .map(|b| mailbox::body::body_as(b, shape.body_type.as_deref()))
            .map(|b| ews::Body {
                body_type: b.body_type,
                text: b.text,
            });
    }
    item.other = props
        .bag
        .iter()
        .filter(|p| (with_body || p.0 != Tag::MimeContent) && w.prop(&p.0))
        .map(fields::element)
        .collect();
    let text_body_asked = shape.base == ews::BaseShape::AllProperties
        || shape
            .additional
            .iter()
            .any(|p| field_uris::asks_for_column(p, Column::TextBody));
    if text_body_asked && let Some(b) = &props.body {
        let t = mailbox::body::text_body(b);
        let mut e = ews::Element::new("", "TextBody");
        e.attrs.push(("BodyType".into(), "Text".into()));
        e.children.push(ews::Node::Text(t.text));
        item.other.push(e);
    }
    if w.field(Column::DateTimeReceived) {
        item.date_time_received = Some(format_time(stored.received_ms));
    }
    if w.field(Column::Size) {
        item.size = Some(stored.size);
    }
    if w.field(Column::DateTimeCreated) {
        item.date_time_created = Some(format_time(stored.created_ms));
    }
    if w.field(Column::LastModifiedTime) {
        item.last_modified_time = Some(format_time(stored.modified_ms));
    }
    if w.field(Column::IsRead) {
        item.is_read = Some(stored.is_read);
    }
    if w.field(Column::IsDraft) {
        item.is_draft = Some(stored.is_draft);
    }
    item.extended = props
        .extended
        .iter()
        .filter(|e| w.extended(&e.uri.key()))
        .cloned()
        .map(super::mapi::to_ews)
        .collect();
    if stored.is_calendar_item() {
        let computed = mailbox::calendar::computed(stored, &|tag| w.prop(tag));
        item.other.extend(computed.iter().map(fields::element));
    }
    if w.field(Column::Attachments) && !props.attachments.is_empty() {
        item.attachments = Some(summaries(&props.attachments, &stored.id));
    }
    if w.field(Column::HasAttachments) {
        let has = mailbox::has_attachments(&props.attachments);
        let e = fields::element(&Property(Tag::HasAttachments, Value::Bool(has)));
        item.other.retain(|o| o.name != e.name);
        item.other.push(e);
    }
    item
}

/// An item of `mbox` as a shape asks for it.
pub fn view(mbox: &mailbox::Mailbox, item: &MailItem, shape: &Shape, with_body: bool) -> Item {
    to_ews(item, mbox.folder_by_id(&item.folder_id), shape, with_body)
}

/// The id-only form write operations answer with.
pub(super) fn id_only(ctx: &super::context::Context<'_>, stored: &MailItem) -> Item {
    let mut item = view(&ctx.mbox, stored, &Shape::id_only(), false);
    if !stored.props.attachments.is_empty() {
        item.attachments = Some(ids_only(&stored.props.attachments, stored));
    }
    item
}

/// Turns a master's EWS form into one of its occurrences: its id, times and type, the
/// exception's changes, and none of the series' own properties.
pub fn as_occurrence(item: &mut Item, master: &MailItem, o: &Occurrence) {
    item.item_id = Some(ItemId::new(
        occurrence_id(&master.id, o.index),
        change_key(&master.id, master.version),
    ));
    item.other
        .retain(|e| !mailbox::calendar::is_series_only(&Tag::from_name(&e.name)));
    if let Some(s) = o.exception.as_ref().and_then(|x| x.subject.as_ref())
        && item.subject.is_some()
    {
        item.subject = Some(s.clone());
    }
    let (replacing, always) = mailbox::calendar::occurrence_properties(o);
    for p in &replacing {
        if let Some(slot) = item.other.iter_mut().find(|e| e.name == p.0.name()) {
            *slot = fields::element(p);
        }
    }
    for p in &always {
        let el = fields::element(p);
        match item.other.iter_mut().find(|e| e.name == el.name) {
            Some(slot) => *slot = el,
            None => item.other.push(el),
        }
    }
}

/// An attachment as an item lists it: id, name, type, size, time, inline; no content.
pub fn summary(a: &StoredAttachment, id: String) -> Attachment {
    Attachment {
        attachment_id: Some(AttachmentId::new(id)),
        name: a.name.clone(),
        content_type: a.content_type.clone(),
        content_id: a.content_id.clone(),
        content_location: a.content_location.clone(),
        size: Some(a.size),
        last_modified_time: Some(format_time(a.modified_ms)),
        is_inline: Some(a.is_inline),
        content: match &a.content {
            StoredContent::File {
                is_contact_photo, ..
            } => AttachmentContent::File {
                content: None,
                is_contact_photo: Some(*is_contact_photo),
            },
            StoredContent::Item(_) => AttachmentContent::Item(None),
        },
    }
}

/// The summaries of a list of attachments whose ids start with `prefix`.
pub fn summaries(attachments: &[StoredAttachment], prefix: &str) -> Vec<Attachment> {
    attachments
        .iter()
        .map(|a| summary(a, format!("{prefix}{}", a.local_id)))
        .collect()
}

/// The attached item in EWS form, with its own attachments listed under ids that extend `id`.
fn attached_item(i: &AttachedItem, id: &str, shape: &Shape) -> Item {
    let item = MailItem {
        id: String::new(),
        mailbox: String::new(),
        folder_id: String::new(),
        kind: mailbox::ItemKind::from_name(&i.tag),
        class: i.item_class.clone(),
        subject: i.subject.clone(),
        created_ms: i.created_ms,
        received_ms: i.created_ms,
        modified_ms: i.created_ms,
        size: 0,
        is_read: i.is_read,
        is_draft: i.is_draft,
        immutable: false,
        version: 1,
        props: i.props.clone(),
    };
    let mut out = to_ews(&item, None, shape, true);
    out.item_id = None;
    out.attachments = Some(summaries(&i.props.attachments, id));
    out
}

/// The whole attachment, as GetAttachment returns it: a file's content (base64), or the
/// attached item.
pub fn full(a: &StoredAttachment, id: String, content: Option<&[u8]>, shape: &Shape) -> Attachment {
    use base64::Engine;
    let mut out = summary(a, id.clone());
    out.content = match &a.content {
        StoredContent::File {
            is_contact_photo, ..
        } => AttachmentContent::File {
            content: Some(
                base64::engine::general_purpose::STANDARD.encode(content.unwrap_or_default()),
            ),
            is_contact_photo: Some(*is_contact_photo),
        },
        StoredContent::Item(i) => {
            AttachmentContent::Item(Some(Box::new(attached_item(i, &id, shape))))
        }
    };
    out
}

/// Attachments as the answer to a write names them: kind and id, with the item's id and new
/// change key (CreateItem, CreateAttachment).
pub fn ids_only(attachments: &[StoredAttachment], row: &MailItem) -> Vec<Attachment> {
    attachments
        .iter()
        .map(|a| Attachment {
            attachment_id: Some(AttachmentId {
                id: wire_id(&row.id, &[&a.local_id]),
                root_item_id: Some(row.id.clone()),
                root_item_change_key: Some(change_key(&row.id, row.version)),
            }),
            name: None,
            content_type: None,
            content_id: None,
            content_location: None,
            size: None,
            last_modified_time: None,
            is_inline: None,
            content: match a.content {
                StoredContent::File { .. } => AttachmentContent::File {
                    content: None,
                    is_contact_photo: None,
                },
                StoredContent::Item(_) => AttachmentContent::Item(None),
            },
        })
        .collect()
}
