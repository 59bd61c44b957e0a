//! SyncFolderHierarchy and SyncFolderItems answers: the new sync state, whether this is the
//! end of the changes, and the changes themselves.

use crate::types::{Folder, Item, ItemId};
use crate::writer::Writer;
use crate::xml::Element;

/// One change of a sync answer.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncChange<T> {
    Create(T),
    Update(T),
    Delete(ItemId),
    ReadFlagChange { item_id: ItemId, is_read: bool },
}

/// What a sync answer holds; `T` is [`Folder`] or [`Item`].
#[derive(Debug, Clone, PartialEq)]
pub struct SyncAnswer<T> {
    pub sync_state: String,
    pub includes_last: bool,
    pub changes: Vec<SyncChange<T>>,
}

/// What a sync answer can carry: folders or items.
pub trait Synced: Sized {
    const ID: &'static str;
    const LAST: &'static str;
    fn write(&self, w: &mut Writer);
    fn parse(el: &Element) -> Self;
}

impl Synced for Folder {
    const ID: &'static str = "t:FolderId";
    const LAST: &'static str = "m:IncludesLastFolderInRange";
    fn write(&self, w: &mut Writer) {
        Folder::write(self, w)
    }
    fn parse(el: &Element) -> Self {
        Folder::parse(el)
    }
}

impl Synced for Item {
    const ID: &'static str = "t:ItemId";
    const LAST: &'static str = "m:IncludesLastItemInRange";
    fn write(&self, w: &mut Writer) {
        Item::write(self, w)
    }
    fn parse(el: &Element) -> Self {
        Item::parse(el)
    }
}

impl<T> SyncAnswer<T> {
    /// What a refused sync message carries: clients read a state and a change list from every
    /// sync message, errors too.
    pub fn empty() -> SyncAnswer<T> {
        SyncAnswer {
            sync_state: String::new(),
            includes_last: true,
            changes: Vec::new(),
        }
    }
}

impl<T: Synced> SyncAnswer<T> {
    pub(crate) fn write(&self, w: &mut Writer) {
        w.leaf("m:SyncState", &self.sync_state);
        w.leaf(T::LAST, if self.includes_last { "true" } else { "false" });
        w.open("m:Changes", &[]);
        for c in &self.changes {
            match c {
                SyncChange::Create(x) | SyncChange::Update(x) => {
                    let name = if matches!(c, SyncChange::Create(_)) {
                        "t:Create"
                    } else {
                        "t:Update"
                    };
                    w.open(name, &[]);
                    x.write(w);
                    w.close(name);
                }
                SyncChange::Delete(id) => {
                    w.open("t:Delete", &[]);
                    id.write(w, T::ID);
                    w.close("t:Delete");
                }
                SyncChange::ReadFlagChange { item_id, is_read } => {
                    w.open("t:ReadFlagChange", &[]);
                    item_id.write(w, T::ID);
                    w.leaf("t:IsRead", if *is_read { "true" } else { "false" });
                    w.close("t:ReadFlagChange");
                }
            }
        }
        w.close("m:Changes");
    }

    pub(crate) fn parse(el: &Element) -> SyncAnswer<T> {
        let last = T::LAST.trim_start_matches("m:");
        let id = T::ID.trim_start_matches("t:");
        SyncAnswer {
            sync_state: el.child_text("SyncState").unwrap_or_default(),
            includes_last: el
                .child_text(last)
                .as_deref()
                .and_then(crate::types::parse_bool)
                .unwrap_or(false),
            changes: el
                .child("Changes")
                .into_iter()
                .flat_map(|c| c.elements())
                .filter_map(|c| {
                    let inner = c.elements().next()?;
                    Some(match c.name.as_str() {
                        "Create" => SyncChange::Create(T::parse(inner)),
                        "Update" => SyncChange::Update(T::parse(inner)),
                        "Delete" => SyncChange::Delete(ItemId::parse(c.child(id)?)),
                        "ReadFlagChange" => SyncChange::ReadFlagChange {
                            item_id: ItemId::parse(c.child(id)?),
                            is_read: c
                                .child_text("IsRead")
                                .as_deref()
                                .and_then(crate::types::parse_bool)
                                .unwrap_or(false),
                        },
                        _ => return None,
                    })
                })
                .collect(),
        }
    }
}
