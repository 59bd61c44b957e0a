//! `m:MarkAsJunk`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct MarkAsJunk {
    pub is_junk: bool,
    pub move_item: bool,
    pub item_ids: Vec<ItemId>,
}

impl OperationBody for MarkAsJunk {
    fn parse(op: &Element) -> Result<MarkAsJunk, EwsError> {
        Ok(MarkAsJunk {
            is_junk: op.attr("IsJunk").and_then(parse_bool).unwrap_or(true),
            move_item: op.attr("MoveItem").and_then(parse_bool).unwrap_or(false),
            item_ids: item_ids(op.child("ItemIds")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let MarkAsJunk {
            is_junk,
            move_item,
            item_ids,
        } = self;
        w.open(
            element,
            &[
                ("IsJunk", bool_text(*is_junk)),
                ("MoveItem", bool_text(*move_item)),
            ],
        );
        write_item_ids(w, "m:ItemIds", item_ids);
        w.close(element);
    }
}
