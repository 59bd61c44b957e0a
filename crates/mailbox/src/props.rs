//! The typed stored form of an item's properties (JSON, no XML), and the upgrade of the first
//! release's form (XML fragments by element name) to it.

use crate::body::Body;
use ews::{Element, ExtendedFieldUri, ExtendedProperty};
use serde::{Deserialize, Serialize};
use store::ItemValue;

/// What an item holds besides its indexed columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// Properties kept as the client sent them (recipients, importance, …), one per name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<Element>,
    /// One per property identity (see [`ExtendedFieldUri::key`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended: Vec<ExtendedProperty>,
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

/// The properties that hold recipients: searched by their names and addresses, by scanning
/// (the value index keeps no structured properties).
pub fn is_address_list(element: &str) -> bool {
    matches!(
        element,
        "ToRecipients" | "CcRecipients" | "BccRecipients" | "From" | "Sender"
    )
}

pub fn field_key(element: &str) -> String {
    format!("{FIELD_KEY_PREFIX}{element}")
}

/// The value-index key of one entry of a contact's dictionary property:
/// `contacts:EmailAddress` at `EmailAddress1` is `field:EmailAddresses[EmailAddress1]`, and a part
/// of an address, `contacts:PhysicalAddress:Street` at `Home`, is
/// `field:PhysicalAddresses[Home]:Street`.
pub fn indexed_key(uri: &str, index: &str) -> String {
    let name = uri.split_once(':').map(|(_, n)| n).unwrap_or(uri);
    let (dictionary, part) = match name.split_once(':') {
        Some((d, part)) => (d, Some(part)),
        None => (name, None),
    };
    let mut key = format!("{FIELD_KEY_PREFIX}{}[{index}]", dictionary_of(dictionary));
    if let Some(part) = part {
        key.push(':');
        key.push_str(part);
    }
    key
}

/// The element that holds an indexed property (`EmailAddress` lives in `EmailAddresses`).
pub fn dictionary_of(name: &str) -> &str {
    match name.split(':').next().unwrap_or(name) {
        "EmailAddress" => "EmailAddresses",
        "PhoneNumber" => "PhoneNumbers",
        "ImAddress" => "ImAddresses",
        "PhysicalAddress" => "PhysicalAddresses",
        other => other,
    }
}

pub fn is_dictionary(name: &str) -> bool {
    matches!(
        name,
        "EmailAddresses" | "PhoneNumbers" | "ImAddresses" | "PhysicalAddresses"
    )
}

/// The value-index key of an item's categories (no extended property's key has this form).
pub const CATEGORIES_KEY: &str = "item:Categories";

/// PR_MESSAGE_CLASS (0x001A): how clients that cannot set ItemClass set it.
pub fn is_message_class(uri: &ExtendedFieldUri) -> bool {
    uri.key() == "PropertyTag=0x1a"
}

impl StoredProperties {
    pub fn decode(props: &str, format: i64) -> StoredProperties {
        if format == 1 {
            return legacy(props);
        }
        serde_json::from_str(props).unwrap_or_default()
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn set_other(&mut self, el: Element) {
        match self.other.iter_mut().find(|o| o.name == el.name) {
            Some(o) => *o = el,
            None => self.other.push(el),
        }
    }

    /// The addresses of the item's From and Sender mailboxes, in that order.
    pub fn sender_addresses(&self) -> Vec<String> {
        ["From", "Sender"]
            .iter()
            .filter_map(|name| self.other.iter().find(|o| o.name == *name))
            .flat_map(|holder| holder.children_named("Mailbox"))
            .filter_map(|m| m.child_text("EmailAddress"))
            .collect()
    }

    pub fn set_extended(&mut self, p: ExtendedProperty) {
        let key = p.uri.key();
        match self.extended.iter_mut().find(|e| e.uri.key() == key) {
            Some(e) => *e = p,
            None => self.extended.push(p),
        }
    }

    pub fn remove_extended(&mut self, uri: &ExtendedFieldUri) {
        let key = uri.key();
        self.extended.retain(|e| e.uri.key() != key);
    }

    /// The item's categories (`t:Categories/t:String`).
    pub fn categories(&self) -> Vec<String> {
        self.other
            .iter()
            .filter(|o| o.name == "Categories")
            .flat_map(|c| c.children_named("String").map(|s| s.text()))
            .collect()
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
            if is_address_list(name) {
                return self.names_and_addresses(name);
            }
            return self.simple(name).into_iter().collect();
        }
        self.extended
            .iter()
            .filter(|e| e.uri.key() == key)
            .flat_map(|e| e.values.iter().cloned())
            .collect()
    }

    /// The rows of the value index: one per value of each extended property, and one per
    /// category.
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
        out.extend(self.other.iter().filter_map(|o| {
            let text = self.simple(&o.name)?;
            Some(ItemValue {
                key: field_key(&o.name),
                text,
            })
        }));
        out
    }

    /// One row per entry of the dictionary properties, and per part of a structured entry (a
    /// physical address's Street, City, …), under [`indexed_key`]'s keys.
    fn entry_values(&self) -> impl Iterator<Item = ItemValue> + '_ {
        self.other
            .iter()
            .filter(|o| is_dictionary(&o.name))
            .flat_map(|d| {
                d.children_named("Entry").flat_map(move |entry| {
                    let index = entry.attr("Key").unwrap_or_default();
                    let base = format!("{FIELD_KEY_PREFIX}{}[{index}]", d.name);
                    let parts: Vec<ItemValue> = if entry.elements().next().is_none() {
                        vec![ItemValue {
                            key: base,
                            text: entry.text(),
                        }]
                    } else {
                        entry
                            .elements()
                            .map(|part| ItemValue {
                                key: format!("{base}:{}", part.name),
                                text: part.text(),
                            })
                            .collect()
                    };
                    parts
                        .into_iter()
                        .filter(|v| v.text.len() <= MAX_INDEXED_TEXT)
                })
            })
    }

    /// The text of a kept property that is a single value (`t:Importance`, `t:ReminderIsSet`,
    /// …), bounded so that the index stays small; None for structured ones.
    /// The names and addresses of a recipient list or mailbox (`ToRecipients`, `From`).
    fn names_and_addresses(&self, name: &str) -> Vec<String> {
        self.other
            .iter()
            .filter(|o| o.name == name)
            .flat_map(|o| o.children_named("Mailbox"))
            .flat_map(|m| {
                ["Name", "EmailAddress"]
                    .into_iter()
                    .filter_map(|n| m.child_text(n))
                    .collect::<Vec<_>>()
            })
            .filter(|t| !t.trim().is_empty())
            .collect()
    }

    fn simple(&self, name: &str) -> Option<String> {
        let el = self.other.iter().find(|o| o.name == name)?;
        if el.elements().next().is_some() {
            return None;
        }
        let text = el.text();
        (text.len() <= MAX_INDEXED_TEXT).then_some(text)
    }
}

/// Parses fragments written with the `t:` prefix and no namespace declaration.
fn fragments(xml: &str) -> Vec<Element> {
    let wrapped = format!(r#"<w xmlns:t="{}">{xml}</w>"#, ews::NS_TYPES);
    ews::xml::parse(&wrapped)
        .map(|w| w.elements().cloned().collect())
        .unwrap_or_default()
}

/// The first release kept `{"el": {name: fragment}, "ext": {key: fragment}, "extv": …}`.
fn legacy(props: &str) -> StoredProperties {
    let v: serde_json::Value = serde_json::from_str(props).unwrap_or_default();
    let texts = |k: &str| -> Vec<String> {
        v.get(k)
            .and_then(|m| m.as_object())
            .map(|m| {
                m.values()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = StoredProperties::default();
    for frag in texts("el") {
        for mut el in fragments(&frag) {
            ews::normalize_booleans(&mut el);
            if el.name == "Body" {
                out.body = Some(Body {
                    body_type: el.attr("BodyType").unwrap_or("Text").to_string(),
                    text: el.text(),
                });
            } else {
                out.set_other(el);
            }
        }
    }
    for frag in texts("ext") {
        for el in fragments(&frag) {
            if let Some(p) = ExtendedProperty::parse(&el) {
                out.set_extended(p);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_form_is_carried_forward() {
        let old = serde_json::json!({
            "el": {
                "Body": "<t:Body BodyType=\"HTML\">&lt;p&gt;hi&lt;/p&gt;</t:Body>",
                "Importance": "<t:Importance>High</t:Importance>",
                "ReminderIsSet": "<t:ReminderIsSet>0</t:ReminderIsSet>"
            },
            "ext": {
                "PropertyTag=0x1a": "<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag=\"0x1a\" PropertyType=\"String\"/><t:Value>IPM.Note.Microsoft.Conversation</t:Value></t:ExtendedProperty>"
            },
            "extv": {"PropertyTag=0x1a": "IPM.Note.Microsoft.Conversation"}
        })
        .to_string();
        let p = StoredProperties::decode(&old, 1);
        assert_eq!(p.body.as_ref().unwrap().text, "<p>hi</p>");
        assert_eq!(p.other.len(), 2);
        assert_eq!(p.other[1].text(), "false");
        assert_eq!(
            p.extended[0].values,
            vec!["IPM.Note.Microsoft.Conversation"]
        );
        let again = StoredProperties::decode(&p.encode(), 2);
        assert_eq!(again, p);
        assert_eq!(p.values()[0].key, "PropertyTag=0x1a");
    }
}
