//! `m:FindPeople`: the people of a contacts folder (or of the directory), searched, sorted and
//! paged.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FindPeople {
    pub shape: Shape,
    pub paging: Option<IndexedPageView>,
    pub restriction: Option<Restriction>,
    pub sort: Vec<FieldOrder>,
    pub parent_folder_id: Option<FolderRef>,
    /// `m:QueryString`: words any of the person's names or addresses must contain.
    pub query_string: Option<String>,
}

impl OperationBody for FindPeople {
    const RESPONSE: ResponseForm = ResponseForm::Single;

    fn parse(op: &Element) -> Result<FindPeople, EwsError> {
        Ok(FindPeople {
            shape: Shape::parse(op.child("PersonaShape"))?,
            paging: op
                .child("IndexedPageItemView")
                .map(IndexedPageView::parse)
                .transpose()?,
            restriction: op
                .child("Restriction")
                .and_then(|r| r.elements().next())
                .map(Restriction::parse),
            sort: FieldOrder::parse_all(op.child("SortOrder")),
            parent_folder_id: first_folder(op, "ParentFolderId"),
            query_string: op
                .child_text("QueryString")
                .filter(|q| !q.trim().is_empty()),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        w.open(element, &[]);
        self.shape.write(w, "m:PersonaShape");
        if let Some(p) = &self.paging {
            p.write(w, "m:IndexedPageItemView");
        }
        if let Some(r) = &self.restriction {
            w.open("m:Restriction", &[]);
            r.write(w);
            w.close("m:Restriction");
        }
        if !self.sort.is_empty() {
            w.open("m:SortOrder", &[]);
            self.sort.iter().for_each(|o| o.write(w));
            w.close("m:SortOrder");
        }
        if let Some(f) = &self.parent_folder_id {
            write_folder_refs(w, "m:ParentFolderId", std::slice::from_ref(f));
        }
        w.opt_leaf("m:QueryString", self.query_string.as_deref());
        w.close(element);
    }
}
