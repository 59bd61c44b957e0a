//! `m:EmptyFolder`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct EmptyFolder {
    pub delete_type: String,
    pub delete_sub_folders: bool,
    pub folder_ids: Vec<FolderRef>,
}

impl OperationBody for EmptyFolder {
    fn parse(op: &Element) -> Result<EmptyFolder, EwsError> {
        Ok(EmptyFolder {
            delete_type: attr(op, "DeleteType").unwrap_or_else(|| "HardDelete".into()),
            delete_sub_folders: op
                .attr("DeleteSubFolders")
                .and_then(parse_bool)
                .unwrap_or(false),
            folder_ids: FolderRef::parse_all(op.child("FolderIds")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let EmptyFolder {
            delete_type,
            delete_sub_folders,
            folder_ids,
        } = self;
        w.open(
            element,
            &[
                ("DeleteType", delete_type),
                (
                    "DeleteSubFolders",
                    if *delete_sub_folders { "true" } else { "false" },
                ),
            ],
        );
        write_folder_refs(w, "m:FolderIds", folder_ids);
        w.close(element);
    }
}
