//! `m:CreateItem`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct CreateItem {
    pub message_disposition: Option<String>,
    pub send_meeting_invitations: Option<String>,
    pub saved_item_folder_id: Option<FolderRef>,
    pub items: Vec<Item>,
}

impl OperationBody for CreateItem {
    fn parse(op: &Element) -> Result<CreateItem, EwsError> {
        Ok(CreateItem {
            message_disposition: attr(op, "MessageDisposition"),
            send_meeting_invitations: attr(op, "SendMeetingInvitations"),
            saved_item_folder_id: first_folder(op, "SavedItemFolderId"),
            items: op
                .child("Items")
                .map(|i| i.elements().map(Item::parse).collect())
                .unwrap_or_default(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let CreateItem {
            message_disposition,
            send_meeting_invitations,
            saved_item_folder_id,
            items,
        } = self;
        let mut attrs = Vec::new();
        if let Some(d) = message_disposition {
            attrs.push(("MessageDisposition", d.as_str()));
        }
        if let Some(s) = send_meeting_invitations {
            attrs.push(("SendMeetingInvitations", s.as_str()));
        }
        w.open(element, &attrs);
        if let Some(f) = saved_item_folder_id {
            write_folder_refs(w, "m:SavedItemFolderId", std::slice::from_ref(f));
        }
        w.open("m:Items", &[]);
        for i in items {
            i.write(w);
        }
        w.close("m:Items");
        w.close(element);
    }
}
