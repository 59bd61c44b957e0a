//! `m:CreateFolder`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct CreateFolder {
    pub parent_folder_id: Option<FolderRef>,
    pub folders: Vec<Folder>,
}

impl OperationBody for CreateFolder {
    fn parse(op: &Element) -> Result<CreateFolder, EwsError> {
        Ok(CreateFolder {
            parent_folder_id: first_folder(op, "ParentFolderId"),
            folders: op
                .child("Folders")
                .map(|f| f.elements().map(Folder::parse).collect())
                .unwrap_or_default(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let CreateFolder {
            parent_folder_id,
            folders: list,
        } = self;
        w.open(element, &[]);
        if let Some(p) = parent_folder_id {
            write_folder_refs(w, "m:ParentFolderId", std::slice::from_ref(p));
        }
        w.open("m:Folders", &[]);
        list.iter().for_each(|f| f.write(w));
        w.close("m:Folders");
        w.close(element);
    }
}
