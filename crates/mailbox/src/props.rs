//! The stored form of an item's properties (JSON, no XML): the property bag, MAPI properties,
//! attachments and calendar state; and the reading of the two forms before it.

use crate::body::Body;
use crate::mapi::{MapiProperty, PropertyName};
use crate::model::{EntryValue, PropertyBag, Tag, Value};
use serde::{Deserialize, Serialize};
use store::ItemValue;

/// The form [`StoredProperties::encode`] writes (`props_format`): 1 was XML fragments by element
/// name, 2 the properties as EWS element trees, 3 the property bag.
pub const PROPS_FORMAT: i64 = 3;

/// What an item holds besides its indexed columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// The item's properties (recipients, importance, times, …), one per tag.
    #[serde(default, skip_serializing_if = "PropertyBag::is_empty")]
    pub bag: PropertyBag,
    /// One per property identity (see [`PropertyName::key`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended: Vec<MapiProperty>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<StoredAttachment>,
    /// A calendar item's series end, changed and deleted occurrences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarState>,
}

/// Kept single-value properties are indexed under `field:<element name>`, so that restrictions
/// on them (`item:Importance`, `contacts:GivenName`, …) run in SQL too.
pub const FIELD_KEY_PREFIX: &str = "field:";

/// Longer kept texts are not indexed (a restriction on them matches nothing).
pub const MAX_INDEXED_TEXT: usize = 1024;

/// The reader of items' properties stored before the property bag, which named them by EWS
/// element (see [`crate::read_earlier_forms_with`]).
static EARLIER_FORMS: std::sync::OnceLock<fn(&str, i64) -> StoredProperties> =
    std::sync::OnceLock::new();

pub(crate) fn read_earlier_properties_with(reader: fn(&str, i64) -> StoredProperties) {
    let _ = EARLIER_FORMS.set(reader);
}

/// Whether a property named so holds recipients, searched by their names and addresses, by
/// scanning (the value index keeps no structured properties).
pub fn is_address_list(name: &str) -> bool {
    Tag::from_name(name).is_address_list()
}

pub fn field_key(name: &str) -> String {
    format!("{FIELD_KEY_PREFIX}{name}")
}

/// The value-index key of one entry of a dictionary property, or of one part of an entry:
/// `field:EmailAddresses[EmailAddress1]`, `field:PhysicalAddresses[Home]:Street`.
pub fn entry_key(dictionary: &Tag, key: &str, part: Option<&str>) -> String {
    let mut out = format!("{FIELD_KEY_PREFIX}{}[{key}]", dictionary.name());
    if let Some(part) = part {
        out.push(':');
        out.push_str(part);
    }
    out
}

/// The value-index key of an item's categories (no extended property's key has this form).
pub const CATEGORIES_KEY: &str = "item:Categories";

/// PR_MESSAGE_CLASS (0x001A): how clients that cannot set ItemClass set it.
pub fn is_message_class(name: &PropertyName) -> bool {
    name.key() == "PropertyTag=0x1a"
}

impl StoredProperties {
    pub fn decode(props: &str, format: i64) -> StoredProperties {
        match (format, EARLIER_FORMS.get()) {
            (PROPS_FORMAT, _) => serde_json::from_str(props).unwrap_or_default(),
            (_, Some(read)) => read(props, format),
            (_, None) => StoredProperties::default(),
        }
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn get(&self, tag: &Tag) -> Option<&Value> {
        self.bag.get(tag)
    }

    pub fn set(&mut self, tag: Tag, value: Value) {
        self.bag.set(tag, value)
    }

    /// The addresses of the item's From and Sender mailboxes, in that order.
    pub fn sender_addresses(&self) -> Vec<String> {
        [Tag::From, Tag::Sender]
            .iter()
            .flat_map(|t| self.bag.addresses(t))
            .filter_map(|a| a.email.as_deref().map(|e| e.trim().to_string()))
            .collect()
    }

    pub fn set_extended(&mut self, p: MapiProperty) {
        crate::mapi::set_property(&mut self.extended, p)
    }

    pub fn remove_extended(&mut self, name: &PropertyName) {
        let key = name.key();
        self.extended.retain(|e| e.uri.key() != key);
    }

    /// The item's categories.
    pub fn categories(&self) -> Vec<String> {
        match self.bag.get(&Tag::Categories) {
            Some(Value::Strings(list)) => list.clone(),
            _ => Vec::new(),
        }
    }

    /// The values of a multi-valued property by its index key: an extended property's
    /// identity, or [`CATEGORIES_KEY`].
    pub fn values_of(&self, key: &str) -> Vec<String> {
        if key == CATEGORIES_KEY {
            return self.categories();
        }
        if key.contains('[') {
            return self
                .entry_values()
                .filter(|v| v.key == key)
                .map(|v| v.text)
                .collect();
        }
        if let Some(name) = key.strip_prefix(FIELD_KEY_PREFIX) {
            let tag = Tag::from_name(name);
            if tag.is_address_list() {
                return self.names_and_addresses(&tag);
            }
            return self.simple(&tag).into_iter().collect();
        }
        self.extended
            .iter()
            .filter(|e| e.uri.key() == key)
            .flat_map(|e| e.values.iter().cloned())
            .collect()
    }

    /// The rows of the value index: one per value of each extended property, one per
    /// category, per dictionary entry, per blob the item references, and per single-value
    /// property.
    pub fn values(&self) -> Vec<ItemValue> {
        let mut out: Vec<ItemValue> = self
            .extended
            .iter()
            .flat_map(|e| {
                let key = e.uri.key();
                e.values.iter().map(move |v| ItemValue {
                    key: key.clone(),
                    text: v.clone(),
                })
            })
            .collect();
        out.extend(self.categories().into_iter().map(|text| ItemValue {
            key: CATEGORIES_KEY.into(),
            text,
        }));
        out.extend(self.entry_values());
        let mut digests = Vec::new();
        blob_digests(&self.attachments, &mut digests);
        digests.sort();
        digests.dedup();
        out.extend(digests.into_iter().map(|text| ItemValue {
            key: store::BLOB_REFERENCE_KEY.into(),
            text,
        }));
        if let Some(c) = &self.calendar {
            out.push(ItemValue {
                key: SERIES_END_KEY.into(),
                text: c
                    .series_end_ms
                    .map(crate::instants::format_time)
                    .unwrap_or_else(|| NO_END.into()),
            });
        }
        out.extend(self.bag.iter().filter_map(|p| {
            let text = self.simple(&p.0)?;
            Some(ItemValue {
                key: field_key(p.0.name()),
                text,
            })
        }));
        out
    }

    /// One row per entry of the dictionary properties, and per part of a structured entry (a
    /// physical address's street, city, …), under [`entry_key`]'s keys.
    fn entry_values(&self) -> impl Iterator<Item = ItemValue> + '_ {
        self.bag
            .iter()
            .filter_map(|p| match &p.1 {
                Value::Entries(list) if p.0.is_dictionary() => Some((&p.0, list)),
                _ => None,
            })
            .flat_map(|(dictionary, list)| {
                list.iter().flat_map(move |entry| {
                    let parts: Vec<ItemValue> = match &entry.value {
                        EntryValue::Text(text) => vec![ItemValue {
                            key: entry_key(dictionary, &entry.key, None),
                            text: text.clone(),
                        }],
                        EntryValue::Parts(parts) => parts
                            .iter()
                            .map(|(part, text)| ItemValue {
                                key: entry_key(dictionary, &entry.key, Some(part)),
                                text: text.clone(),
                            })
                            .collect(),
                    };
                    parts
                        .into_iter()
                        .filter(|v| v.text.len() <= MAX_INDEXED_TEXT)
                })
            })
    }

    /// The names and addresses of a recipient list or mailbox (`ToRecipients`, `From`).
    fn names_and_addresses(&self, tag: &Tag) -> Vec<String> {
        self.bag
            .addresses(tag)
            .iter()
            .flat_map(|a| [a.name.clone(), a.email.clone()])
            .flatten()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    }

    /// The text of a property that is a single value (importance, a flag, a time, …),
    /// bounded so that the index stays small; None for structured ones.
    fn simple(&self, tag: &Tag) -> Option<String> {
        let text = self.bag.get(tag)?.scalar()?;
        (text.len() <= MAX_INDEXED_TEXT).then_some(text)
    }
}

/// The largest attachment accepted (bytes of content, before base64); a larger one is refused
/// with ErrorAttachmentSizeLimitExceeded. Requests are bounded at 8 MiB of XML anyway.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAttachment {
    pub local_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_location: Option<String>,
    #[serde(default)]
    pub is_inline: bool,
    pub modified_ms: i64,
    pub size: i64,
    pub content: StoredContent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StoredContent {
    /// A file: the SHA-256 digest (hex) of its bytes.
    File {
        blob: String,
        #[serde(default)]
        is_contact_photo: bool,
    },
    Item(Box<AttachedItem>),
}

/// An attached item: what an item row holds, and its property bag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachedItem {
    pub tag: String,
    pub item_class: String,
    pub subject: String,
    pub is_read: bool,
    pub is_draft: bool,
    pub created_ms: i64,
    pub props: StoredProperties,
}

/// The digests of every file attachment, nested ones too (the item's references to blobs).
pub fn blob_digests(attachments: &[StoredAttachment], out: &mut Vec<String>) {
    for a in attachments {
        match &a.content {
            StoredContent::File { blob, .. } => out.push(blob.clone()),
            StoredContent::Item(i) => blob_digests(&i.props.attachments, out),
        }
    }
}

/// Whether an item has attachments as HasAttachments says it: any that is not inline.
pub fn has_attachments(attachments: &[StoredAttachment]) -> bool {
    attachments.iter().any(|a| !a.is_inline)
}

/// What the server keeps about a calendar item besides the properties the client set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalendarState {
    /// The end of the series' last occurrence (the item's end when it does not recur); none
    /// for a series without end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_end_ms: Option<i64>,
    /// Occurrences changed on their own, by instance index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<Exception>,
    /// Instance indexes of deleted occurrences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<u32>,
}

/// A changed occurrence: its own times and the properties set on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exception {
    pub index: u32,
    pub start_ms: i64,
    pub end_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "PropertyBag::is_empty")]
    pub bag: PropertyBag,
}

/// The value-index key of a calendar item's series end (for CalendarView in SQL).
pub const SERIES_END_KEY: &str = "calendar:SeriesEnd";
/// The series end of a series without end, as indexed.
pub const NO_END: &str = "9999-12-31T23:59:59Z";
