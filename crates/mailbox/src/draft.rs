//! What a client asks of the mailbox, in the mailbox's terms: an item to make (a draft), the
//! changes to an item, the item or occurrence a request names, attachments to add, and the
//! answers to a meeting.

use crate::body::Body;
use crate::mapi::{MapiProperty, PropertyName};
use crate::model::{ItemKind, Property, Tag};

/// An item as a client gives it: to be made, or the properties a change sets or appends to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemDraft {
    pub kind: Option<ItemKind>,
    pub class: Option<String>,
    pub subject: Option<String>,
    pub body: Option<Body>,
    pub is_read: Option<bool>,
    pub is_draft: Option<bool>,
    pub props: Vec<Property>,
    pub extended: Vec<MapiProperty>,
    pub attachments: Option<Vec<NewAttachment>>,
    /// The item as an RFC 5322 message, whose headers, body and attachments fill in what the
    /// draft itself does not say.
    pub mime: Option<Vec<u8>>,
}

impl ItemDraft {
    pub fn new(kind: ItemKind) -> ItemDraft {
        ItemDraft {
            kind: Some(kind),
            ..ItemDraft::default()
        }
    }

    pub fn kind(&self) -> ItemKind {
        self.kind.clone().unwrap_or(ItemKind::Item)
    }

    pub fn prop(&self, tag: &Tag) -> Option<&crate::model::Value> {
        self.props.iter().find(|p| p.0 == *tag).map(|p| &p.1)
    }
}

/// One change of an item (UpdateItem's set, append and delete).
#[derive(Debug, Clone, PartialEq)]
pub enum ItemChange {
    Set(ItemDraft),
    Append(ItemDraft),
    Delete(PropertyRef),
}

/// A property a change deletes.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyRef {
    Subject,
    Body,
    Prop(Tag),
    /// One entry of a dictionary (a contact's e-mail address 2), or one part of it (the city
    /// of the home address).
    Entry {
        dictionary: Tag,
        key: String,
        part: Option<String>,
    },
    Extended(PropertyName),
}

/// The item a request names: by id, optionally with the change key the client holds; or an
/// occurrence of a series, or the series of an occurrence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemTarget {
    pub id: String,
    pub change_key: Option<String>,
    pub occurrence: Option<OccurrenceRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OccurrenceRef {
    /// The occurrence with this (1-based) instance index of the series.
    Instance(u32),
    /// The series of the occurrence named.
    MasterOf,
}

/// An attachment a client adds.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAttachment {
    pub name: Option<String>,
    pub content_type: Option<String>,
    pub content_id: Option<String>,
    pub content_location: Option<String>,
    pub is_inline: bool,
    pub content: NewContent,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NewContent {
    File {
        bytes: Vec<u8>,
        is_contact_photo: bool,
    },
    Item(Box<ItemDraft>),
}

/// An attendee's answer to a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Tentative,
    Decline,
}

/// A reply or forward a client asks the server to make of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub kind: ResponseKind,
    /// The item answered.
    pub reference: String,
    /// What the client gave: a subject, recipients, a body.
    pub draft: ItemDraft,
    /// The text to put above the original's.
    pub new_body: Option<Body>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    Reply,
    ReplyAll,
    Forward,
}
