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
            restriction: restriction_in(op),
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
        write_restriction_and_sort(w, self.restriction.as_ref(), &self.sort);
        if let Some(f) = &self.parent_folder_id {
            write_folder_refs(w, "m:ParentFolderId", std::slice::from_ref(f));
        }
        w.opt_leaf("m:QueryString", self.query_string.as_deref());
        w.close(element);
    }
}
