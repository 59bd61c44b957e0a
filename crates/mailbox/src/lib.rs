//! The mailbox domain: the distinguished folder tree every mailbox is created with, items with
//! a typed property bag, change keys, the Recoverable Items rules (Purges, immutability), user
//! configurations, and search (restrictions, sort order, paging) pushed down to SQL through the
//! store. Requests and answers are in the `ews` crate's types; storage is the store's.

pub mod archive;
mod attachments;
mod body;
pub mod calendar;
mod config;
mod delegates;
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
mod wire;

pub use attachments::{
    MAX_ATTACHMENT_BYTES, StoredAttachment, digest as attachment_digest, ids_only as attachment_ids,
};
pub use config::{
    Configuration, ConfigurationEntry, ConfigurationParts, ConfigurationValue, StoredConfiguration,
    encode_dictionary, valid_name,
};
pub use delegates::{StoredDelegate, StoredDelegates};
pub use error::MailboxError;
pub use events::{EventFilter, EventKind, EventPage, EventTarget, MailEvent};
pub use folders::{FolderChange, FolderKind, FolderValues, StoredFolderProperties, folder_matches};
pub use item::{change_key, is_well_formed_id};
pub use locale::{LANGUAGES, localize_default_folders};
pub use mapi::{MapiProperty, PropertyName};
pub use meeting::{attendee_addresses, is_meeting_response};
pub use model::{Address, Attendee, Entry, EntryValue, Property, PropertyBag, Record, Tag, Value};
pub use oof::{OofChange, StoredOof};
pub use props::{
    CATEGORIES_KEY, FIELD_KEY_PREFIX, PROPS_FORMAT, StoredProperties, field_key, of_row,
};
pub use reply::is_response;
pub use rules::{RulesRefused, StoredRule};
pub use search::{
    Candidate, Containment, Field, FolderField, Restriction, SortOrder, format_time, parse_time_ms,
    reference_order,
};
pub use send::{Recipient, Sender, name_recipients, recipient_addresses};
pub use service::{
    ConflictResolution, FolderTrees, ItemPage, ItemQuery, Mailbox, upgrade_stored_items,
};
pub use store::CmpOp;
pub use subscriptions::{Delivery, Subscription, SubscriptionSpec};
pub use sync::{FolderSyncChange, HierarchyChanges, ItemChanges, ItemSyncChange, MAX_CHANGES};
pub use tree::{
    ARCHIVE, DISTINGUISHED, Distinguished, is_ews_distinguished, provision, provision_archive,
};
pub use wire::indexed_key;
