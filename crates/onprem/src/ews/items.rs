//! Items: FindItem, GetItem, CreateItem, UpdateItem, UpdateItemInRecoverableItems, DeleteItem,
//! MoveItem and CopyItem.

use super::{Context, message, refusal};
use ews::{
    Find, FolderRef, Item, ItemChange, ItemId, ItemUpdate, Payload, ResponseMessage, RootFolder,
    Shape,
};
use mailbox::{ConflictResolution, ItemQuery, MailboxError, Restriction, SortOrder};

/// The id-only form write operations answer with.
fn id_only(ctx: &Context<'_>, row: &store::ItemRow, props: &mailbox::StoredProperties) -> Item {
    ctx.mbox.item_to_ews(row, props, &Shape::id_only(), false)
}

pub async fn find_item(
    ctx: &Context<'_>,
    find: &Find,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let (offset, max) = find
        .paging
        .as_ref()
        .map(|p| (p.offset as usize, p.max_entries.unwrap_or(1000) as usize))
        .unwrap_or((0, 1000));
    let query = (|| -> Result<ItemQuery, MailboxError> {
        Ok(ItemQuery {
            restriction: find
                .restriction
                .as_ref()
                .map(Restriction::from_ews)
                .transpose()?,
            order: SortOrder::from_ews(&find.sort)?,
            offset,
            max: max.clamp(1, 1000),
        })
    })();
    let mut out = Vec::new();
    for parent in &find.parent_folder_ids {
        let folder = match ctx.folder(parent) {
            Ok(f) => f,
            Err(e) => {
                out.push(refusal(e));
                continue;
            }
        };
        let query = match &query {
            Ok(q) => q,
            Err(e) => {
                out.push(ResponseMessage::error(e.code(), e.to_string()));
                continue;
            }
        };
        let page = if find.traversal == ews::Traversal::Associated {
            mailbox::ItemPage {
                items: Vec::new(),
                total: 0,
                includes_last: true,
            }
        } else {
            ctx.mbox.find_items(folder, query).await?
        };
        let entries: Vec<Item> = page
            .items
            .iter()
            .map(|(r, p)| ctx.mbox.item_to_ews(r, p, &find.shape, false))
            .collect();
        out.push(message(Ok(Payload::FoundItems(RootFolder {
            indexed_paging_offset: offset.min(page.total) + entries.len(),
            total_items_in_view: page.total,
            includes_last_item_in_range: page.includes_last,
            entries,
        })))?);
    }
    Ok(out)
}

pub async fn get_item(
    ctx: &Context<'_>,
    shape: &Shape,
    ids: &[ItemId],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = ctx.mbox.item(&id.id).await;
        out.push(message(r.map(|(row, props)| {
            Payload::Items(vec![ctx.mbox.item_to_ews(&row, &props, shape, true)])
        }))?);
    }
    Ok(out)
}

pub async fn create_item(
    ctx: &Context<'_>,
    disposition: Option<&str>,
    saved: Option<&FolderRef>,
    items: &[Item],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let each = |code: &'static str, text: &str| -> Vec<ResponseMessage> {
        items
            .iter()
            .map(|_| ResponseMessage::error(code, text))
            .collect()
    };
    if disposition.unwrap_or("SaveOnly") != "SaveOnly" {
        return Ok(each(
            "ErrorInvalidOperation",
            "Only MessageDisposition SaveOnly is supported: this server does not send mail.",
        ));
    }
    let folder = match saved {
        Some(f) => ctx.folder(f),
        None => ctx
            .mbox
            .distinguished("drafts")
            .ok_or(("ErrorFolderNotFound", "No drafts folder.".to_string())),
    };
    let folder = match folder {
        Ok(f) => f,
        Err((code, text)) => return Ok(each(code, &text)),
    };
    let made = ctx.mbox.create_items(folder, items).await?;
    Ok(made
        .iter()
        .map(|(r, p)| ResponseMessage::success(Payload::Items(vec![id_only(ctx, r, p)])))
        .collect())
}

pub async fn update_item(
    ctx: &Context<'_>,
    conflict: Option<&str>,
    changes: &[ItemChange],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let conflict = ConflictResolution::parse(conflict);
    let mut out = Vec::with_capacity(changes.len());
    for ch in changes {
        let r = ctx
            .mbox
            .update_item(&ch.item_id, &ch.updates, conflict)
            .await;
        out.push(message(r.map(|(row, props)| Payload::UpdatedItems {
            items: vec![id_only(ctx, &row, &props)],
            conflicts: 0,
        }))?);
    }
    Ok(out)
}

pub async fn update_in_recoverable_items(
    ctx: &Context<'_>,
    id: &ItemId,
    updates: &[ItemUpdate],
    make_immutable: bool,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let r = ctx
        .mbox
        .update_in_recoverable_items(id, updates, make_immutable)
        .await;
    Ok(vec![message(r.map(|(row, props)| {
        Payload::Items(vec![id_only(ctx, &row, &props)])
    }))?])
}

pub async fn delete_item(
    ctx: &Context<'_>,
    delete_type: &str,
    ids: &[ItemId],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = ctx.mbox.delete_item(id, delete_type).await;
        out.push(message(r.map(|_| Payload::None))?);
    }
    Ok(out)
}

pub async fn move_or_copy(
    ctx: &Context<'_>,
    copy: bool,
    to: Option<&FolderRef>,
    ids: &[ItemId],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let dest = match to.map(|f| ctx.folder(f)) {
        Some(Ok(f)) => f.clone(),
        Some(Err(e)) => return Ok(vec![refusal(e)]),
        None => {
            return Ok(vec![ResponseMessage::error(
                "ErrorInvalidRequest",
                "ToFolderId is missing.",
            )]);
        }
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = if copy {
            ctx.mbox.copy_item(&id.id, &dest).await
        } else {
            ctx.mbox.move_item(&id.id, &dest).await
        };
        out.push(message(r.map(|(row, props)| {
            Payload::Items(vec![id_only(ctx, &row, &props)])
        }))?);
    }
    Ok(out)
}
