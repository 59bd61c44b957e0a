//! `m:DeleteItem`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct DeleteItem {
    pub delete_type: String,
    /// For a meeting: whether its attendees are sent a cancellation (SendToAllAndSaveCopy, ...).
    pub send_meeting_cancellations: Option<String>,
    pub item_ids: Vec<ItemId>,
}

impl OperationBody for DeleteItem {
    fn parse(op: &Element) -> Result<DeleteItem, EwsError> {
        Ok(DeleteItem {
            delete_type: attr(op, "DeleteType").unwrap_or_else(|| "HardDelete".into()),
            send_meeting_cancellations: attr(op, "SendMeetingCancellations"),
            item_ids: item_ids(op.child("ItemIds")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let DeleteItem {
            delete_type,
            send_meeting_cancellations,
            item_ids,
        } = self;
        let mut attrs = vec![("DeleteType", delete_type.as_str())];
        if let Some(m) = send_meeting_cancellations {
            attrs.push(("SendMeetingCancellations", m.as_str()));
        }
        w.open(element, &attrs);
        write_item_ids(w, "m:ItemIds", item_ids);
        w.close(element);
    }
}
