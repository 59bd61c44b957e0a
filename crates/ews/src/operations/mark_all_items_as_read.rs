//! `m:MarkAllItemsAsRead`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct MarkAllItemsAsRead {
    pub read_flag: bool,
    pub suppress_read_receipts: bool,
    pub folder_ids: Vec<FolderRef>,
}

impl OperationBody for MarkAllItemsAsRead {
    fn parse(op: &Element) -> Result<MarkAllItemsAsRead, EwsError> {
        Ok(MarkAllItemsAsRead {
            read_flag: op
                .child_text("ReadFlag")
                .as_deref()
                .and_then(parse_bool)
                .unwrap_or(true),
            suppress_read_receipts: op
                .child_text("SuppressReadReceipts")
                .as_deref()
                .and_then(parse_bool)
                .unwrap_or(false),
            folder_ids: FolderRef::parse_all(op.child("FolderIds")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let MarkAllItemsAsRead {
            read_flag,
            suppress_read_receipts,
            folder_ids,
        } = self;
        w.open(element, &[]);
        w.leaf("m:ReadFlag", bool_text(*read_flag));
        w.leaf("m:SuppressReadReceipts", bool_text(*suppress_read_receipts));
        write_folder_refs(w, "m:FolderIds", folder_ids);
        w.close(element);
    }
}
