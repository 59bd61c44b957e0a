//! SyncFolderHierarchy and SyncFolderItems. The sync state a client holds is all the server
//! needs, so synchronization survives restarts and works against any process on the store:
//! for a hierarchy it lists the folders the client has and their versions (deletions are what
//! is missing); for a folder's items it is a position in the store's item journal (and, during
//! a first synchronization, the last item id handed out).

use crate::MailboxError;
use crate::mail_item::MailItem;
use crate::service::Mailbox;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use store::FolderRow;

/// Exchange's bounds on MaxChangesReturned.
pub const MAX_CHANGES: u32 = 512;
/// Journal entries read per call while collapsing changes.
const JOURNAL_WINDOW: usize = 4096;

#[derive(Serialize, Deserialize)]
struct HierarchyState {
    /// The folder synchronized, and the version of each folder below it the client has.
    root: String,
    folders: BTreeMap<String, i64>,
}

#[derive(Serialize, Deserialize)]
struct ItemsState {
    folder: String,
    /// The journal position the client's view is complete up to (once `after` is None).
    seq: i64,
    /// During a first synchronization: the last item id handed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<String>,
}

fn encode<T: Serialize>(state: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(state).unwrap_or_default())
}

fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, MailboxError> {
    URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(MailboxError::InvalidSyncStateData)
}

/// A folder created, changed or deleted since a hierarchy's sync state (all of them fit in one
/// answer).
#[derive(Debug, Clone, PartialEq)]
pub enum FolderSyncChange<'m> {
    Created(&'m FolderRow),
    Changed(&'m FolderRow),
    Deleted { id: String, version: i64 },
}

/// An item created, changed, marked read or unread, or gone (deleted or moved out) since a
/// folder's sync state.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemSyncChange {
    Created(MailItem),
    Changed(MailItem),
    /// Only its read flag changed: its id, version and flag are what a client needs.
    ReadFlag(MailItem),
    Deleted(String),
}

/// A page of a folder's item changes, the sync state that follows them, and whether it is the
/// last page.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemChanges {
    pub sync_state: String,
    pub includes_last: bool,
    pub changes: Vec<ItemSyncChange>,
}

/// A hierarchy's changes and the sync state that follows them.
#[derive(Debug, Clone, PartialEq)]
pub struct HierarchyChanges<'m> {
    pub sync_state: String,
    pub changes: Vec<FolderSyncChange<'m>>,
}

impl Mailbox {
    /// SyncFolderHierarchy below `root`: the folders created, changed and deleted since the
    /// state, parents before children.
    pub fn sync_hierarchy<'m>(
        &'m self,
        root: &FolderRow,
        state: Option<&str>,
    ) -> Result<HierarchyChanges<'m>, MailboxError> {
        let known = match state {
            None => BTreeMap::new(),
            Some(s) => {
                let s: HierarchyState = decode(s)?;
                if s.root != root.id {
                    return Err(MailboxError::InvalidSyncStateData);
                }
                s.folders
            }
        };
        let now: Vec<&FolderRow> = self.subfolders(root, true);
        let mut changes = Vec::new();
        for f in &now {
            match known.get(&f.id) {
                None => changes.push(FolderSyncChange::Created(f)),
                Some(v) if *v != f.version => changes.push(FolderSyncChange::Changed(f)),
                Some(_) => {}
            }
        }
        for (id, version) in &known {
            if !now.iter().any(|f| f.id == *id) {
                changes.push(FolderSyncChange::Deleted {
                    id: id.clone(),
                    version: *version,
                });
            }
        }
        let folders = now.iter().map(|f| (f.id.clone(), f.version)).collect();
        Ok(HierarchyChanges {
            sync_state: encode(&HierarchyState {
                root: root.id.clone(),
                folders,
            }),
            changes,
        })
    }

    /// SyncFolderItems: at most `max` changes to the folder's items since the state.
    pub async fn sync_items(
        &self,
        folder: &FolderRow,
        state: Option<&str>,
        max: u32,
        ignore: &[String],
    ) -> Result<ItemChanges, MailboxError> {
        let max = max.clamp(1, MAX_CHANGES) as usize;
        let repo = self.store_ref().mailboxes();
        let state = match state {
            None => ItemsState {
                folder: folder.id.clone(),
                seq: repo.journal_head().await?,
                after: Some(String::new()),
            },
            Some(s) => {
                let s: ItemsState = decode(s)?;
                if s.folder != folder.id {
                    return Err(MailboxError::InvalidSyncStateData);
                }
                let floor = repo.journal_floor().await?;
                if floor > 0 && s.seq + 1 < floor {
                    return Err(MailboxError::InvalidSyncStateData);
                }
                s
            }
        };
        let skip = |id: &str| ignore.iter().any(|i| i == id);
        if let Some(after) = &state.after {
            let rows = repo.items_after(&folder.id, after, max + 1).await?;
            let more = rows.len() > max;
            let mut changes = Vec::new();
            let mut last = after.clone();
            for row in rows.into_iter().take(max) {
                last = row.id.clone();
                if skip(&row.id) {
                    continue;
                }
                let props = crate::props::StoredProperties::decode(&row.props, row.props_format);
                changes.push(ItemSyncChange::Created(MailItem::of(row, props)));
            }
            let next = ItemsState {
                folder: folder.id.clone(),
                seq: state.seq,
                after: more.then_some(last),
            };
            let includes_last = !more
                && repo
                    .journal_since(&folder.id, state.seq, 1)
                    .await?
                    .is_empty();
            return Ok(ItemChanges {
                sync_state: encode(&next),
                includes_last,
                changes,
            });
        }
        self.journal_changes(folder, state.seq, max, &skip).await
    }

    async fn journal_changes(
        &self,
        folder: &FolderRow,
        since: i64,
        max: usize,
        skip: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<ItemChanges, MailboxError> {
        let repo = self.store_ref().mailboxes();
        let entries = repo
            .journal_since(&folder.id, since, JOURNAL_WINDOW)
            .await?;
        let window_full = entries.len() == JOURNAL_WINDOW;
        // Per item: the first and last kind of change in the window, and whether every change
        // was of the read flag alone; in order of first change.
        let mut order: Vec<String> = Vec::new();
        let mut seen: HashMap<String, (String, String, bool)> = HashMap::new();
        let mut upto = since;
        let mut stopped = false;
        for (seq, id, kind) in entries {
            if !seen.contains_key(&id) {
                if order.len() == max {
                    stopped = true;
                    break;
                }
                order.push(id.clone());
                let read = kind == "read";
                seen.insert(id.clone(), (kind.clone(), kind, read));
            } else if let Some(e) = seen.get_mut(&id) {
                e.2 &= kind == "read";
                e.1 = kind;
            }
            upto = seq;
        }
        let mut changes = Vec::new();
        for id in order {
            let (first, last, only_read) = &seen[&id];
            if skip(&id) {
                continue;
            }
            let current = match self.item_row(&id).await {
                Ok((row, props)) if row.folder_id == folder.id => Some((row, props)),
                Ok(_) | Err(MailboxError::ItemNotFound) => None,
                Err(e) => return Err(e),
            };
            match (first.as_str(), last.as_str(), current) {
                ("create", "delete", _) => {}
                (_, "delete", _) | (_, _, None) if first != "create" => {
                    changes.push(ItemSyncChange::Deleted(id))
                }
                (_, _, None) => {}
                (_, _, Some((row, props))) if *only_read && first != "create" => {
                    changes.push(ItemSyncChange::ReadFlag(MailItem::of(row, props)))
                }
                ("create", _, Some((row, props))) => {
                    changes.push(ItemSyncChange::Created(MailItem::of(row, props)))
                }
                (_, _, Some((row, props))) => {
                    changes.push(ItemSyncChange::Changed(MailItem::of(row, props)))
                }
            }
        }
        Ok(ItemChanges {
            sync_state: encode(&ItemsState {
                folder: folder.id.clone(),
                seq: upto,
                after: None,
            }),
            includes_last: !stopped && !window_full,
            changes,
        })
    }
}
