//! The mailbox domain: the distinguished folder tree every mailbox is created with, items with
//! a typed property bag, change keys, the Recoverable Items rules (Purges, immutability), user
//! configurations, and search (restrictions, sort order, paging) pushed down to SQL through the
//! store. It speaks its own terms (tags, typed values, drafts and changes); the EWS server
//! converts at its edge; storage is the store's.

pub mod archive;
pub mod attachments;
pub mod body;
pub mod calendar;
mod config;
mod delegates;
mod draft;
mod error;
mod events;
mod export;
mod folders;
mod item;
mod locale;
mod mapi;
mod meeting;
mod mime;
pub mod model;
mod oof;
mod props;
mod recurrence;
mod reply;
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

pub use attachments::{MAX_ATTACHMENT_BYTES, StoredAttachment, digest as attachment_digest};
pub use body::Body;
pub use config::{
    Configuration, ConfigurationEntry, ConfigurationParts, ConfigurationValue, StoredConfiguration,
    encode_dictionary, valid_name,
};
pub use delegates::{StoredDelegate, StoredDelegates};
pub use draft::{
    Answer, ItemChange, ItemDraft, ItemTarget, NewAttachment, NewContent, OccurrenceRef,
    PropertyRef, Response, ResponseKind,
};
pub use error::MailboxError;
pub use events::{EventFilter, EventKind, EventPage, EventTarget, MailEvent};
pub use folders::{FolderChange, FolderKind, FolderValues, StoredFolderProperties, folder_matches};
pub use item::{apply_updates, change_key, is_well_formed_id, new_item};
pub use locale::{LANGUAGES, localize_default_folders};
pub use mapi::{MapiProperty, PropertyName};
pub use meeting::attendee_addresses;
pub use model::{
    Address, Attendee, Entry, EntryValue, FolderRef, FolderTarget, ItemKind, ItemRef, Property,
    PropertyBag, Record, RulePart, Tag, Value,
};
pub use oof::{OofChange, StoredOof};
pub use props::{
    CATEGORIES_KEY, EarlierForms, FIELD_KEY_PREFIX, PROPS_FORMAT, StoredProperties, field_key,
    of_row, read_earlier_forms_with,
};
pub use rules::{
    RuleChange, RuleDraft, RuleEntry, RuleError, RuleErrorCode, RuleField, RuleSet, RuleValue,
    RulesRefused, StoredRule,
};
pub use search::{
    Candidate, Containment, Field, FolderField, Restriction, SortOrder, format_time, parse_time_ms,
    reference_order,
};
pub use send::{Recipient, Sender, name_recipients, recipient_addresses};
pub use service::{
    ConflictResolution, DeleteKind, FolderTrees, ItemPage, ItemQuery, Mailbox, upgrade_stored_items,
};
pub use store::CmpOp;
pub use subscriptions::{Delivery, Subscription, SubscriptionSpec};
pub use sync::{FolderSyncChange, HierarchyChanges, ItemChanges, ItemSyncChange, MAX_CHANGES};
pub use tree::{
    ARCHIVE, DISTINGUISHED, Distinguished, is_ews_distinguished, provision, provision_archive,
};
