//! `m:MoveFolder` and `m:CopyFolder`: the same request, folders to a folder.

use super::*;

macro_rules! folder_transfer {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            pub to_folder_id: Option<FolderRef>,
            pub folder_ids: Vec<FolderRef>,
        }

        impl OperationBody for $name {
            fn parse(op: &Element) -> Result<$name, EwsError> {
                Ok($name {
                    to_folder_id: first_folder(op, "ToFolderId"),
                    folder_ids: FolderRef::parse_all(op.child("FolderIds")),
                })
            }

            fn write(&self, w: &mut Writer, element: &str) {
                let $name {
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
    };
}

folder_transfer!(MoveFolder, "`m:MoveFolder`.");
folder_transfer!(CopyFolder, "`m:CopyFolder`.");
