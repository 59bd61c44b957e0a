//! `m:GetItem`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetItem {
    pub shape: Shape,
    pub item_ids: Vec<ItemId>,
}

impl OperationBody for GetItem {
    fn parse(op: &Element) -> Result<GetItem, EwsError> {
        Ok(GetItem {
            shape: Shape::parse(op.child("ItemShape"))?,
            item_ids: item_ids(op.child("ItemIds")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetItem { shape, item_ids } = self;
        w.open(element, &[]);
        shape.write(w, "m:ItemShape");
        write_item_ids(w, "m:ItemIds", item_ids);
        w.close(element);
    }
}
