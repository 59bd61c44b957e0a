//! A sent meeting changed by its organizer: UpdateItem with SendMeetingInvitationsOrCancellations,
//! CreateItem of CancelCalendarItem, DeleteItem with SendMeetingCancellations. The attendees in
//! the organization are sent an update or a cancellation through the transport, and their
//! calendars follow. And the attendees' side: AcceptItem, TentativelyAcceptItem, DeclineItem.

use super::context::{Context, message};
use ews::{Item, Payload, ResponseCode, ResponseMessage};
use mailbox::{MailItem, MailboxError};

/// Whether a SendMeeting… attribute asks for the attendees to be told.
pub(crate) fn tells_attendees(mode: Option<&str>) -> bool {
    matches!(
        mode,
        Some(
            "SendToAllAndSaveCopy"
                | "SendOnlyToAll"
                | "SendToChangedAndSaveCopy"
                | "SendOnlyToChanged"
        )
    )
}

/// Whether `item` is a meeting this mailbox organizes and has sent.
fn is_sent_meeting(item: &MailItem) -> bool {
    item.is_calendar_item()
        && item.props.bag.flag(&mailbox::Tag::IsMeeting)
        && item.props.bag.flag(&mailbox::Tag::MeetingRequestWasSent)
}

/// Sends the attendees of the organizer's meeting `row` its update, or its cancellation.
pub(crate) async fn tell_attendees(
    ctx: &Context<'_>,
    item: &MailItem,
    cancel: bool,
) -> Result<(), MailboxError> {
    if !is_sent_meeting(item) {
        return Ok(());
    }
    let attendees = organization_mailboxes(ctx, &mailbox::attendee_addresses(&item.props)).await?;
    let organizer = mailbox::Sender::new(&ctx.c.mailbox.display_name, &ctx.c.mailbox.primary_smtp);
    ctx.mbox
        .send_meeting_change(item, &organizer, &attendees, cancel)
        .await?;
    ctx.state.work.notify_one();
    Ok(())
}

/// CreateItem of CancelCalendarItem: each referenced meeting is cancelled for its attendees
/// and leaves the organizer's calendar for Deleted Items.
pub(crate) async fn cancel_calendar_items(
    ctx: &Context<'_>,
    items: &[Item],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        let Some(reference) = reference_item_id(i) else {
            out.push(ResponseMessage::error(
                ResponseCode::ErrorMissingInformationReferenceItemId,
                "The ReferenceItemId of the cancellation is missing.",
            ));
            continue;
        };
        let r = async {
            let meeting = ctx.mbox.item(reference).await?;
            if !meeting.is_calendar_item() {
                return Err(MailboxError::InvalidOperation(
                    "Only a meeting can be cancelled.".into(),
                ));
            }
            // A cancellation is a message to the attendees: none, or one outside the
            // organization, and nothing is sent (as SendItem refuses).
            // The organizer is no recipient of their own cancellation.
            let attendees =
                organization_mailboxes(ctx, &mailbox::attendee_addresses(&meeting.props)).await?;
            if attendees.is_empty() {
                return Err(MailboxError::InvalidRecipients(
                    "At least one recipient is required: the meeting has no attendees to cancel it for.".into(),
                ));
            }
            let organizer =
                mailbox::Sender::new(&ctx.c.mailbox.display_name, &ctx.c.mailbox.primary_smtp);
            ctx.mbox
                .send_meeting_change(&meeting, &organizer, &attendees, true)
                .await?;
            ctx.state.work.notify_one();
            let deleted = ctx
                .mbox
                .distinguished("deleteditems")
                .cloned()
                .ok_or(MailboxError::FolderNotFound(Some("deleteditems".into())))?;
            // Answered with the cancelled meeting, now in Deleted Items under a new id.
            let moved = ctx.mbox.move_item(&meeting.id, &deleted).await?;
            Ok(Payload::Items(vec![super::item_view::id_only(ctx, &moved)]))
        }
        .await;
        out.push(message(r)?);
    }
    Ok(out)
}

/// The mailboxes of the organization these addresses name, once each; an address outside it
/// refuses the whole item (nothing leaves the server).
pub(super) async fn organization_mailboxes(
    ctx: &Context<'_>,
    addresses: &[String],
) -> Result<Vec<mailbox::Mailbox>, MailboxError> {
    let trust = ctx.state.trust();
    let mut out: Vec<mailbox::Mailbox> = Vec::new();
    for a in addresses {
        let user = trust.user_by_address(a).filter(|u| u.has_mailbox()).ok_or_else(|| {
            MailboxError::InvalidRecipients(format!(
                "The attendee '{a}' has no mailbox in this organization; this server delivers only to its own mailboxes and nothing was sent."
            ))
        })?;
        if user.guid == ctx.c.mailbox.guid || out.iter().any(|m| m.guid() == user.guid) {
            continue;
        }
        out.push(
            mailbox::Mailbox::open_cached(&ctx.state.store, &ctx.state.folder_trees, &user.guid)
                .await?,
        );
    }
    Ok(out)
}

/// The item a response object (AcceptItem, CancelCalendarItem, ...) names.
pub(super) fn reference_item_id(i: &Item) -> Option<&str> {
    i.other
        .iter()
        .find(|o| o.name == "ReferenceItemId")
        .and_then(|r| r.attr("Id"))
        .filter(|id| !id.is_empty())
}

/// CreateItem of AcceptItem, TentativelyAcceptItem and DeclineItem: the attendee's calendar
/// updated and, unless only saved, the organizer told (their item records the answer).
pub(super) async fn meeting_responses(
    ctx: &Context<'_>,
    disposition: &str,
    items: &[Item],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        let reference = reference_item_id(i);
        let answer = super::drafts::answer(&i.kind);
        let (Some(reference), Some(answer)) = (reference, answer) else {
            out.push(ResponseMessage::error(
                ResponseCode::ErrorMissingInformationReferenceItemId,
                "The ReferenceItemId of the meeting response is missing.",
            ));
            continue;
        };
        let r = async {
            let (uid, organizer, subject) = ctx.mbox.respond_to_meeting(answer, reference).await?;
            if disposition == "SaveOnly" {
                return Ok(());
            }
            let trust = ctx.state.trust();
            let Some(user) = trust
                .user_by_address(&organizer)
                .filter(|u| u.has_mailbox())
            else {
                return Ok(());
            };
            let theirs = mailbox::Mailbox::open_cached(
                &ctx.state.store,
                &ctx.state.folder_trees,
                &user.guid,
            )
            .await?;
            let me = mailbox::Sender {
                name: ctx.c.mailbox.display_name.clone(),
                address: ctx.c.mailbox.primary_smtp.clone(),
            };
            theirs
                .record_meeting_response(&uid, answer, &me, &subject)
                .await
        }
        .await;
        out.push(message(r.map(|_| Payload::Items(Vec::new())))?);
    }
    Ok(out)
}
