//! `m:DeleteItem`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct DeleteItem {
    pub delete_type: String,
    pub item_ids: Vec<ItemId>,
}

impl OperationBody for DeleteItem {
    fn parse(op: &Element) -> Result<DeleteItem, EwsError> {
        Ok(DeleteItem {
            delete_type: attr(op, "DeleteType").unwrap_or_else(|| "HardDelete".into()),
            item_ids: item_ids(op.child("ItemIds")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let DeleteItem {
            delete_type,
            item_ids,
        } = self;
        w.open(element, &[("DeleteType", delete_type)]);
        write_item_ids(w, "m:ItemIds", item_ids);
        w.close(element);
    }
}
