//! `m:SyncFolderItems`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct SyncFolderItems {
    pub shape: Shape,
    pub sync_folder_id: Option<FolderRef>,
    pub sync_state: Option<String>,
    pub ignore: Vec<ItemId>,
    pub max_changes_returned: u32,
    pub sync_scope: Option<String>,
}

impl OperationBody for SyncFolderItems {
    fn parse(op: &Element) -> Result<SyncFolderItems, EwsError> {
        Ok(SyncFolderItems {
            shape: Shape::parse(op.child("ItemShape"))?,
            sync_folder_id: first_folder(op, "SyncFolderId"),
            sync_state: op.child_text("SyncState").filter(|s| !s.trim().is_empty()),
            ignore: item_ids(op.child("Ignore")),
            max_changes_returned: op
                .child_text("MaxChangesReturned")
                .and_then(|m| m.trim().parse().ok())
                .unwrap_or(100),
            sync_scope: op.child_text("SyncScope"),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let SyncFolderItems {
            shape,
            sync_folder_id,
            sync_state,
            ignore,
            max_changes_returned,
            sync_scope,
        } = self;
        w.open(element, &[]);
        shape.write(w, "m:ItemShape");
        if let Some(f) = sync_folder_id {
            write_folder_refs(w, "m:SyncFolderId", std::slice::from_ref(f));
        }
        w.opt_leaf("m:SyncState", sync_state.as_deref());
        if !ignore.is_empty() {
            write_item_ids(w, "m:Ignore", ignore);
        }
        w.leaf("m:MaxChangesReturned", &max_changes_returned.to_string());
        w.opt_leaf("m:SyncScope", sync_scope.as_deref());
        w.close(element);
    }
}
