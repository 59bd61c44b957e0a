//! `m:SendItem`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct SendItem {
    pub save_item_to_folder: bool,
    pub item_ids: Vec<ItemId>,
    pub saved_item_folder_id: Option<FolderRef>,
}

impl OperationBody for SendItem {
    fn parse(op: &Element) -> Result<SendItem, EwsError> {
        Ok(SendItem {
            save_item_to_folder: op
                .attr("SaveItemToFolder")
                .and_then(parse_bool)
                .unwrap_or(true),
            item_ids: item_ids(op.child("ItemIds")),
            saved_item_folder_id: first_folder(op, "SavedItemFolderId"),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let SendItem {
            save_item_to_folder,
            item_ids,
            saved_item_folder_id,
        } = self;
        w.open(
            element,
            &[(
                "SaveItemToFolder",
                if *save_item_to_folder {
                    "true"
                } else {
                    "false"
                },
            )],
        );
        write_item_ids(w, "m:ItemIds", item_ids);
        if let Some(f) = saved_item_folder_id {
            write_folder_refs(w, "m:SavedItemFolderId", std::slice::from_ref(f));
        }
        w.close(element);
    }
}
