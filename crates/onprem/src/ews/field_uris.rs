//! EWS field URIs and what they name in the mailbox: one table, read by shapes (what an item
//! shows), restrictions and sort orders (what a search compares), and UpdateItem's deletions.
//! A URI of the table names one of the row's own columns; any other `prefix:Name` names the
//! mailbox property tagged `Name`, and an indexed URI (`contacts:EmailAddress`) an entry of a
//! dictionary property.

use ews::PropertyPath;
use mailbox::{Field, Tag};

/// What an item's property path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Column(Column),
    Prop(Tag),
    /// One entry of a dictionary, or one part of an entry.
    Entry {
        dictionary: Tag,
        key: String,
        part: Option<String>,
    },
    /// An extended (MAPI) property, by identity.
    Extended(String),
}

/// The values an item row keeps in columns of its own, or that the server makes when shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    ItemId,
    ParentFolderId,
    ItemClass,
    Subject,
    Body,
    TextBody,
    MimeContent,
    Attachments,
    HasAttachments,
    DateTimeReceived,
    DateTimeCreated,
    LastModifiedTime,
    Size,
    IsRead,
    IsDraft,
}

/// The field URIs of the columns, with the element each is written as.
const COLUMNS: [(&str, &str, Column); 15] = [
    ("item:ItemId", "ItemId", Column::ItemId),
    (
        "item:ParentFolderId",
        "ParentFolderId",
        Column::ParentFolderId,
    ),
    ("item:ItemClass", "ItemClass", Column::ItemClass),
    ("item:Subject", "Subject", Column::Subject),
    ("item:Body", "Body", Column::Body),
    ("item:TextBody", "TextBody", Column::TextBody),
    ("item:MimeContent", "MimeContent", Column::MimeContent),
    ("item:Attachments", "Attachments", Column::Attachments),
    (
        "item:HasAttachments",
        "HasAttachments",
        Column::HasAttachments,
    ),
    (
        "item:DateTimeReceived",
        "DateTimeReceived",
        Column::DateTimeReceived,
    ),
    (
        "item:DateTimeCreated",
        "DateTimeCreated",
        Column::DateTimeCreated,
    ),
    (
        "item:LastModifiedTime",
        "LastModifiedTime",
        Column::LastModifiedTime,
    ),
    ("item:Size", "Size", Column::Size),
    ("message:IsRead", "IsRead", Column::IsRead),
    ("item:IsDraft", "IsDraft", Column::IsDraft),
];

/// The dictionary an indexed field's entries live in (`EmailAddress` in `EmailAddresses`).
const DICTIONARIES: [(&str, Tag); 4] = [
    ("EmailAddress", Tag::EmailAddresses),
    ("PhoneNumber", Tag::PhoneNumbers),
    ("ImAddress", Tag::ImAddresses),
    ("PhysicalAddress", Tag::PhysicalAddresses),
];

fn local_name(uri: &str) -> &str {
    uri.split_once(':').map(|(_, n)| n).unwrap_or(uri)
}

/// What a field URI (`item:Subject`, `message:ToRecipients`) names.
pub fn field(uri: &str) -> Target {
    if let Some((_, _, c)) = COLUMNS.iter().find(|(u, _, _)| *u == uri) {
        return Target::Column(*c);
    }
    let name = local_name(uri);
    // A column's element under another prefix (`message:Subject`) is still the column.
    match COLUMNS.iter().find(|(_, n, _)| *n == name) {
        Some((_, _, c)) => Target::Column(*c),
        None => Target::Prop(Tag::from_name(name)),
    }
}

/// The dictionary an indexed field names, and the part of an entry (`Street` of
/// `contacts:PhysicalAddress:Street`).
pub fn dictionary(uri: &str) -> (Tag, Option<String>) {
    let name = local_name(uri);
    let (base, part) = match name.split_once(':') {
        Some((b, p)) => (b, Some(p.to_string())),
        None => (name, None),
    };
    let tag = DICTIONARIES
        .iter()
        .find(|(n, _)| *n == base)
        .map(|(_, t)| t.clone())
        .unwrap_or_else(|| Tag::from_name(base));
    (tag, part)
}

/// What a property path names.
pub fn target(path: &PropertyPath) -> Target {
    match path {
        PropertyPath::Field(uri) => field(uri),
        PropertyPath::Indexed { uri, index } => {
            let (dictionary, part) = dictionary(uri);
            Target::Entry {
                dictionary,
                key: index.clone(),
                part,
            }
        }
        PropertyPath::Extended(e) => Target::Extended(e.key()),
    }
}

/// Whether a shape's path asks for the property tagged `tag` (an indexed path asks for its
/// whole dictionary).
pub fn asks_for(path: &PropertyPath, tag: &Tag) -> bool {
    match target(path) {
        Target::Prop(t) => t == *tag,
        Target::Entry { dictionary, .. } => dictionary == *tag,
        _ => false,
    }
}

/// Whether a shape's path asks for a column.
pub fn asks_for_column(path: &PropertyPath, column: Column) -> bool {
    target(path) == Target::Column(column)
}

/// The search field a target is compared and sorted by: a column of its own, or the value
/// index under the property's key; None for what is not searched (ids, attachments, MIME).
pub fn search_field(t: &Target) -> Option<Field> {
    Some(match t {
        Target::Column(c) => match c {
            Column::Subject => Field::Subject,
            Column::ItemClass => Field::ItemClass,
            Column::DateTimeReceived => Field::DateTimeReceived,
            Column::DateTimeCreated => Field::DateTimeCreated,
            Column::LastModifiedTime => Field::LastModifiedTime,
            Column::IsRead => Field::IsRead,
            Column::IsDraft => Field::IsDraft,
            Column::Size => Field::Size,
            Column::Body => Field::Body,
            Column::HasAttachments | Column::TextBody => Field::Extended {
                key: mailbox::field_key(column_name(*c)),
                numeric: false,
            },
            _ => return None,
        },
        Target::Prop(Tag::Categories) => Field::Extended {
            key: mailbox::CATEGORIES_KEY.into(),
            numeric: false,
        },
        Target::Prop(tag) if !tag.name().is_empty() => Field::Extended {
            key: mailbox::field_key(tag.name()),
            numeric: false,
        },
        Target::Prop(_) => return None,
        Target::Entry {
            dictionary,
            key,
            part,
        } => Field::Extended {
            key: mailbox::entry_key(dictionary, key, part.as_deref()),
            numeric: false,
        },
        Target::Extended(key) => Field::Extended {
            key: key.clone(),
            numeric: false,
        },
    })
}

fn column_name(c: Column) -> &'static str {
    COLUMNS
        .iter()
        .find(|(_, _, x)| *x == c)
        .map(|(_, n, _)| *n)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_table_names_columns_properties_and_entries() {
        assert_eq!(field("item:Subject"), Target::Column(Column::Subject));
        assert_eq!(field("message:IsRead"), Target::Column(Column::IsRead));
        assert_eq!(field("calendar:Start"), Target::Prop(Tag::Start));
        assert_eq!(
            field("contacts:Culture"),
            Target::Prop(Tag::Kept("Culture".into()))
        );
        let street = PropertyPath::Indexed {
            uri: "contacts:PhysicalAddress:Street".into(),
            index: "Home".into(),
        };
        assert_eq!(
            search_field(&target(&street)),
            Some(Field::Extended {
                key: "field:PhysicalAddresses[Home]:Street".into(),
                numeric: false
            })
        );
        assert!(asks_for(&street, &Tag::PhysicalAddresses));
        assert_eq!(search_field(&field("item:ItemId")), None);
    }
}
