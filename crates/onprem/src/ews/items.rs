//! Items: FindItem, GetItem, CreateItem, UpdateItem, UpdateItemInRecoverableItems, DeleteItem,
//! MoveItem and CopyItem.

use super::context::{Context, message, refusal};
use ews::{Find, FolderRef, Item, ItemId, ItemUpdate, Payload, ResponseMessage, RootFolder, Shape};
use mailbox::{ItemQuery, MailboxError};

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
        let restriction = find
            .restriction
            .as_ref()
            .map(super::restriction::item_restriction)
            .transpose()?;
        let searched = find
            .query_string
            .as_deref()
            .map(super::aqs::restriction)
            .transpose()?;
        Ok(ItemQuery {
            restriction: match (restriction, searched) {
                (Some(r), Some(q)) => Some(mailbox::Restriction::And(vec![r, q])),
                (r, q) => r.or(q),
            },
            order: super::restriction::sort_orders(&find.sort)?,
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
                out.push(ResponseMessage::error(
                    super::context::response_code(e),
                    e.to_string(),
                ));
                continue;
            }
        };
        if find.calendar_view.is_some() && (find.restriction.is_some() || !find.sort.is_empty()) {
            out.push(ResponseMessage::error(
                ews::ResponseCode::ErrorInvalidOperation,
                "Restrictions and sort order may not be specified for a CalendarView.",
            ));
            continue;
        }
        if let Some(view) = &find.calendar_view {
            out.push(calendar_view(ctx, folder, view, &find.shape).await?);
            continue;
        }
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
            .map(|i| super::item_view::to_ews(i, Some(folder), &find.shape, false))
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
        let r = match ctx
            .mbox
            .item_or_occurrence(&super::drafts::target(id))
            .await
        {
            Ok((stored, occurrence)) => {
                let mut item = super::item_view::view(&ctx.mbox, &stored, shape, true);
                if let Some(o) = &occurrence {
                    super::item_view::as_occurrence(&mut item, &stored, o);
                }
                let mime_asked = shape.include_mime_content
                    || shape
                        .additional
                        .iter()
                        .any(|p| p.element_name() == Some("MimeContent"));
                if mime_asked {
                    item.mime_content = Some(ctx.mbox.mime_content(&stored).await?);
                }
                Ok(Payload::Items(vec![item]))
            }
            Err(e) => Err(e),
        };
        out.push(message(r)?);
    }
    Ok(out)
}

/// Sends a composed or stored message to its recipients in the organization, keeping a copy
/// in `sent_copy` when given; a recipient outside the organization refuses the whole message.
async fn send(
    ctx: &Context<'_>,
    item: &mailbox::MailItem,
    sent_copy: Option<&store::FolderRow>,
) -> Result<(), MailboxError> {
    let addresses = mailbox::recipient_addresses(&item.props);
    if addresses.is_empty() {
        return Err(MailboxError::InvalidRecipients(
            "At least one recipient is required.".into(),
        ));
    }
    let trust = ctx.state.trust();
    let mut recipients = Vec::with_capacity(addresses.len());
    for a in &addresses {
        let user = trust.user_by_address(a).filter(|u| u.has_mailbox()).ok_or_else(|| {
            MailboxError::InvalidRecipients(format!(
                "The recipient '{a}' has no mailbox in this organization; this server delivers only to its own mailboxes and nothing was sent."
            ))
        })?;
        // One copy per mailbox, however often it is named (To, Cc, Bcc, or two addresses).
        if recipients
            .iter()
            .any(|r: &mailbox::Recipient| r.mailbox.guid() == user.guid)
        {
            continue;
        }
        let theirs =
            mailbox::Mailbox::open_cached(&ctx.state.store, &ctx.state.folder_trees, &user.guid)
                .await?;
        recipients.push(mailbox::Recipient {
            mailbox: theirs,
            name: user.display_name.clone(),
            address: user.primary_smtp.clone(),
        });
    }
    let sender = mailbox::Sender {
        name: ctx.c.mailbox.display_name.clone(),
        address: ctx.c.mailbox.primary_smtp.clone(),
    };
    let mut item = item.clone();
    mailbox::name_recipients(&mut item.props, &|a| {
        trust.user_by_address(a).map(|u| u.display_name.clone())
    });
    ctx.mbox
        .send(&item, &sender, &recipients, sent_copy)
        .await?;
    ctx.state.work.notify_one();
    Ok(())
}

pub async fn create_item(
    ctx: &Context<'_>,
    disposition: Option<&str>,
    invitations: Option<&str>,
    saved: Option<&FolderRef>,
    items: &[Item],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let each = |code: ews::ResponseCode, text: &str| -> Vec<ResponseMessage> {
        items
            .iter()
            .map(|_| ResponseMessage::error(code, text))
            .collect()
    };
    let disposition = disposition.unwrap_or("SaveOnly");
    if !matches!(disposition, "SaveOnly" | "SendOnly" | "SendAndSaveCopy") {
        return Ok(each(
            ews::ResponseCode::ErrorInvalidRequest,
            &format!("'{disposition}' is not a MessageDisposition."),
        ));
    }
    if items
        .iter()
        .any(|i| super::drafts::answer(&i.kind).is_some())
    {
        return super::meetings::meeting_responses(ctx, disposition, items).await;
    }
    if items.iter().any(|i| i.kind == "CancelCalendarItem") {
        return super::meetings::cancel_calendar_items(ctx, items).await;
    }
    let calendar_items = !items.is_empty() && items.iter().all(|i| i.kind == "CalendarItem");
    let default = if calendar_items {
        "calendar"
    } else if disposition == "SaveOnly" {
        "drafts"
    } else {
        "sentitems"
    };
    let folder = match saved {
        Some(f) => ctx.folder(f),
        None => ctx.mbox.distinguished(default).ok_or((
            ews::ResponseCode::ErrorFolderNotFound,
            format!("No {default} folder."),
        )),
    };
    let folder = match folder {
        Ok(f) => f,
        Err((code, text)) => return Ok(each(code, &text)),
    };
    // Each item made first (a reply or forward from the item it answers); a refused one is
    // answered with its own error and the others go on.
    let me = |a: &str| ctx.c.mailbox.has_address(a);
    let mut made = Vec::with_capacity(items.len());
    for i in items {
        made.push(match super::drafts::response(i) {
            Some(Ok(r)) => ctx.mbox.compose_response(folder, &r, &me).await,
            Some(Err(e)) => Err(e),
            None => match super::drafts::draft(i) {
                Ok(d) => ctx.mbox.compose(folder, &d).await,
                Err(e) => Err(e),
            },
        });
    }
    if disposition != "SaveOnly" {
        let keep = (disposition == "SendAndSaveCopy").then_some(folder);
        let mut out = Vec::with_capacity(items.len());
        for m in made {
            let r = match m {
                Ok(item) => send(ctx, &item, keep).await,
                Err(e) => Err(e),
            };
            out.push(message(r.map(|_| Payload::Items(Vec::new())))?);
        }
        return Ok(out);
    }
    let inviting = matches!(invitations, Some("SendToAllAndSaveCopy" | "SendOnlyToAll"));
    let mut attendees = Vec::with_capacity(made.len());
    for m in made.iter_mut() {
        let wanted = match m {
            Ok(item) if inviting && item.is_calendar_item() => {
                mailbox::attendee_addresses(&item.props)
            }
            _ => Vec::new(),
        };
        match super::meetings::organization_mailboxes(ctx, &wanted).await {
            Ok(list) => attendees.push(list),
            Err(e) => {
                *m = Err(e);
                attendees.push(Vec::new());
            }
        }
    }
    ctx.mbox.store_made(&made).await?;
    let organizer = mailbox::Sender {
        name: ctx.c.mailbox.display_name.clone(),
        address: ctx.c.mailbox.primary_smtp.clone(),
    };
    let mut out = Vec::with_capacity(made.len());
    for (m, invited) in made.into_iter().zip(attendees) {
        let r = match m {
            Ok(mut item) if !invited.is_empty() => ctx
                .mbox
                .invite(&mut item, &organizer, &invited)
                .await
                .map(|_| item),
            other => other,
        };
        out.push(message(r.map(|i| {
            Payload::Items(vec![super::item_view::id_only(ctx, &i)])
        }))?);
    }
    ctx.state.work.notify_one();
    Ok(out)
}

/// SendItem: sends stored drafts; with SaveItemToFolder the sent message is kept in
/// SavedItemFolderId (Sent Items by default), and the draft goes.
pub async fn send_item(
    ctx: &Context<'_>,
    save: bool,
    ids: &[ItemId],
    saved: Option<&FolderRef>,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let keep = match (save, saved) {
        (false, _) => None,
        (true, Some(f)) => match ctx.folder(f) {
            Ok(f) => Some(f.clone()),
            Err(e) => return Ok(ids.iter().map(|_| refusal(e.clone())).collect()),
        },
        (true, None) => ctx.mbox.distinguished("sentitems").cloned(),
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = async {
            let item = ctx.mbox.item(&id.id).await?;
            send(ctx, &item, keep.as_ref()).await?;
            ctx.mbox.remove_sent(&item).await
        }
        .await;
        out.push(message(r.map(|_| Payload::None))?);
    }
    Ok(out)
}

pub async fn update_item(
    ctx: &Context<'_>,
    u: &ews::UpdateItem,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let conflict = super::drafts::conflict_resolution(u.conflict_resolution.as_deref());
    let disposition = u.message_disposition.as_deref();
    let changes = &u.changes;
    let updating_meetings =
        super::meetings::tells_attendees(u.send_meeting_invitations_or_cancellations.as_deref());
    let sending = matches!(disposition, Some("SendOnly" | "SendAndSaveCopy"));
    let keep = if disposition == Some("SendAndSaveCopy") {
        ctx.mbox.distinguished("sentitems").cloned()
    } else {
        None
    };
    let mut out = Vec::with_capacity(changes.len());
    for ch in changes {
        let target = super::drafts::target(&ch.item_id);
        let r = match super::drafts::changes(&ch.updates) {
            Ok(updates) => ctx.mbox.update_item(&target, &updates, conflict).await,
            Err(e) => Err(e),
        };
        // A sent meeting changed: its attendees get the update.
        let r = match r {
            Ok(item) if updating_meetings => super::meetings::tell_attendees(ctx, &item, false)
                .await
                .map(|_| item),
            other => other,
        };
        let r = match r {
            // Updated and then sent: the stored draft goes, as with SendItem.
            Ok(item) if sending => {
                let sent = async {
                    send(ctx, &item, keep.as_ref()).await?;
                    ctx.mbox.remove_sent(&item).await
                }
                .await;
                sent.map(|_| Payload::UpdatedItems {
                    items: Vec::new(),
                    conflicts: 0,
                })
            }
            other => other.map(|row| {
                let mut item = super::item_view::id_only(ctx, &row);
                // An occurrence changed is answered with its own id, not its series'.
                if let Some((master, index)) = mailbox::calendar::occurrence_named(&target) {
                    item.item_id = Some(ItemId::new(
                        mailbox::calendar::occurrence_id(&master, index),
                        mailbox::change_key(&row.id, row.version),
                    ));
                }
                Payload::UpdatedItems {
                    items: vec![item],
                    conflicts: 0,
                }
            }),
        };
        out.push(message(r)?);
    }
    Ok(out)
}

pub async fn update_in_recoverable_items(
    ctx: &Context<'_>,
    id: &ItemId,
    updates: &[ItemUpdate],
    make_immutable: bool,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let r = match super::drafts::changes(updates) {
        Ok(updates) => {
            let target = super::drafts::target(id);
            ctx.mbox
                .update_in_recoverable_items(&target, &updates, make_immutable)
                .await
        }
        Err(e) => Err(e),
    };
    Ok(vec![message(r.map(|item| {
        Payload::Items(vec![super::item_view::id_only(ctx, &item)])
    }))?])
}

pub async fn delete_item(
    ctx: &Context<'_>,
    delete_type: &str,
    cancel_meetings: bool,
    ids: &[ItemId],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        // A sent meeting deleted with SendMeetingCancellations: its attendees are told first.
        if cancel_meetings
            && id.occurrence.is_none()
            && let Ok(item) = ctx.mbox.item(&id.id).await
        {
            super::meetings::tell_attendees(ctx, &item, true).await?;
        }
        let kind = super::drafts::delete_kind(delete_type);
        let r = ctx.mbox.delete_item(&super::drafts::target(id), kind).await;
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
    let dest = match ctx.required_folder(to, "ToFolderId") {
        Ok(f) => f,
        Err(e) => return Ok(vec![refusal(e)]),
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = if copy {
            ctx.mbox.copy_item(&id.id, &dest).await
        } else {
            ctx.mbox.move_item(&id.id, &dest).await
        };
        out.push(message(r.map(|item| {
            Payload::Items(vec![super::item_view::id_only(ctx, &item)])
        }))?);
    }
    Ok(out)
}

/// MarkAsJunk: with MoveItem, a junk message goes to Junk Email and a message that is not junk
/// to the Inbox; the answer names the moved item. Mail from the mailbox's own address is never
/// junk (its owner cannot block themselves, as in Outlook), so marking it as junk moves nothing.
pub async fn mark_as_junk(
    ctx: &Context<'_>,
    is_junk: bool,
    move_item: bool,
    ids: &[ItemId],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let target = if is_junk { "junkemail" } else { "inbox" };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = match (move_item, ctx.mbox.distinguished(target)) {
            (false, _) => ctx.mbox.item(&id.id).await.map(|_| Payload::None),
            (true, Some(_)) if is_junk && own_mail(ctx, &id.id).await => Ok(Payload::None),
            (true, Some(dest)) => {
                let dest = dest.clone();
                ctx.mbox.move_item(&id.id, &dest).await.map(|row| {
                    Payload::MovedItemId(ItemId::new(
                        &row.id,
                        mailbox::change_key(&row.id, row.version),
                    ))
                })
            }
            (true, None) => Err(MailboxError::FolderNotFound(Some(target.into()))),
        };
        out.push(message(r)?);
    }
    Ok(out)
}

/// Whether an item was sent from the mailbox's own address; an item that cannot be read is
/// not (the move that follows answers its error).
async fn own_mail(ctx: &Context<'_>, id: &str) -> bool {
    ctx.mbox.item(id).await.is_ok_and(|item| {
        item.props
            .sender_addresses()
            .iter()
            .any(|a| ctx.c.mailbox.has_address(a))
    })
}

/// MarkAllItemsAsRead, folder by folder.
pub async fn mark_all_read(
    ctx: &Context<'_>,
    read: bool,
    folders: &[FolderRef],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let mut out = Vec::with_capacity(folders.len());
    for f in folders {
        let folder = match ctx.folder(f) {
            Ok(f) => f.clone(),
            Err(e) => {
                out.push(refusal(e));
                continue;
            }
        };
        let r = ctx.mbox.mark_all_read(&folder, read).await;
        out.push(message(r.map(|_| Payload::None))?);
    }
    Ok(out)
}

/// SyncFolderItems for one folder.
pub async fn sync_items(
    ctx: &Context<'_>,
    shape: &Shape,
    folder: Option<&FolderRef>,
    state: Option<&str>,
    max: u32,
    ignore: &[ItemId],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let folder = match ctx.required_folder(folder, "SyncFolderId") {
        Ok(f) => f,
        Err(e) => return Ok(vec![refusal(e)]),
    };
    let ignore: Vec<String> = ignore.iter().map(|i| i.id.clone()).collect();
    let r = ctx.mbox.sync_items(&folder, state, max, &ignore).await;
    let r = r.map(|page| ews::SyncAnswer {
        sync_state: page.sync_state,
        includes_last: page.includes_last,
        changes: page
            .changes
            .into_iter()
            .map(|c| match c {
                mailbox::ItemSyncChange::Created(item) => {
                    ews::SyncChange::Create(super::item_view::view(&ctx.mbox, &item, shape, true))
                }
                mailbox::ItemSyncChange::Changed(item) => {
                    ews::SyncChange::Update(super::item_view::view(&ctx.mbox, &item, shape, true))
                }
                mailbox::ItemSyncChange::ReadFlag(row) => ews::SyncChange::ReadFlagChange {
                    item_id: ItemId::new(&row.id, mailbox::change_key(&row.id, row.version)),
                    is_read: row.is_read,
                },
                mailbox::ItemSyncChange::Deleted(id) => ews::SyncChange::Delete(ItemId {
                    id,
                    change_key: None,
                    occurrence: None,
                }),
            })
            .collect(),
    });
    Ok(vec![super::context::sync_message(
        r.map(Payload::SyncFolderItems),
        Payload::SyncFolderItems(ews::SyncAnswer::empty()),
    )?])
}

/// FindItem with a CalendarView: single items and the occurrences of series in the window.
async fn calendar_view(
    ctx: &Context<'_>,
    folder: &store::FolderRow,
    view: &ews::CalendarView,
    shape: &Shape,
) -> Result<ResponseMessage, MailboxError> {
    let (Some(from), Some(to)) = (
        mailbox::parse_time_ms(&view.start),
        mailbox::parse_time_ms(&view.end),
    ) else {
        return Ok(ResponseMessage::error(
            ews::ResponseCode::ErrorInvalidRequest,
            "The CalendarView's StartDate and EndDate must be dates and times.",
        ));
    };
    if to < from {
        return Ok(ResponseMessage::error(
            ews::ResponseCode::ErrorCalendarEndDateIsEarlierThanStartDate,
            "EndDate is earlier than StartDate",
        ));
    }
    let max = view.max_entries.unwrap_or(1000).clamp(1, 1000) as usize;
    let (entries, all) = ctx.mbox.calendar_view(folder, from, to, max).await?;
    let items: Vec<Item> = entries
        .iter()
        .map(|(stored, o)| {
            let mut item = super::item_view::view(&ctx.mbox, stored, shape, false);
            if o.index > 0 {
                super::item_view::as_occurrence(&mut item, stored, o);
            }
            item
        })
        .collect();
    Ok(ResponseMessage::success(Payload::FoundItems(RootFolder {
        indexed_paging_offset: 0,
        total_items_in_view: items.len(),
        includes_last_item_in_range: all,
        entries: items,
    })))
}
