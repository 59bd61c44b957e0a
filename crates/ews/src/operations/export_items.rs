//! `m:ExportItems`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct ExportItems {
    pub item_ids: Vec<ItemId>,
}

impl OperationBody for ExportItems {
    fn parse(op: &Element) -> Result<ExportItems, EwsError> {
        Ok(ExportItems {
            item_ids: item_ids(op.child("ItemIds")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let ExportItems { item_ids } = self;
        w.open(element, &[]);
        write_item_ids(w, "m:ItemIds", item_ids);
        w.close(element);
    }
}
