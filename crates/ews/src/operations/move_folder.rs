//! `m:MoveFolder`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct MoveFolder {
    pub to_folder_id: Option<FolderRef>,
    pub folder_ids: Vec<FolderRef>,
}

impl OperationBody for MoveFolder {
    fn parse(op: &Element) -> Result<MoveFolder, EwsError> {
        Ok(MoveFolder {
            to_folder_id: first_folder(op, "ToFolderId"),
            folder_ids: FolderRef::parse_all(op.child("FolderIds")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let MoveFolder {
            to_folder_id,
            folder_ids,
        } = self;
        w.open(element, &[]);
        if let Some(f) = to_folder_id {
            write_folder_refs(w, "m:ToFolderId", std::slice::from_ref(f));
        }
        write_folder_refs(w, "m:FolderIds", folder_ids);
        w.close(element);
    }
}
