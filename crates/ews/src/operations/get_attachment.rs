//! `m:GetAttachment`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetAttachment {
    /// `m:AttachmentShape/t:BodyType` for the items of item attachments.
    pub body_type: Option<String>,
    pub include_mime_content: bool,
    pub attachment_ids: Vec<crate::attachment::AttachmentId>,
}

impl OperationBody for GetAttachment {
    fn parse(op: &Element) -> Result<GetAttachment, EwsError> {
        let shape = op.child("AttachmentShape");
        Ok(GetAttachment {
            body_type: shape.and_then(|s| s.child_text("BodyType")),
            include_mime_content: shape
                .and_then(|s| s.child_text("IncludeMimeContent"))
                .as_deref()
                .and_then(parse_bool)
                .unwrap_or(false),
            attachment_ids: attachment_ids(op),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetAttachment {
            body_type,
            include_mime_content,
            attachment_ids,
        } = self;
        w.open(element, &[]);
        if body_type.is_some() || *include_mime_content {
            w.open("m:AttachmentShape", &[]);
            if *include_mime_content {
                w.leaf("t:IncludeMimeContent", "true");
            }
            w.opt_leaf("t:BodyType", body_type.as_deref());
            w.close("m:AttachmentShape");
        }
        write_attachment_ids(w, attachment_ids);
        w.close(element);
    }
}
