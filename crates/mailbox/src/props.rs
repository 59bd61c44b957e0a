//! The stored form of an item's properties (JSON, no XML): the property bag, MAPI properties,
//! attachments and calendar state; and the reading of the two forms before it.

use crate::body::Body;
use crate::mapi::{MapiProperty, PropertyName};
use crate::model::{EntryValue, PropertyBag, Tag, Value};
use serde::{Deserialize, Serialize};
use store::ItemRow;
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
    pub attachments: Vec<crate::attachments::StoredAttachment>,
    /// A calendar item's series end, changed and deleted occurrences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<crate::calendar::CalendarState>,
}

/// Kept single-value properties are indexed under `field:<element name>`, so that restrictions
/// on them (`item:Importance`, `contacts:GivenName`, …) run in SQL too.
pub const FIELD_KEY_PREFIX: &str = "field:";

/// Longer kept texts are not indexed (a restriction on them matches nothing).
pub const MAX_INDEXED_TEXT: usize = 1024;

/// The readers of forms written before the mailbox had its own terms, which name properties
/// and rule parts by EWS element: the EWS edge, which knows those names, gives them (see
/// [`read_earlier_forms_with`]).
#[derive(Clone, Copy)]
pub struct EarlierForms {
    /// An item's properties in form 1 (XML fragments) or 2 (EWS element trees).
    pub item_properties: fn(&str, i64) -> StoredProperties,
    /// A rule's conditions, exceptions or actions kept as one EWS element tree.
    pub rule_set: fn(&serde_json::Value) -> Vec<crate::rules::RuleEntry>,
}

static EARLIER_FORMS: std::sync::OnceLock<EarlierForms> = std::sync::OnceLock::new();

/// Sets how what was stored in an earlier form is read (once; later calls change nothing).
pub fn read_earlier_forms_with(readers: EarlierForms) {
    let _ = EARLIER_FORMS.set(readers);
}

/// A rule set kept as an EWS element tree, read by the reader of earlier forms (nothing
/// without one).
pub(crate) fn earlier_rule_set(tree: &serde_json::Value) -> Vec<crate::rules::RuleEntry> {
    EARLIER_FORMS
        .get()
        .map(|r| (r.rule_set)(tree))
        .unwrap_or_default()
}

/// Whether a property named so holds recipients, searched by their names and addresses, by
/// scanning (the value index keeps no structured properties).
pub fn is_address_list(name: &str) -> bool {
    Tag::from_name(name).is_address_list()
}

pub fn field_key(name: &str) -> String {
    format!("{FIELD_KEY_PREFIX}{name}")
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
            (_, Some(read)) => (read.item_properties)(props, format),
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
        crate::attachments::blob_digests(&self.attachments, &mut digests);
        digests.sort();
        digests.dedup();
        out.extend(digests.into_iter().map(|text| ItemValue {
            key: store::BLOB_REFERENCE_KEY.into(),
            text,
        }));
        if let Some(c) = &self.calendar {
            out.push(ItemValue {
                key: crate::calendar::SERIES_END_KEY.into(),
                text: c
                    .series_end_ms
                    .map(crate::search::format_time)
                    .unwrap_or_else(|| crate::calendar::NO_END.into()),
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
    /// physical address's street, city, …), keyed `field:<dictionary>[<key>]` and
    /// `field:<dictionary>[<key>]:<part>`.
    fn entry_values(&self) -> impl Iterator<Item = ItemValue> + '_ {
        self.bag
            .iter()
            .filter_map(|p| match &p.1 {
                Value::Entries(list) if p.0.is_dictionary() => Some((p.0.name(), list)),
                _ => None,
            })
            .flat_map(|(dictionary, list)| {
                list.iter().flat_map(move |entry| {
                    let base = format!("{FIELD_KEY_PREFIX}{dictionary}[{}]", entry.key);
                    let parts: Vec<ItemValue> = match &entry.value {
                        EntryValue::Text(text) => vec![ItemValue {
                            key: base,
                            text: text.clone(),
                        }],
                        EntryValue::Parts(parts) => parts
                            .iter()
                            .map(|(part, text)| ItemValue {
                                key: format!("{base}:{part}"),
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

/// Reads a stored row's properties, whatever form they were written in.
pub fn of_row(row: &ItemRow) -> StoredProperties {
    StoredProperties::decode(&row.props, row.props_format)
}
