//! EWS at /EWS/Exchange.asmx behind S2S OAuth: `inbound` validates the bearer token against the
//! in-memory trust configuration, resolves the user and applies RBAC by the partner
//! application's linked account; then the typed request is dispatched, one file per operation
//! group, to the user's `Mailbox`, and the typed response is written by the `ews` crate.

mod aqs;
mod attachments;
pub mod autodiscover;
mod calendar;
mod configurations;
pub(crate) mod context;
pub use configurations::upgrade_stored as upgrade_stored_configurations;

/// Teaches the mailbox to read what it stored in EWS's terms before it had terms of its own
/// (items' properties as XML fragments or element trees, rules' parts as element trees).
pub fn read_earlier_forms() {
    mailbox::read_earlier_forms_with(mailbox::EarlierForms {
        item_properties: fields::decode_earlier,
        rule_set: rules::earlier_rule_set,
    });
}

/// Carries every item stored in an earlier property form forward to the property bag, once,
/// at start: reading those forms takes EWS's element names, which only this edge knows.
pub async fn upgrade_stored_items(store: &store::Store) -> Result<usize, MailboxError> {
    read_earlier_forms();
    mailbox::upgrade_stored_items(store).await
}
mod directory;
pub mod drafts;
mod event_wire;
pub mod field_uris;
pub mod fields;
mod folder_view;
mod folders;
mod inbound;
pub mod item_view;
mod items;
mod mapi;
mod meetings;
mod names;
mod notifications;
mod people;
mod principal;
pub(crate) mod push;
pub use crate::event_hub::EventHub;
mod restriction;
pub mod rules;
mod streaming;
mod time_zones;
mod transfer;
mod unsupported;
mod user_tokens;

use crate::state::OnPremState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use ews::{Operation, Request, ResponseCode, ResponseMessage};
use mailbox::{Mailbox, MailboxError};
use std::sync::Arc;

use context::Context;
pub use context::{Caller, fault, xml_response};

/// GetDelegate on the caller's mailbox: the named delegates (or all), and where the mailbox
/// sends meeting requests.
async fn get_delegate(
    state: &OnPremState,
    c: &Caller,
    op: &Operation,
) -> Result<(Vec<ResponseMessage>, Option<String>), MailboxError> {
    let Operation::GetDelegate(ews::GetDelegate {
        mailbox,
        user_ids,
        include_permissions,
    }) = op
    else {
        return Ok((Vec::new(), None));
    };
    if !mailbox.email_address.is_empty() && !c.mailbox.has_address(&mailbox.email_address) {
        return Ok((vec![other_mailbox_delegates()], None));
    }
    let mbox = Mailbox::open_cached(&state.store, &state.folder_trees, &c.mailbox.guid).await?;
    let stored = mbox.delegates()?;
    let messages = directory::get_delegates(state, &stored, user_ids, *include_permissions);
    let deliver = stored
        .deliver_meeting_requests
        .unwrap_or_else(|| "DelegatesAndSendInformationToMe".into());
    Ok((messages, Some(deliver)))
}

fn other_mailbox_delegates() -> ResponseMessage {
    ResponseMessage::error(
        ews::ResponseCode::ErrorAccessDenied,
        "Access is denied: the delegates of another mailbox are its owner's to read and change.",
    )
}

pub async fn handle(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = std::time::Instant::now();
    let authenticated = match inbound::authenticate(&state, &headers).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let request = match Request::parse(&body) {
        Ok(r) => r,
        Err(e) => {
            return fault(
                e.code(),
                &format!("The request failed schema validation: {e}"),
            );
        }
    };
    let op = request.operation.name().to_string();
    // A request whose SOAPAction names another operation than its body says one thing and
    // does another: nothing runs.
    if let Some(action) = headers.get("soapaction")
        && !action
            .to_str()
            .is_ok_and(|a| ews::soap::soap_action_matches(a, &op))
    {
        return fault(
            ews::ResponseCode::ErrorInvalidRequest,
            &format!(
                "The request is invalid: the SOAPAction header does not name the operation '{op}' of the body."
            ),
        );
    }
    if let Operation::Other { name, namespace } = &request.operation {
        return unsupported::refuse(name, namespace);
    }
    let caller = match inbound::authorize(&authenticated, &request) {
        Ok(c) => c,
        Err(resp) => return *resp,
    };
    if let Operation::GetStreamingEvents(g) = &request.operation {
        state.metrics.ews_operation(&op, "NoError");
        return streaming::respond(state.clone(), &caller, g).await;
    }
    // GetDelegate answers where meeting requests go beside its messages.
    let result = match &request.operation {
        Operation::GetDelegate(_) => get_delegate(&state, &caller, &request.operation).await,
        other => dispatch(&state, &caller, other).await.map(|m| (m, None)),
    };
    tracing::info!(op = %op, user = %caller.mailbox.primary_smtp, app = %caller.partner_application, micros = started.elapsed().as_micros() as u64, "ews");
    match result {
        Ok((messages, deliver_meeting_requests)) => {
            let code = messages
                .first()
                .map(|m| m.code.as_str())
                .unwrap_or("NoError");
            state.metrics.ews_operation(&op, code);
            let mut response = ews::Response::new(&op, messages);
            response.deliver_meeting_requests = deliver_meeting_requests;
            let mut answer = xml_response(StatusCode::OK, response.to_xml());
            if op == "Subscribe" {
                // Exchange pins a client's subscriptions to one server with this cookie, and
                // clients send it back; here every process serves every subscription, so it
                // is a constant clients may keep or drop.
                answer.headers_mut().insert(
                    header::SET_COOKIE,
                    HeaderValue::from_static("X-BackEndOverrideCookie=hybrid~1; path=/; HttpOnly"),
                );
            }
            answer
        }
        Err(e) => {
            tracing::warn!(op = %op, "ews failure: {e}");
            state
                .metrics
                .ews_operation(&op, ResponseCode::ErrorInternalServerError.as_str());
            fault(
                ews::ResponseCode::ErrorInternalServerError,
                "An internal server error occurred. The operation failed.",
            )
        }
    }
}

/// The delegate operations that change the list, on the caller's mailbox only (as Exchange: another mailbox's
/// delegates are its owner's to read and change).
async fn delegate_operation(
    ctx: &mut Context<'_>,
    op: &Operation,
) -> Option<Result<Vec<ResponseMessage>, MailboxError>> {
    let mailbox = match op {
        Operation::AddDelegate(ews::AddDelegate { mailbox, .. })
        | Operation::UpdateDelegate(ews::UpdateDelegate { mailbox, .. })
        | Operation::RemoveDelegate(ews::RemoveDelegate { mailbox, .. }) => mailbox,
        _ => return None,
    };
    if !mailbox.email_address.is_empty() && !ctx.c.mailbox.has_address(&mailbox.email_address) {
        return Some(Ok(vec![other_mailbox_delegates()]));
    }
    let mut stored = match ctx.mbox.delegates() {
        Ok(d) => d,
        Err(e) => return Some(Err(e)),
    };
    let (messages, deliver) = match op {
        Operation::AddDelegate(ews::AddDelegate {
            delegate_users,
            deliver_meeting_requests,
            ..
        })
        | Operation::UpdateDelegate(ews::UpdateDelegate {
            delegate_users,
            deliver_meeting_requests,
            ..
        }) => {
            let update = matches!(op, Operation::UpdateDelegate(_));
            let m = directory::add_or_update_delegates(
                ctx.state,
                &ctx.c.mailbox,
                &mut stored,
                delegate_users,
                update,
            );
            (m, deliver_meeting_requests.clone())
        }
        Operation::RemoveDelegate(ews::RemoveDelegate { user_ids, .. }) => (
            directory::remove_delegates(ctx.state, &mut stored, user_ids),
            None,
        ),
        _ => return None,
    };
    if deliver.is_some() {
        stored.deliver_meeting_requests = deliver;
    }
    let r = ctx.mbox.save_delegates(stored).await;
    ctx.state.folder_trees.clear();
    Some(r.map(|_| messages))
}

async fn dispatch(
    state: &OnPremState,
    c: &Caller,
    op: &Operation,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    if let Operation::ConvertId(ews::ConvertId {
        source_ids,
        destination_format,
    }) = op
    {
        return Ok(folders::convert_id(state, source_ids, destination_format));
    }
    if let Operation::ResolveNames(ews::ResolveNames {
        return_full_contact_data,
        unresolved_entries,
    }) = op
    {
        return Ok(names::resolve_names(
            state,
            unresolved_entries,
            *return_full_contact_data,
        ));
    }
    match op {
        Operation::GetUserAvailability(ews::GetUserAvailability {
            time_zone,
            mailboxes,
            free_busy,
        }) => {
            return calendar::availability(state, c, time_zone, mailboxes, free_busy.as_ref())
                .await;
        }
        Operation::GetRoomLists(_) => return Ok(directory::room_lists()),
        Operation::GetServerTimeZones(ews::GetServerTimeZones {
            ids,
            return_full_data,
        }) => return Ok(calendar::server_time_zones(ids, *return_full_data)),
        Operation::GetRooms(ews::GetRooms { room_list }) => return Ok(directory::rooms(room_list)),
        Operation::ExpandDL(ews::ExpandDL { mailbox }) => return Ok(directory::expand_dl(mailbox)),
        Operation::GetSearchableMailboxes(_) => return Ok(directory::searchable_mailboxes()),
        Operation::GetServiceConfiguration(ews::GetServiceConfiguration { requested }) => {
            return Ok(directory::service_configuration(state, requested));
        }
        Operation::GetMailTips(ews::GetMailTips { recipients, .. }) => {
            return Ok(directory::mail_tips(state, recipients));
        }
        _ => {}
    }
    let mbox = Mailbox::open_cached(&state.store, &state.folder_trees, &c.mailbox.guid).await?;
    let mut ctx = Context { state, c, mbox };
    if let Some(r) = delegate_operation(&mut ctx, op).await {
        return r;
    }
    if let Operation::UpdateInboxRules(ews::UpdateInboxRules {
        mailbox_smtp_address,
        operations,
        ..
    }) = op
    {
        let r = rules::update(&mut ctx, mailbox_smtp_address.as_deref(), operations).await;
        // The rules live with the Inbox: the folder trees other requests see must be re-read.
        state.folder_trees.clear();
        return r;
    }
    if let Operation::SetUserOofSettings(ews::SetUserOofSettings { mailbox, settings }) = op {
        let r = calendar::set_oof(&mut ctx, mailbox, settings).await;
        state.folder_trees.clear();
        return r;
    }
    if let Some(r) = folders::write(&mut ctx, op).await {
        // This process sees its own folder writes at once; others through the store's feed.
        state.folder_trees.clear();
        return r;
    }
    match op {
        Operation::GetFolder(ews::GetFolder { shape, folder_ids }) => {
            folders::get_folder(&ctx, shape, folder_ids).await
        }
        Operation::FindFolder(f) => folders::find_folder(&ctx, f).await,
        Operation::FindItem(f) => items::find_item(&ctx, f).await,
        Operation::GetUserOofSettings(ews::GetUserOofSettings { mailbox }) => {
            calendar::get_oof(&ctx, mailbox)
        }
        Operation::GetItem(ews::GetItem { shape, item_ids }) => {
            items::get_item(&ctx, shape, item_ids).await
        }
        Operation::CreateItem(ews::CreateItem {
            message_disposition,
            send_meeting_invitations,
            saved_item_folder_id,
            items,
        }) => {
            items::create_item(
                &ctx,
                message_disposition.as_deref(),
                send_meeting_invitations.as_deref(),
                saved_item_folder_id.as_ref(),
                items,
            )
            .await
        }
        Operation::UpdateItem(u) => items::update_item(&ctx, u).await,
        Operation::SendItem(ews::SendItem {
            save_item_to_folder,
            item_ids,
            saved_item_folder_id,
        }) => {
            items::send_item(
                &ctx,
                *save_item_to_folder,
                item_ids,
                saved_item_folder_id.as_ref(),
            )
            .await
        }
        Operation::UpdateItemInRecoverableItems(ews::UpdateItemInRecoverableItems {
            item_id,
            updates,
            make_item_immutable,
        }) => {
            items::update_in_recoverable_items(&ctx, item_id, updates, *make_item_immutable).await
        }
        Operation::DeleteItem(ews::DeleteItem {
            delete_type,
            send_meeting_cancellations,
            item_ids,
        }) => {
            let cancel = meetings::tells_attendees(send_meeting_cancellations.as_deref());
            items::delete_item(&ctx, delete_type, cancel, item_ids).await
        }
        Operation::MoveItem(ews::MoveItem {
            to_folder_id,
            item_ids,
        }) => items::move_or_copy(&ctx, false, to_folder_id.as_ref(), item_ids).await,
        Operation::CopyItem(ews::CopyItem {
            to_folder_id,
            item_ids,
        }) => items::move_or_copy(&ctx, true, to_folder_id.as_ref(), item_ids).await,
        Operation::GetUserConfiguration(ews::GetUserConfiguration { name, properties }) => {
            configurations::get(&ctx, name, properties).await
        }
        Operation::CreateUserConfiguration(cfg) => configurations::create(&ctx, cfg).await,
        Operation::UpdateUserConfiguration(cfg) => configurations::update(&ctx, cfg).await,
        Operation::DeleteUserConfiguration(ews::DeleteUserConfiguration { name }) => {
            configurations::delete(&ctx, name).await
        }
        Operation::CreateAttachment(ews::CreateAttachment {
            parent_item_id,
            attachments: a,
        }) => attachments::create(&ctx, parent_item_id.as_ref(), a).await,
        Operation::GetAttachment(ews::GetAttachment {
            body_type,
            attachment_ids,
            ..
        }) => attachments::get(&ctx, body_type.as_deref(), attachment_ids).await,
        Operation::GetInboxRules(ews::GetInboxRules {
            mailbox_smtp_address,
        }) => rules::get(&ctx, mailbox_smtp_address.as_deref()),
        Operation::SyncFolderHierarchy(ews::SyncFolderHierarchy {
            shape,
            sync_folder_id,
            sync_state,
        }) => {
            folders::sync_hierarchy(&ctx, shape, sync_folder_id.as_ref(), sync_state.as_deref())
                .await
        }
        Operation::SyncFolderItems(ews::SyncFolderItems {
            shape,
            sync_folder_id,
            sync_state,
            ignore,
            max_changes_returned,
            ..
        }) => {
            items::sync_items(
                &ctx,
                shape,
                sync_folder_id.as_ref(),
                sync_state.as_deref(),
                *max_changes_returned,
                ignore,
            )
            .await
        }
        Operation::ExportItems(ews::ExportItems { item_ids }) => {
            transfer::export_items(&ctx, item_ids).await
        }
        Operation::UploadItems(ews::UploadItems { items: u }) => {
            transfer::upload_items(&ctx, u).await
        }
        Operation::MarkAsJunk(ews::MarkAsJunk {
            is_junk,
            move_item,
            item_ids,
        }) => items::mark_as_junk(&ctx, *is_junk, *move_item, item_ids).await,
        Operation::MarkAllItemsAsRead(ews::MarkAllItemsAsRead {
            read_flag,
            folder_ids,
            ..
        }) => items::mark_all_read(&ctx, *read_flag, folder_ids).await,
        Operation::DeleteAttachment(ews::DeleteAttachment { attachment_ids }) => {
            attachments::delete(&ctx, attachment_ids).await
        }
        Operation::Subscribe(s) => Ok(vec![notifications::subscribe(&ctx, s).await]),
        Operation::GetEvents(g) => Ok(vec![notifications::get_events(&ctx, g).await]),
        Operation::Unsubscribe(u) => Ok(vec![notifications::unsubscribe(&ctx, u).await]),
        Operation::FindPeople(f) => Ok(vec![people::find_people(&ctx, f).await]),
        Operation::ArchiveItem(a) => {
            transfer::archive_items(&ctx, a.source_folder_id.as_ref(), &a.item_ids).await
        }
        Operation::GetPersona(g) => Ok(vec![people::get_persona(&ctx, g).await]),
        other => Ok(vec![ResponseMessage::error(
            ews::ResponseCode::ErrorInvalidOperation,
            format!(
                "The operation '{}' is not supported by this server.",
                other.name()
            ),
        )]),
    }
}
