//! ConvertId (the version probe), GetFolder and FindFolder.

use super::{Context, message, refusal};
use ews::{Find, FolderRef, Payload, ResponseMessage, RootFolder};
use mailbox::{Mailbox, MailboxError};

/// Real conversion is not offered; clients send ConvertId to learn the server version, which
/// every response header carries. Answered as Exchange answers the probe.
pub fn convert_id(n: usize) -> Vec<ResponseMessage> {
    (0..n.max(1))
        .map(|_| {
            ResponseMessage::error(
                "ErrorInvalidSmtpAddress",
                "The SMTP address format is invalid.",
            )
        })
        .collect()
}

/// The kept counts, read only when the shape asks for them.
async fn counts_for(
    ctx: &Context<'_>,
    shape: &ews::Shape,
) -> Result<Vec<(String, i64, i64)>, MailboxError> {
    if Mailbox::shape_wants_counts(shape) {
        ctx.mbox.counts().await
    } else {
        Ok(Vec::new())
    }
}

pub async fn get_folder(
    ctx: &Context<'_>,
    shape: &ews::Shape,
    ids: &[FolderRef],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let counts = counts_for(ctx, shape).await?;
    Ok(ids
        .iter()
        .map(|id| match ctx.folder(id) {
            Ok(f) => ResponseMessage::success(Payload::Folders(vec![
                ctx.mbox.folder_to_ews(f, shape, &counts),
            ])),
            Err(e) => refusal(e),
        })
        .collect())
}

pub async fn find_folder(
    ctx: &Context<'_>,
    find: &Find,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let counts = counts_for(ctx, &find.shape).await?;
    let deep = find.traversal == ews::Traversal::Deep;
    let (offset, max) = find
        .paging
        .as_ref()
        .map(|p| (p.offset as usize, p.max_entries.unwrap_or(1000) as usize))
        .unwrap_or((0, 1000));
    let max = max.clamp(1, 1000);
    let mut out = Vec::new();
    for id in &find.parent_folder_ids {
        let parent = match ctx.folder(id) {
            Ok(p) => p,
            Err(e) => {
                out.push(refusal(e));
                continue;
            }
        };
        let found = ctx.mbox.subfolders(parent, deep);
        let total = found.len();
        let page: Vec<ews::Folder> = found
            .iter()
            .skip(offset)
            .take(max)
            .map(|f| ctx.mbox.folder_to_ews(f, &find.shape, &counts))
            .collect();
        let end = (offset + page.len()).min(total);
        out.push(message(Ok(Payload::FoundFolders(RootFolder {
            indexed_paging_offset: end,
            total_items_in_view: total,
            includes_last_item_in_range: end >= total,
            entries: page,
        })))?);
    }
    Ok(out)
}
