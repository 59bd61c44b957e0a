//! Items carried out of and into a mailbox: ExportItems, UploadItems, and ArchiveItem (into
//! the mailbox's archive mailbox).

use super::context::{Context, message, refusal};
use ews::{FolderRef, ItemId, Payload, ResponseMessage};
use mailbox::MailboxError;

/// ExportItems: each item as opaque data, an error message for each that cannot be read.
pub async fn export_items(
    ctx: &Context<'_>,
    ids: &[ItemId],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = ctx.mbox.export_item(&id.id).await;
        out.push(message(r.map(|(row, data)| Payload::Exported {
            item_id: ItemId::new(&row.id, mailbox::change_key(&row.id, row.version)),
            data,
        }))?);
    }
    Ok(out)
}

/// UploadItems: CreateNew makes a new item from the data; Update and UpdateOrCreate replace the
/// item named by ItemId (UpdateOrCreate makes a new one when it names none).
pub async fn upload_items(
    ctx: &Context<'_>,
    items: &[ews::UploadItem],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let mut out = Vec::with_capacity(items.len());
    for u in items {
        let folder = match u
            .parent_folder_id
            .as_ref()
            .map(|p| ctx.folder(&FolderRef::Id(p.clone())))
        {
            Some(Ok(f)) => f.clone(),
            Some(Err(e)) => {
                out.push(refusal(e));
                continue;
            }
            None => {
                out.push(ResponseMessage::error(
                    ews::ResponseCode::ErrorInvalidRequest,
                    "An uploaded item names no ParentFolderId.",
                ));
                continue;
            }
        };
        let replace = match (u.create_action.as_str(), &u.item_id) {
            ("CreateNew", _) => None,
            ("Update", Some(id)) => Some(id.id.as_str()),
            ("UpdateOrCreate", Some(id)) if ctx.mbox.item(&id.id).await.is_ok() => {
                Some(id.id.as_str())
            }
            ("UpdateOrCreate", _) => None,
            (action, _) => {
                out.push(ResponseMessage::error(
                    ews::ResponseCode::ErrorInvalidRequest,
                    format!("'{action}' is not a CreateAction this item can take (Update needs an ItemId)."),
                ));
                continue;
            }
        };
        let r = ctx.mbox.upload_item(&folder, &u.data, replace).await;
        out.push(message(r.map(|row| {
            Payload::ItemId(ItemId::new(
                &row.id,
                mailbox::change_key(&row.id, row.version),
            ))
        }))?);
    }
    Ok(out)
}

/// ArchiveItem: each item moved to the folder ArchiveSourceFolderId names (the archive's
/// Inbox when none is given); answered with the archived item's id, or
/// ErrorArchiveMailboxNotEnabled when the mailbox has no archive.
pub async fn archive_items(
    ctx: &Context<'_>,
    folder: Option<&ews::FolderRef>,
    ids: &[ItemId],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let archive_inbox = ews::FolderRef::Distinguished(ews::DistinguishedFolderId {
        id: "archiveinbox".into(),
        change_key: None,
        mailbox: None,
    });
    let dest = match ctx.folder(folder.unwrap_or(&archive_inbox)) {
        _ if !ctx.mbox.has_archive() => Err(message(Err(MailboxError::ArchiveMailboxNotEnabled))?),
        Ok(f) => Ok(f.clone()),
        Err(e) => Err(refusal(e)),
    };
    let dest = match dest {
        Ok(f) => f,
        Err(refused) => return Ok(ids.iter().map(|_| refused.clone()).collect()),
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = ctx.mbox.archive_item(&id.id, &dest).await;
        out.push(message(r.map(|item| {
            Payload::Items(vec![super::item_view::id_only(ctx, &item)])
        }))?);
    }
    Ok(out)
}
