//! `m:UpdateItemInRecoverableItems`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct UpdateItemInRecoverableItems {
    pub item_id: ItemId,
    pub updates: Vec<ItemUpdate>,
    pub make_item_immutable: bool,
}

impl OperationBody for UpdateItemInRecoverableItems {
    fn parse(op: &Element) -> Result<UpdateItemInRecoverableItems, EwsError> {
        Ok(UpdateItemInRecoverableItems {
            item_id: op.child("ItemId").map(ItemId::parse).unwrap_or_default(),
            updates: ItemUpdate::parse_all(op.child("Updates")),
            make_item_immutable: op
                .child_text("MakeItemImmutable")
                .and_then(|t| parse_bool(&t))
                .unwrap_or(false),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let UpdateItemInRecoverableItems {
            item_id,
            updates,
            make_item_immutable,
        } = self;
        w.open(element, &[]);
        item_id.write(w, "m:ItemId");
        ItemUpdate::write_all(updates, w, "m:Updates");
        if *make_item_immutable {
            w.leaf("m:MakeItemImmutable", "true");
        }
        w.close(element);
    }
}
