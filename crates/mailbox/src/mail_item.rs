//! An item as the mailbox answers it: what it is, where it lives, its version and its
//! properties. The store keeps it as a row; the row stays inside the mailbox.

use crate::model::ItemKind;
use crate::props::{PROPS_FORMAT, StoredProperties};
use store::ItemRow;

#[derive(Debug, Clone, PartialEq)]
pub struct MailItem {
    pub id: String,
    /// The mailbox (its GUID) the item is in.
    pub mailbox: String,
    pub folder_id: String,
    pub kind: ItemKind,
    /// The message class (`IPM.Note`, `IPM.Appointment`, …).
    pub class: String,
    pub subject: String,
    pub created_ms: i64,
    pub received_ms: i64,
    pub modified_ms: i64,
    pub size: i64,
    pub is_read: bool,
    pub is_draft: bool,
    pub immutable: bool,
    pub version: i64,
    pub props: StoredProperties,
}

impl MailItem {
    /// The item a stored row and its properties make.
    pub fn of(row: ItemRow, props: StoredProperties) -> MailItem {
        MailItem {
            kind: ItemKind::from_name(&row.tag),
            id: row.id,
            mailbox: row.mailbox,
            folder_id: row.folder_id,
            class: row.item_class,
            subject: row.subject,
            created_ms: row.created_ms,
            received_ms: row.received_ms,
            modified_ms: row.modified_ms,
            size: row.size,
            is_read: row.is_read,
            is_draft: row.is_draft,
            immutable: row.immutable,
            version: row.version,
            props,
        }
    }

    /// The row the store keeps (its properties encoded).
    pub(crate) fn row(&self) -> ItemRow {
        ItemRow {
            id: self.id.clone(),
            mailbox: self.mailbox.clone(),
            folder_id: self.folder_id.clone(),
            tag: self.kind.name().to_string(),
            item_class: self.class.clone(),
            subject: self.subject.clone(),
            props: self.props.encode(),
            props_format: PROPS_FORMAT,
            created_ms: self.created_ms,
            received_ms: self.received_ms,
            modified_ms: self.modified_ms,
            size: self.size,
            is_read: self.is_read,
            is_draft: self.is_draft,
            immutable: self.immutable,
            version: self.version,
        }
    }

    pub fn is_calendar_item(&self) -> bool {
        crate::calendar::is_calendar(&self.kind, &self.class)
    }
}
