//! `m:DeleteAttachment`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct DeleteAttachment {
    pub attachment_ids: Vec<crate::attachment::AttachmentId>,
}

impl OperationBody for DeleteAttachment {
    fn parse(op: &Element) -> Result<DeleteAttachment, EwsError> {
        Ok(DeleteAttachment {
            attachment_ids: attachment_ids(op),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let DeleteAttachment { attachment_ids } = self;
        w.open(element, &[]);
        write_attachment_ids(w, attachment_ids);
        w.close(element);
    }
}
