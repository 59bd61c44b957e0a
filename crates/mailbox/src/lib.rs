//! The mailbox domain: the distinguished folder tree every mailbox is created with, items with
//! a typed property bag, change keys, the Recoverable Items rules (Purges, immutability), user
//! configurations, and search (restrictions, sort order, paging) pushed down to SQL through the
//! store. It speaks its own terms (tags, typed values, drafts and changes); the EWS server
//! converts at its edge; storage is the store's.

pub mod archive;
pub mod attachments;
pub mod body;
pub mod calendar;
pub mod calendar_view;
mod config;
mod delegates;
mod draft;
mod error;
mod events;
mod export;
mod folder_props;
mod folders;
mod ids;
mod instants;
mod item;
mod item_ops;
mod locale;
mod mail_item;
mod mapi;
mod meeting;
mod mime;
pub mod model;
mod oof;
mod props;
mod recipients;
mod recurrence;
mod reply;
mod rule_types;
mod rules;
mod search;
mod send;
mod service;
pub mod subscriptions;
mod sync;
mod task;
pub mod timezones;
pub mod transport;
mod tree;

pub use attachments::digest as attachment_digest;
pub use body::Body;
pub use config::{
    Configuration, ConfigurationEntry, ConfigurationParts, ConfigurationValue, StoredConfiguration,
    encode_dictionary, valid_name,
};
pub use draft::{
    Answer, ItemChange, ItemDraft, ItemTarget, NewAttachment, NewContent, OccurrenceRef,
    PropertyRef, Response, ResponseKind,
};
pub use error::MailboxError;
pub use events::{EventFilter, EventKind, EventPage, EventTarget, MailEvent};
pub use folder_props::{StoredDelegate, StoredDelegates, StoredFolderProperties, StoredOof};
pub use folders::{FolderChange, FolderKind, FolderValues, folder_matches};
pub use instants::{format_time, parse_time_ms};
pub use item::{apply_updates, change_key, is_well_formed_id, new_item};
pub use locale::{LANGUAGES, localize_default_folders};
pub use mail_item::MailItem;
pub use mapi::{MapiProperty, PropertyName};
pub use meeting::attendee_addresses;
pub use model::{
    Address, Attendee, Entry, EntryValue, FolderRef, FolderTarget, ItemKind, ItemRef, Property,
    PropertyBag, Record, RulePart, Tag, Value,
};
pub use oof::OofChange;
pub use props::{
    AttachedItem, CalendarState, Exception, MAX_ATTACHMENT_BYTES, StoredAttachment, StoredContent,
    has_attachments,
};
pub use props::{
    CATEGORIES_KEY, FIELD_KEY_PREFIX, PROPS_FORMAT, StoredProperties, entry_key, field_key,
};
pub use recipients::{Recipient, Sender, name_recipients, recipient_addresses};
pub use rule_types::{
    RuleChange, RuleDraft, RuleEntry, RuleError, RuleErrorCode, RuleField, RuleSet, RuleValue,
    RulesRefused, StoredRule,
};
pub use search::{
    Candidate, Containment, Field, FolderField, Restriction, SortOrder, reference_order,
};
pub use service::{
    ConflictResolution, DeleteKind, FolderTrees, ItemPage, ItemQuery, Mailbox, upgrade_stored_items,
};
pub use store::CmpOp;
pub use subscriptions::{Delivery, Subscription, SubscriptionSpec};
pub use sync::{FolderSyncChange, HierarchyChanges, ItemChanges, ItemSyncChange, MAX_CHANGES};
pub use tree::{
    ARCHIVE, DISTINGUISHED, Distinguished, is_ews_distinguished, provision, provision_archive,
};

/// The readers of what was stored before the mailbox had terms of its own, which named
/// properties and rule parts by EWS element: the EWS edge, which knows those names, gives them.
#[derive(Clone, Copy)]
pub struct EarlierForms {
    /// An item's properties in form 1 (XML fragments) or 2 (EWS element trees).
    pub item_properties: fn(&str, i64) -> StoredProperties,
    /// A rule's conditions, exceptions or actions kept as one EWS element tree.
    pub rule_set: fn(&serde_json::Value) -> Vec<RuleEntry>,
}

/// Sets how what was stored in an earlier form is read (once; later calls change nothing).
pub fn read_earlier_forms_with(readers: EarlierForms) {
    props::read_earlier_properties_with(readers.item_properties);
    rule_types::read_earlier_rule_sets_with(readers.rule_set);
}
