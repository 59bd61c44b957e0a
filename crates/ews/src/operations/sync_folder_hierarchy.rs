//! `m:SyncFolderHierarchy`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct SyncFolderHierarchy {
    pub shape: Shape,
    pub sync_folder_id: Option<FolderRef>,
    pub sync_state: Option<String>,
}

impl OperationBody for SyncFolderHierarchy {
    fn parse(op: &Element) -> Result<SyncFolderHierarchy, EwsError> {
        Ok(SyncFolderHierarchy {
            shape: Shape::parse(op.child("FolderShape"))?,
            sync_folder_id: first_folder(op, "SyncFolderId"),
            sync_state: op.child_text("SyncState").filter(|s| !s.trim().is_empty()),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let SyncFolderHierarchy {
            shape,
            sync_folder_id,
            sync_state,
        } = self;
        w.open(element, &[]);
        shape.write(w, "m:FolderShape");
        if let Some(f) = sync_folder_id {
            write_folder_refs(w, "m:SyncFolderId", std::slice::from_ref(f));
        }
        w.opt_leaf("m:SyncState", sync_state.as_deref());
        w.close(element);
    }
}
