//! `m:DeleteFolder`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct DeleteFolder {
    pub delete_type: String,
    pub folder_ids: Vec<FolderRef>,
}

impl OperationBody for DeleteFolder {
    fn parse(op: &Element) -> Result<DeleteFolder, EwsError> {
        Ok(DeleteFolder {
            delete_type: attr(op, "DeleteType").unwrap_or_else(|| "HardDelete".into()),
            folder_ids: FolderRef::parse_all(op.child("FolderIds")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let DeleteFolder {
            delete_type,
            folder_ids,
        } = self;
        w.open(element, &[("DeleteType", delete_type)]);
        write_folder_refs(w, "m:FolderIds", folder_ids);
        w.close(element);
    }
}
