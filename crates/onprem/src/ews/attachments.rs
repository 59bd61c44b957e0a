//! CreateAttachment, GetAttachment and DeleteAttachment, on the caller's mailbox.

use super::context::{Context, message};
use ews::{Attachment, AttachmentId, ItemId, Payload, ResponseMessage, Shape};
use mailbox::MailboxError;

pub async fn create(
    ctx: &Context<'_>,
    parent: Option<&ItemId>,
    attachments: &[Attachment],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let Some(parent) = parent else {
        return Ok(vec![ResponseMessage::error(
            ews::ResponseCode::ErrorInvalidRequest,
            "CreateAttachment names no ParentItemId.",
        )]);
    };
    let new: Result<Vec<_>, _> = attachments.iter().map(super::drafts::attachment).collect();
    let r = match new {
        Ok(new) => {
            let target = super::drafts::target(parent);
            ctx.mbox.create_attachments(&target, &new).await
        }
        Err(e) => Err(e),
    };
    Ok(vec![message(r.map(|(added, row)| {
        Payload::Attachments(super::item_view::ids_only(&added, &row))
    }))?])
}

pub async fn get(
    ctx: &Context<'_>,
    body_type: Option<&str>,
    ids: &[AttachmentId],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let shape = Shape {
        base: ews::BaseShape::AllProperties,
        body_type: body_type.map(str::to_string),
        ..Shape::default()
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = ctx.mbox.attachment(&id.id).await.map(|(a, content)| {
            super::item_view::full(&a, id.id.clone(), content.as_deref(), &shape)
        });
        out.push(message(r.map(|a| Payload::Attachments(vec![a])))?);
    }
    Ok(out)
}

pub async fn delete(
    ctx: &Context<'_>,
    ids: &[AttachmentId],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = ctx.mbox.delete_attachment(&id.id).await;
        out.push(message(r.map(|root| Payload::RootItemId {
            id: root.id,
            change_key: root.change_key,
        }))?);
    }
    Ok(out)
}
