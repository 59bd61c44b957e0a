//! Item and folder ids as requests name them.

use super::*;

/// `t:ItemId`, `t:FolderId`, `t:ParentFolderId`: an opaque id and its change key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemId {
    pub id: String,
    pub change_key: Option<String>,
    /// Set when the id came as `t:OccurrenceItemId` or `t:RecurringMasterItemId`: the item
    /// meant is an occurrence of the series `id` names, or the series of the occurrence.
    pub occurrence: Option<OccurrenceRef>,
}

/// How a request names a calendar item through its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OccurrenceRef {
    /// `t:OccurrenceItemId`: the `InstanceIndex`-th (1-based) occurrence of the master `id`.
    Instance(u32),
    /// `t:RecurringMasterItemId`: the master of the occurrence `id`.
    MasterOf,
}

pub type FolderId = ItemId;

impl ItemId {
    pub fn new(id: impl Into<String>, change_key: impl Into<String>) -> ItemId {
        ItemId {
            id: id.into(),
            change_key: Some(change_key.into()),
            occurrence: None,
        }
    }

    pub fn parse(el: &Element) -> ItemId {
        let change_key = el.attr("ChangeKey").map(str::to_string);
        match el.name.as_str() {
            "OccurrenceItemId" => ItemId {
                id: el.attr("RecurringMasterId").unwrap_or("").to_string(),
                change_key,
                occurrence: Some(OccurrenceRef::Instance(
                    el.attr("InstanceIndex")
                        .and_then(|i| i.trim().parse().ok())
                        .unwrap_or(0),
                )),
            },
            "RecurringMasterItemId" => ItemId {
                id: el.attr("OccurrenceId").unwrap_or("").to_string(),
                change_key,
                occurrence: Some(OccurrenceRef::MasterOf),
            },
            _ => ItemId {
                id: el.attr("Id").unwrap_or("").to_string(),
                change_key,
                occurrence: None,
            },
        }
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        let ck = self.change_key.as_deref().unwrap_or("");
        match self.occurrence {
            Some(OccurrenceRef::Instance(i)) => {
                let index = i.to_string();
                w.empty(
                    "t:OccurrenceItemId",
                    &[
                        ("RecurringMasterId", &self.id),
                        ("ChangeKey", ck),
                        ("InstanceIndex", &index),
                    ],
                );
                return;
            }
            Some(OccurrenceRef::MasterOf) => {
                w.empty(
                    "t:RecurringMasterItemId",
                    &[("OccurrenceId", &self.id), ("ChangeKey", ck)],
                );
                return;
            }
            None => {}
        }
        match &self.change_key {
            Some(ck) => w.empty(name, &[("Id", &self.id), ("ChangeKey", ck)]),
            None => w.empty(name, &[("Id", &self.id)]),
        }
    }
}

/// `t:DistinguishedFolderId`, with the mailbox it names when it names one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DistinguishedFolderId {
    pub id: String,
    pub change_key: Option<String>,
    pub mailbox: Option<String>,
}

/// A folder as a request names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderRef {
    Id(FolderId),
    Distinguished(DistinguishedFolderId),
    /// Any other element where a folder id belongs (answered per message).
    Other(String),
}

impl FolderRef {
    pub fn distinguished(id: &str) -> FolderRef {
        FolderRef::Distinguished(DistinguishedFolderId {
            id: id.into(),
            ..Default::default()
        })
    }

    pub fn parse(el: &Element) -> FolderRef {
        match el.name.as_str() {
            "FolderId" => FolderRef::Id(ItemId::parse(el)),
            "DistinguishedFolderId" => FolderRef::Distinguished(DistinguishedFolderId {
                id: el.attr("Id").unwrap_or("").to_string(),
                change_key: el.attr("ChangeKey").map(str::to_string),
                mailbox: el
                    .child("Mailbox")
                    .and_then(|m| m.child_text("EmailAddress"))
                    .filter(|a| !a.is_empty()),
            }),
            other => FolderRef::Other(other.to_string()),
        }
    }

    /// Every folder id inside `container`.
    pub fn parse_all(container: Option<&Element>) -> Vec<FolderRef> {
        container
            .map(|c| c.elements().map(FolderRef::parse).collect())
            .unwrap_or_default()
    }

    pub fn write(&self, w: &mut Writer) {
        match self {
            FolderRef::Id(id) => id.write(w, "t:FolderId"),
            FolderRef::Distinguished(d) => {
                let mut attrs = vec![("Id", d.id.as_str())];
                if let Some(ck) = &d.change_key {
                    attrs.push(("ChangeKey", ck));
                }
                match &d.mailbox {
                    None => w.empty("t:DistinguishedFolderId", &attrs),
                    Some(m) => {
                        w.open("t:DistinguishedFolderId", &attrs);
                        w.open("t:Mailbox", &[]);
                        w.leaf("t:EmailAddress", m);
                        w.close("t:Mailbox");
                        w.close("t:DistinguishedFolderId");
                    }
                }
            }
            FolderRef::Other(name) => w.empty(&format!("t:{name}"), &[]),
        }
    }
}
