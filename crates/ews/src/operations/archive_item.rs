//! `m:ArchiveItem`: items moved to the mailbox's archive mailbox, into the folder of the same
//! path as `source_folder_id`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveItem {
    pub source_folder_id: Option<FolderRef>,
    pub item_ids: Vec<ItemId>,
}

impl OperationBody for ArchiveItem {
    fn parse(op: &Element) -> Result<ArchiveItem, EwsError> {
        Ok(ArchiveItem {
            source_folder_id: first_folder(op, "ArchiveSourceFolderId"),
            item_ids: item_ids(op.child("ItemIds")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        w.open(element, &[]);
        if let Some(f) = &self.source_folder_id {
            write_folder_refs(w, "m:ArchiveSourceFolderId", std::slice::from_ref(f));
        }
        write_item_ids(w, "m:ItemIds", &self.item_ids);
        w.close(element);
    }
}
