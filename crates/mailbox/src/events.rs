//! A mailbox's events, read from its journal: what notification subscriptions deliver.
//!
//! The journal entry is written in the transaction of the change itself, so an event is never
//! told of a change that did not commit, nor lost for one that did; its sequence number is the
//! event's place in the mailbox's history (a watermark).

use crate::MailboxError;
use crate::service::Mailbox;
use serde::{Deserialize, Serialize};
use store::JournalEntry;

/// Journal entries read per round while looking for a subscription's events.
const SCAN: usize = 512;
/// Rounds of [`SCAN`] entries one read goes through before answering "more".
const ROUNDS: usize = 8;

/// The kinds of event a subscription can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    Copied,
    Created,
    Deleted,
    Modified,
    Moved,
    NewMail,
    FreeBusyChanged,
}

/// Whether an event is about an item or a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventTarget {
    Item,
    Folder,
}

/// One event of a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailEvent {
    /// Its place in the mailbox's history.
    pub seq: i64,
    pub at_ms: i64,
    pub kind: EventKind,
    pub target: EventTarget,
    pub id: String,
    /// The folder it is in (for a deleted item or folder, the one it was in).
    pub parent: String,
    /// Where it was before a move.
    pub old_parent: Option<String>,
    /// The id it had before a move (a moved item has a new id).
    pub old_id: Option<String>,
}

/// Which events a subscription wants: of every folder, or of some (by folder id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilter {
    pub all_folders: bool,
    pub folders: Vec<String>,
    pub kinds: Vec<EventKind>,
}

impl EventFilter {
    fn wants(&self, e: &MailEvent) -> bool {
        self.kinds.contains(&e.kind)
            && (self.all_folders
                || self.folders.iter().any(|f| {
                    *f == e.parent
                        || Some(f) == e.old_parent.as_ref()
                        || (e.target == EventTarget::Folder && *f == e.id)
                }))
    }
}

/// A read of events: those found, the position they run up to, and whether more may follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<MailEvent>,
    pub position: i64,
    pub more: bool,
}

/// The events one journal entry stands for (none for the leaving half of a move).
fn events_of(e: &JournalEntry, calendar: Option<&str>) -> Vec<MailEvent> {
    let event = |kind, target, old_parent: Option<&String>| MailEvent {
        seq: e.seq,
        at_ms: e.at_ms,
        kind,
        target,
        id: e.id.clone(),
        parent: e.folder_id.clone(),
        old_parent: old_parent.cloned(),
        old_id: old_parent.map(|_| e.other_item.clone().unwrap_or_else(|| e.id.clone())),
    };
    use EventKind as K;
    use EventTarget::{Folder, Item};
    let mut out = match (e.kind.as_str(), &e.other_folder) {
        ("create", Some(from)) => vec![event(K::Moved, Item, Some(from))],
        ("copy", from) => vec![event(K::Copied, Item, from.as_ref())],
        ("create", None) if e.new_mail => {
            vec![event(K::Created, Item, None), event(K::NewMail, Item, None)]
        }
        ("create", None) => vec![event(K::Created, Item, None)],
        ("delete", Some(_)) => vec![],
        ("delete", None) => vec![event(K::Deleted, Item, None)],
        ("update" | "read", _) => vec![event(K::Modified, Item, None)],
        ("folder-create", _) => vec![event(K::Created, Folder, None)],
        ("folder-update", _) => vec![event(K::Modified, Folder, None)],
        ("folder-move", from) => vec![event(K::Moved, Folder, from.as_ref())],
        ("folder-delete", _) => vec![event(K::Deleted, Folder, None)],
        _ => vec![],
    };
    // A change on the calendar changes the owner's free/busy.
    let on_calendar =
        calendar.is_some_and(|c| c == e.folder_id || e.other_folder.as_deref() == Some(c));
    if on_calendar && !e.kind.starts_with("folder") && e.kind != "read" {
        out.push(event(K::FreeBusyChanged, Item, None));
    }
    out
}

impl Mailbox {
    /// The newest place in this store's history (where a new subscription starts).
    pub async fn event_head(&self) -> Result<i64, MailboxError> {
        Ok(self.store_ref().mailboxes().journal_head().await?)
    }

    /// The oldest place still kept: a reader behind it has missed events.
    pub async fn event_floor(&self) -> Result<i64, MailboxError> {
        Ok(self.store_ref().mailboxes().journal_floor().await?)
    }

    /// At most `max` of the events `filter` wants after `after`, oldest first.
    pub async fn events(
        &self,
        filter: &EventFilter,
        after: i64,
        max: usize,
    ) -> Result<EventPage, MailboxError> {
        let calendar = self.distinguished("calendar").map(|f| f.id.clone());
        let repo = self.store_ref().mailboxes();
        let mut page = EventPage {
            events: Vec::new(),
            position: after,
            more: false,
        };
        for _ in 0..ROUNDS {
            let entries = repo.journal_of(self.guid(), page.position, SCAN).await?;
            let full = entries.len() == SCAN;
            for entry in &entries {
                let wanted: Vec<MailEvent> = events_of(entry, calendar.as_deref())
                    .into_iter()
                    .filter(|e| filter.wants(e))
                    .collect();
                if !page.events.is_empty() && page.events.len() + wanted.len() > max {
                    page.more = true;
                    return Ok(page);
                }
                page.events.extend(wanted);
                page.position = entry.seq;
            }
            if !full {
                return Ok(page);
            }
        }
        page.more = true;
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: &str, other: Option<&str>, new_mail: bool) -> JournalEntry {
        JournalEntry {
            seq: 7,
            at_ms: 1,
            folder_id: "inbox".into(),
            id: "i1".into(),
            kind: kind.into(),
            other_folder: other.map(str::to_string),
            other_item: None,
            new_mail,
        }
    }

    fn kinds(e: &JournalEntry) -> Vec<EventKind> {
        events_of(e, Some("cal"))
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    #[test]
    fn journal_entries_become_exchange_events() {
        use EventKind::*;
        assert_eq!(kinds(&entry("create", None, false)), [Created]);
        assert_eq!(kinds(&entry("create", None, true)), [Created, NewMail]);
        assert_eq!(kinds(&entry("create", Some("drafts"), false)), [Moved]);
        assert_eq!(kinds(&entry("delete", Some("deleted"), false)), []);
        assert_eq!(kinds(&entry("delete", None, false)), [Deleted]);
        assert_eq!(kinds(&entry("read", None, false)), [Modified]);
        assert_eq!(kinds(&entry("folder-move", Some("old"), false)), [Moved]);
        let mut copy = entry("copy", Some("drafts"), false);
        copy.other_item = Some("original".into());
        let copied = &events_of(&copy, None)[0];
        assert_eq!(copied.kind, Copied);
        assert_eq!(copied.old_id.as_deref(), Some("original"));
        assert_eq!(copied.old_parent.as_deref(), Some("drafts"));
        let mut on_calendar = entry("update", None, false);
        on_calendar.folder_id = "cal".into();
        assert_eq!(kinds(&on_calendar), [Modified, FreeBusyChanged]);
    }

    #[test]
    fn a_folder_filter_sees_moves_out_of_and_into_its_folders() {
        let filter = EventFilter {
            all_folders: false,
            folders: vec!["drafts".into()],
            kinds: vec![EventKind::Moved, EventKind::Created],
        };
        let moved_out = &events_of(&entry("create", Some("drafts"), false), None)[0];
        assert!(filter.wants(moved_out));
        let elsewhere = &events_of(&entry("create", None, false), None)[0];
        assert!(!filter.wants(elsewhere));
    }
}
