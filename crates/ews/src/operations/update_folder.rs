//! `m:UpdateFolder`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct UpdateFolder {
    pub changes: Vec<FolderChange>,
}

impl OperationBody for UpdateFolder {
    fn parse(op: &Element) -> Result<UpdateFolder, EwsError> {
        Ok(UpdateFolder {
            changes: op
                .child("FolderChanges")
                .into_iter()
                .flat_map(|c| c.children_named("FolderChange"))
                .map(|ch| FolderChange {
                    folder_id: ch
                        .elements()
                        .find(|e| e.name != "Updates")
                        .map(FolderRef::parse),
                    updates: FolderUpdate::parse_all(ch.child("Updates")),
                })
                .collect(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let UpdateFolder { changes } = self;
        w.open(element, &[]);
        w.open("m:FolderChanges", &[]);
        for c in changes {
            w.open("t:FolderChange", &[]);
            if let Some(f) = &c.folder_id {
                f.write(w);
            }
            FolderUpdate::write_all(&c.updates, w);
            w.close("t:FolderChange");
        }
        w.close("m:FolderChanges");
        w.close(element);
    }
}

/// One change of a folder's `t:Updates`.
#[derive(Debug, Clone, PartialEq)]
pub enum FolderUpdate {
    Set {
        path: Option<PropertyPath>,
        folder: Folder,
    },
    Append {
        path: Option<PropertyPath>,
        folder: Folder,
    },
    Delete {
        path: Option<PropertyPath>,
    },
    Unknown(String),
}

impl FolderUpdate {
    fn parse_all(el: Option<&Element>) -> Vec<FolderUpdate> {
        el.into_iter()
            .flat_map(|u| u.elements())
            .map(|u| {
                let path = PropertyPath::first_in(u);
                let folder = || {
                    u.elements()
                        .find(|e| PropertyPath::parse(e).is_none())
                        .map(Folder::parse)
                        .unwrap_or_default()
                };
                match u.name.as_str() {
                    "SetFolderField" => FolderUpdate::Set {
                        path,
                        folder: folder(),
                    },
                    "AppendToFolderField" => FolderUpdate::Append {
                        path,
                        folder: folder(),
                    },
                    "DeleteFolderField" => FolderUpdate::Delete { path },
                    other => FolderUpdate::Unknown(other.to_string()),
                }
            })
            .collect()
    }

    fn write_all(updates: &[FolderUpdate], w: &mut Writer) {
        w.open("t:Updates", &[]);
        for u in updates {
            let (tag, path, folder) = match u {
                FolderUpdate::Set { path, folder } => ("t:SetFolderField", path, Some(folder)),
                FolderUpdate::Append { path, folder } => {
                    ("t:AppendToFolderField", path, Some(folder))
                }
                FolderUpdate::Delete { path } => ("t:DeleteFolderField", path, None),
                FolderUpdate::Unknown(n) => {
                    w.empty(&format!("t:{n}"), &[]);
                    continue;
                }
            };
            w.open(tag, &[]);
            if let Some(p) = path {
                p.write(w);
            }
            if let Some(f) = folder {
                f.write(w);
            }
            w.close(tag);
        }
        w.close("t:Updates");
    }
}

/// `t:FolderChange`.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderChange {
    pub folder_id: Option<FolderRef>,
    pub updates: Vec<FolderUpdate>,
}
