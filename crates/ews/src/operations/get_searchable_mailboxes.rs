//! `m:GetSearchableMailboxes`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetSearchableMailboxes {
    pub search_filter: Option<String>,
    pub expand_group_membership: bool,
}

impl OperationBody for GetSearchableMailboxes {
    const RESPONSE: ResponseForm = ResponseForm::Single;

    fn parse(op: &Element) -> Result<GetSearchableMailboxes, EwsError> {
        Ok(GetSearchableMailboxes {
            search_filter: op.child_text("SearchFilter"),
            expand_group_membership: op
                .child_text("ExpandGroupMembership")
                .as_deref()
                .and_then(parse_bool)
                .unwrap_or(false),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetSearchableMailboxes {
            search_filter,
            expand_group_membership,
        } = self;
        w.open(element, &[]);
        w.opt_leaf("m:SearchFilter", search_filter.as_deref());
        w.leaf(
            "m:ExpandGroupMembership",
            bool_text(*expand_group_membership),
        );
        w.close(element);
    }
}
