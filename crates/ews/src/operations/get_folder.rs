//! `m:GetFolder`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetFolder {
    pub shape: Shape,
    pub folder_ids: Vec<FolderRef>,
}

impl OperationBody for GetFolder {
    fn parse(op: &Element) -> Result<GetFolder, EwsError> {
        Ok(GetFolder {
            shape: Shape::parse(op.child("FolderShape"))?,
            folder_ids: FolderRef::parse_all(op.child("FolderIds")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetFolder { shape, folder_ids } = self;
        w.open(element, &[]);
        shape.write(w, "m:FolderShape");
        write_folder_refs(w, "m:FolderIds", folder_ids);
        w.close(element);
    }
}
