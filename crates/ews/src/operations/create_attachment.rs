//! `m:CreateAttachment`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct CreateAttachment {
    pub parent_item_id: Option<ItemId>,
    pub attachments: Vec<crate::attachment::Attachment>,
}

impl OperationBody for CreateAttachment {
    fn parse(op: &Element) -> Result<CreateAttachment, EwsError> {
        Ok(CreateAttachment {
            parent_item_id: op.child("ParentItemId").map(ItemId::parse),
            attachments: crate::attachment::Attachment::parse_all(op.child("Attachments")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let CreateAttachment {
            parent_item_id,
            attachments,
        } = self;
        w.open(element, &[]);
        if let Some(id) = parent_item_id {
            id.write(w, "m:ParentItemId");
        }
        crate::attachment::write_attachments(w, "m:Attachments", attachments);
        w.close(element);
    }
}
