//! `m:CopyItem`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct CopyItem {
    pub to_folder_id: Option<FolderRef>,
    pub item_ids: Vec<ItemId>,
}

impl OperationBody for CopyItem {
    fn parse(op: &Element) -> Result<CopyItem, EwsError> {
        Ok(CopyItem {
            to_folder_id: first_folder(op, "ToFolderId"),
            item_ids: item_ids(op.child("ItemIds")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let CopyItem {
            to_folder_id,
            item_ids,
        } = self;
        w.open(element, &[]);
        if let Some(f) = to_folder_id {
            write_folder_refs(w, "m:ToFolderId", std::slice::from_ref(f));
        }
        write_item_ids(w, "m:ItemIds", item_ids);
        w.close(element);
    }
}
