//! `m:MoveItem` and `m:CopyItem`: the same request, items to a folder.

use super::*;

macro_rules! item_transfer {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            pub to_folder_id: Option<FolderRef>,
            pub item_ids: Vec<ItemId>,
        }

        impl OperationBody for $name {
            fn parse(op: &Element) -> Result<$name, EwsError> {
                Ok($name {
                    to_folder_id: first_folder(op, "ToFolderId"),
                    item_ids: item_ids(op.child("ItemIds")),
                })
            }

            fn write(&self, w: &mut Writer, element: &str) {
                let $name {
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
    };
}

item_transfer!(MoveItem, "`m:MoveItem`.");
item_transfer!(CopyItem, "`m:CopyItem`.");
