//! Attachments (`t:FileAttachment`, `t:ItemAttachment`) and their ids, as items carry them and
//! as CreateAttachment, GetAttachment and DeleteAttachment send and answer them.

use crate::types::{Item, parse_bool};
use crate::writer::Writer;
use crate::xml::Element;

/// `t:AttachmentId`: the attachment's id and, in answers to writes, the item it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttachmentId {
    pub id: String,
    pub root_item_id: Option<String>,
    pub root_item_change_key: Option<String>,
}

impl AttachmentId {
    pub fn new(id: impl Into<String>) -> AttachmentId {
        AttachmentId {
            id: id.into(),
            ..Default::default()
        }
    }

    pub fn parse(el: &Element) -> AttachmentId {
        AttachmentId {
            id: el.attr("Id").unwrap_or("").to_string(),
            root_item_id: el.attr("RootItemId").map(str::to_string),
            root_item_change_key: el.attr("RootItemChangeKey").map(str::to_string),
        }
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        let mut attrs = vec![("Id", self.id.as_str())];
        if let Some(r) = &self.root_item_id {
            attrs.push(("RootItemId", r));
        }
        if let Some(ck) = &self.root_item_change_key {
            attrs.push(("RootItemChangeKey", ck));
        }
        w.empty(name, &attrs);
    }
}

/// What an attachment holds: a file's bytes (base64, as on the wire) or an item.
#[derive(Debug, Clone, PartialEq)]
pub enum AttachmentContent {
    File {
        /// `t:Content`, base64; None when not asked for (GetItem lists attachments without it).
        content: Option<String>,
        is_contact_photo: Option<bool>,
    },
    Item(Option<Box<Item>>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub attachment_id: Option<AttachmentId>,
    pub name: Option<String>,
    pub content_type: Option<String>,
    pub content_id: Option<String>,
    pub content_location: Option<String>,
    pub size: Option<i64>,
    pub last_modified_time: Option<String>,
    pub is_inline: Option<bool>,
    pub content: AttachmentContent,
}

/// The item elements an ItemAttachment may hold.
const ITEM_KINDS: &[&str] = &[
    "Item",
    "Message",
    "CalendarItem",
    "Contact",
    "Task",
    "PostItem",
    "MeetingMessage",
    "MeetingRequest",
    "MeetingResponse",
    "MeetingCancellation",
];

impl Attachment {
    /// From `t:FileAttachment` or `t:ItemAttachment`; None for another element.
    pub fn parse(el: &Element) -> Option<Attachment> {
        let text = |n: &str| el.child_text(n);
        let content = match el.name.as_str() {
            "FileAttachment" => AttachmentContent::File {
                content: text("Content").map(|c| c.split_whitespace().collect()),
                is_contact_photo: text("IsContactPhoto").as_deref().and_then(parse_bool),
            },
            "ItemAttachment" => AttachmentContent::Item(
                el.elements()
                    .find(|c| ITEM_KINDS.contains(&c.name.as_str()))
                    .map(|c| Box::new(Item::parse(c))),
            ),
            _ => return None,
        };
        Some(Attachment {
            attachment_id: el.child("AttachmentId").map(AttachmentId::parse),
            name: text("Name"),
            content_type: text("ContentType"),
            content_id: text("ContentId"),
            content_location: text("ContentLocation"),
            size: text("Size").and_then(|s| s.trim().parse().ok()),
            last_modified_time: text("LastModifiedTime"),
            is_inline: text("IsInline").as_deref().and_then(parse_bool),
            content,
        })
    }

    /// All attachments under a container (`t:Attachments`, `m:Attachments`).
    pub fn parse_all(container: Option<&Element>) -> Vec<Attachment> {
        container
            .map(|c| c.elements().filter_map(Attachment::parse).collect())
            .unwrap_or_default()
    }

    pub fn is_file(&self) -> bool {
        matches!(self.content, AttachmentContent::File { .. })
    }

    pub fn write(&self, w: &mut Writer) {
        let name = if self.is_file() {
            "t:FileAttachment"
        } else {
            "t:ItemAttachment"
        };
        w.open(name, &[]);
        if let Some(id) = &self.attachment_id {
            id.write(w, "t:AttachmentId");
        }
        w.opt_leaf("t:Name", self.name.as_deref());
        w.opt_leaf("t:ContentType", self.content_type.as_deref());
        w.opt_leaf("t:ContentId", self.content_id.as_deref());
        w.opt_leaf("t:ContentLocation", self.content_location.as_deref());
        if let Some(s) = self.size {
            w.leaf("t:Size", &s.to_string());
        }
        w.opt_leaf("t:LastModifiedTime", self.last_modified_time.as_deref());
        w.bool_leaf("t:IsInline", self.is_inline);
        match &self.content {
            AttachmentContent::File {
                content,
                is_contact_photo,
            } => {
                w.bool_leaf("t:IsContactPhoto", *is_contact_photo);
                w.opt_leaf("t:Content", content.as_deref());
            }
            AttachmentContent::Item(Some(item)) => item.write(w),
            AttachmentContent::Item(None) => {}
        }
        w.close(name);
    }
}

/// Writes attachments in a container element.
pub fn write_attachments(w: &mut Writer, name: &str, attachments: &[Attachment]) {
    if attachments.is_empty() {
        w.empty(name, &[]);
        return;
    }
    w.open(name, &[]);
    attachments.iter().for_each(|a| a.write(w));
    w.close(name);
}
