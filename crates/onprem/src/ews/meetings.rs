//! A sent meeting changed by its organizer: UpdateItem with SendMeetingInvitationsOrCancellations,
//! CreateItem of CancelCalendarItem, DeleteItem with SendMeetingCancellations. The attendees in
//! the organization are sent an update or a cancellation through the transport, and their
//! calendars follow.

use super::items::organization_mailboxes;
use super::{Context, message};
use ews::{Item, Payload, ResponseCode, ResponseMessage};
use mailbox::MailboxError;
use store::ItemRow;

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

/// Whether `row`/`props` is a meeting this mailbox organizes and has sent.
fn is_sent_meeting(row: &ItemRow, props: &mailbox::StoredProperties) -> bool {
    let flag = |name: &str| {
        props
            .other
            .iter()
            .any(|o| o.name == name && o.text().trim() == "true")
    };
    mailbox::calendar::is_calendar_item(row) && flag("IsMeeting") && flag("MeetingRequestWasSent")
}

/// Sends the attendees of the organizer's meeting `row` its update, or its cancellation.
pub(crate) async fn tell_attendees(
    ctx: &Context<'_>,
    row: &ItemRow,
    props: &mailbox::StoredProperties,
    cancel: bool,
) -> Result<(), MailboxError> {
    if !is_sent_meeting(row, props) {
        return Ok(());
    }
    let attendees = organization_mailboxes(ctx, &mailbox::attendee_addresses(props)).await?;
    let organizer = mailbox::Sender::new(&ctx.c.mailbox.display_name, &ctx.c.mailbox.primary_smtp);
    ctx.mbox
        .send_meeting_change(row, props, &organizer, &attendees, cancel)
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
        let Some(reference) = super::items::reference_item_id(i) else {
            out.push(ResponseMessage::error(
                ResponseCode::ErrorMissingInformationReferenceItemId,
                "The ReferenceItemId of the cancellation is missing.",
            ));
            continue;
        };
        let r = async {
            let (row, props) = ctx.mbox.item(reference).await?;
            if !mailbox::calendar::is_calendar_item(&row) {
                return Err(MailboxError::InvalidOperation(
                    "Only a meeting can be cancelled.".into(),
                ));
            }
            // A cancellation is a message to the attendees: none, or one outside the
            // organization, and nothing is sent (as SendItem refuses).
            // The organizer is no recipient of their own cancellation.
            let attendees =
                organization_mailboxes(ctx, &mailbox::attendee_addresses(&props)).await?;
            if attendees.is_empty() {
                return Err(MailboxError::InvalidRecipients(
                    "At least one recipient is required: the meeting has no attendees to cancel it for.".into(),
                ));
            }
            let organizer =
                mailbox::Sender::new(&ctx.c.mailbox.display_name, &ctx.c.mailbox.primary_smtp);
            ctx.mbox
                .send_meeting_change(&row, &props, &organizer, &attendees, true)
                .await?;
            ctx.state.work.notify_one();
            let deleted = ctx
                .mbox
                .distinguished("deleteditems")
                .cloned()
                .ok_or(MailboxError::FolderNotFound(Some("deleteditems".into())))?;
            // Answered with the cancelled meeting, now in Deleted Items under a new id.
            let (moved, props) = ctx.mbox.move_item(&row.id, &deleted).await?;
            Ok(Payload::Items(vec![super::items::id_only(
                ctx, &moved, &props,
            )]))
        }
        .await;
        out.push(message(r)?);
    }
    Ok(out)
}
