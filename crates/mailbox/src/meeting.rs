//! Meetings between mailboxes of the organization: a calendar item with attendees sent with
//! SendToAllAndSaveCopy (or SendOnlyToAll) puts a meeting request in each attendee's Inbox and
//! a tentative copy on their calendar (same UID); an attendee's AcceptItem, TentativelyAcceptItem
//! or DeclineItem updates their copy, sends the organizer a response, and records the answer
//! on the organizer's item (the attendee's ResponseType and LastResponseTime). The organizer's
//! update of a sent meeting, or its cancellation, reaches the attendees' calendars the same way.
//! Requests, updates and cancellations go through the transport.

use crate::MailboxError;
use crate::draft::{Answer, ItemDraft};
use crate::instants::format_time;
use crate::item;
use crate::mail_item::MailItem;
use crate::model::{ItemKind, ItemRef, Tag, Value};
use crate::props::StoredProperties;
use crate::recipients::Sender;
use crate::search::{Field, Restriction};
use crate::service::{ItemQuery, Mailbox};
use store::ItemRow;

const ATTENDEE_LISTS: [Tag; 3] = [
    Tag::RequiredAttendees,
    Tag::OptionalAttendees,
    Tag::Resources,
];

/// The attendees' addresses (required, optional and resources).
pub fn attendee_addresses(props: &StoredProperties) -> Vec<String> {
    ATTENDEE_LISTS
        .iter()
        .flat_map(|t| props.bag.attendees(t))
        .filter_map(|a| a.mailbox.email.as_deref().map(str::trim))
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

/// Sets an attendee's response (and its time when answered) on the attendee lists; every
/// attendee's when `address` is empty.
fn set_response(props: &mut StoredProperties, address: &str, response: &str, at: Option<i64>) {
    for tag in &ATTENDEE_LISTS {
        let Some(Value::Attendees(list)) = props.bag.get_mut(tag) else {
            continue;
        };
        for a in list.iter_mut() {
            let matches = a
                .mailbox
                .email
                .as_deref()
                .is_some_and(|e| e.trim().eq_ignore_ascii_case(address) || address.is_empty());
            if matches {
                a.response = Some(response.to_string());
                a.last_response_time = at.map(format_time);
            }
        }
    }
}

/// What an attendee is sent about a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MeetingMessage {
    Request,
    Update,
    Cancellation,
}

/// The attendee `a`'s copies of the organizer's meeting: the item for their calendar (tentative,
/// not answered yet) and the message for their Inbox (a request, an update or a cancellation).
fn attendee_copies(
    row: &ItemRow,
    props: &StoredProperties,
    organizer: &Sender,
    a: &Mailbox,
    kind: MeetingMessage,
    now: i64,
) -> Result<(ItemRow, ItemRow), MailboxError> {
    let (Some(inbox), Some(calendar)) = (a.distinguished("inbox"), a.distinguished("calendar"))
    else {
        return Err(MailboxError::FolderNotFound(Some("calendar".into())));
    };
    let mut theirs = props.clone();
    theirs.set(Tag::LegacyFreeBusyStatus, text("Tentative"));
    theirs.set(Tag::MyResponseType, text("NoResponseReceived"));
    theirs.bag.remove(&Tag::MeetingRequestWasSent);
    let mut on_calendar = item::copy_into(row, a.guid(), &calendar.id);
    on_calendar.tag = ItemKind::CalendarItem.name().into();
    on_calendar.item_class = "IPM.Appointment".into();
    item::finish_stored(&mut on_calendar, &theirs, now);
    let mut message = theirs.clone();
    message.calendar = None;
    message.set(Tag::From, Value::Mailbox(organizer.address()));
    message.set(Tag::Sender, Value::Mailbox(organizer.address()));
    message.set(Tag::DateTimeSent, Value::Time(now));
    let mut in_inbox = item::copy_into(row, a.guid(), &inbox.id);
    in_inbox.is_read = false;
    in_inbox.received_ms = now;
    match kind {
        MeetingMessage::Request | MeetingMessage::Update => {
            let request_type = if kind == MeetingMessage::Request {
                "NewMeetingRequest"
            } else {
                "FullUpdate"
            };
            message.set(Tag::MeetingRequestType, text(request_type));
            if kind == MeetingMessage::Request {
                let assoc = ItemRef {
                    id: on_calendar.id.clone(),
                    change_key: item::change_key(&on_calendar.id, 1),
                };
                message.set(Tag::AssociatedCalendarItemId, Value::ItemId(assoc));
            }
            in_inbox.tag = ItemKind::MeetingRequest.name().into();
            in_inbox.item_class = "IPM.Schedule.Meeting.Request".into();
        }
        MeetingMessage::Cancellation => {
            message.set(Tag::IsCancelled, Value::Bool(true));
            in_inbox.tag = ItemKind::MeetingCancellation.name().into();
            in_inbox.item_class = "IPM.Schedule.Meeting.Canceled".into();
            in_inbox.subject = format!("Canceled: {}", row.subject);
        }
    }
    item::finish_stored(&mut in_inbox, &message, now);
    Ok((on_calendar, in_inbox))
}

fn uid(props: &StoredProperties) -> Option<String> {
    props.bag.text(&Tag::UID)
}

fn text(t: &str) -> Value {
    Value::Text(t.into())
}

impl Mailbox {
    /// The calendar item of this mailbox with this UID.
    pub(crate) async fn calendar_item_by_uid(
        &self,
        uid: &str,
    ) -> Result<Option<(ItemRow, StoredProperties)>, MailboxError> {
        let Some(calendar) = self.distinguished("calendar").cloned() else {
            return Ok(None);
        };
        let query = ItemQuery {
            restriction: Some(Restriction::Compare(
                Field::Extended {
                    key: crate::props::field_key(Tag::UID.name()),
                    numeric: false,
                },
                store::CmpOp::Eq,
                uid.to_string(),
            )),
            order: Vec::new(),
            offset: 0,
            max: 1,
        };
        Ok(self
            .find_items(&calendar, &query)
            .await?
            .items
            .into_iter()
            .next()
            .map(|i| (i.row(), i.props)))
    }

    /// Sends the meeting `row`/`props` (stored in this, the organizer's, mailbox) to the
    /// attendees through the transport: a meeting request in each one's Inbox and a tentative
    /// item on their calendar; the organizer's item then records that the request went out.
    pub async fn invite(
        &self,
        item: &mut MailItem,
        organizer: &Sender,
        attendees: &[Mailbox],
    ) -> Result<(), MailboxError> {
        let mut row = item.row();
        let props = &mut item.props;
        let now = store::now_ms();
        props.set(Tag::Organizer, Value::Mailbox(organizer.address()));
        props.set(Tag::IsMeeting, Value::Bool(true));
        props.set(Tag::MeetingRequestWasSent, Value::Bool(true));
        set_response(props, "", "Unknown", None);
        let mut items = Vec::new();
        for a in attendees {
            let (calendar, message) =
                attendee_copies(&row, props, organizer, a, MeetingMessage::Request, now)?;
            items.push(calendar);
            items.push(message);
        }
        let outgoing = crate::transport::Outgoing {
            items,
            ..Default::default()
        };
        self.store_ref()
            .mailboxes()
            .insert_items_queued(&[], &[outgoing.job()])
            .await?;
        item::finish_stored(&mut row, props, now);
        self.save(&mut row, Some(props)).await?;
        *item = MailItem::of(row, item.props.clone());
        Ok(())
    }

    /// Sends a change of this organizer's meeting to its attendees through the transport: an
    /// update (their calendar item follows, tentative again, and a request says so) or a
    /// cancellation (their item marked cancelled and free, and a cancellation in the Inbox).
    pub async fn send_meeting_change(
        &self,
        item: &MailItem,
        organizer: &Sender,
        attendees: &[Mailbox],
        cancel: bool,
    ) -> Result<(), MailboxError> {
        let (row, props) = (&item.row(), &item.props);
        let Some(uid) = uid(props) else {
            return Ok(());
        };
        let now = store::now_ms();
        let kind = if cancel {
            MeetingMessage::Cancellation
        } else {
            MeetingMessage::Update
        };
        let mut outgoing = crate::transport::Outgoing::default();
        for a in attendees {
            let (calendar, message) = attendee_copies(row, props, organizer, a, kind, now)?;
            outgoing.items.push(message);
            outgoing.meetings.push(crate::transport::MeetingChange {
                mailbox: a.guid().to_string(),
                uid: uid.clone(),
                calendar,
                cancelled: cancel,
            });
        }
        if outgoing.is_empty() {
            return Ok(());
        }
        self.store_ref()
            .mailboxes()
            .insert_items_queued(&[], &[outgoing.job()])
            .await?;
        Ok(())
    }

    /// Applies a meeting change the transport delivers to this attendee's calendar: their item
    /// with the UID takes the organizer's, or is marked cancelled; an update of a meeting they
    /// no longer have puts it back.
    pub async fn apply_meeting_change(
        &self,
        change: &crate::transport::MeetingChange,
    ) -> Result<(), MailboxError> {
        let now = store::now_ms();
        match self.calendar_item_by_uid(&change.uid).await? {
            Some((mut row, mut props)) if change.cancelled => {
                if !row.subject.starts_with("Canceled: ") {
                    row.subject = format!("Canceled: {}", row.subject);
                }
                props.set(Tag::IsCancelled, Value::Bool(true));
                props.set(Tag::LegacyFreeBusyStatus, text("Free"));
                item::finish_stored(&mut row, &props, now);
                self.save(&mut row, Some(&props)).await
            }
            Some((mut row, _)) => {
                let props =
                    StoredProperties::decode(&change.calendar.props, change.calendar.props_format);
                row.subject = change.calendar.subject.clone();
                item::finish_stored(&mut row, &props, now);
                self.save(&mut row, Some(&props)).await
            }
            None if change.cancelled => Ok(()),
            None => {
                crate::transport::deliver_items(
                    self.store_ref(),
                    std::slice::from_ref(&change.calendar),
                )
                .await?;
                Ok(())
            }
        }
    }

    /// An attendee's answer to the
    /// meeting request or calendar item `reference` of this mailbox: their calendar item
    /// updated (or, declined, moved to Deleted Items), the request moved to Deleted Items.
    /// Returns the meeting's UID, organizer address and subject, for the organizer's side.
    pub async fn respond_to_meeting(
        &self,
        answer: Answer,
        reference: &str,
    ) -> Result<(String, String, String), MailboxError> {
        let (row, props) = self.item_row(reference).await?;
        let is_request = row.item_class.starts_with("IPM.Schedule.Meeting.Request");
        if !is_request && !crate::calendar::is_calendar_item(&row) {
            return Err(MailboxError::InvalidOperation(
                "Only a meeting request or a meeting on the calendar can be accepted or declined."
                    .into(),
            ));
        }
        let uid = uid(&props).ok_or(MailboxError::ItemNotFound)?;
        let organizer = props
            .bag
            .addresses(&Tag::Organizer)
            .first()
            .and_then(|a| a.email.as_deref())
            .map(|e| e.trim().to_string())
            .ok_or_else(|| {
                MailboxError::InvalidOperation(
                    "The item is not a meeting: it has no organizer.".into(),
                )
            })?;
        let (status, response) = match answer {
            Answer::Accept => ("Busy", "Accept"),
            Answer::Tentative => ("Tentative", "Tentative"),
            Answer::Decline => ("Free", "Decline"),
        };
        let deleted = self.distinguished("deleteditems").cloned();
        let now = store::now_ms();
        if let Some((mut cal, mut cal_props)) = self.calendar_item_by_uid(&uid).await? {
            cal_props.set(Tag::LegacyFreeBusyStatus, text(status));
            cal_props.set(Tag::MyResponseType, text(response));
            cal_props.set(Tag::AppointmentReplyTime, Value::Time(now));
            if response == "Decline"
                && let Some(d) = &deleted
            {
                cal.folder_id = d.id.clone();
            }
            item::finish_stored(&mut cal, &cal_props, now);
            self.save(&mut cal, Some(&cal_props)).await?;
        }
        if is_request && let Some(d) = &deleted {
            let mut moved = row.clone();
            moved.folder_id = d.id.clone();
            self.save(&mut moved, None).await?;
        }
        Ok((uid, organizer, row.subject.clone()))
    }

    /// The organizer's side of an answer: the attendee's response recorded on the meeting with
    /// this UID, and the response message put in the organizer's Inbox.
    pub async fn record_meeting_response(
        &self,
        uid: &str,
        answer: Answer,
        attendee: &Sender,
        subject: &str,
    ) -> Result<(), MailboxError> {
        let now = store::now_ms();
        let (response, prefix, class) = match answer {
            Answer::Accept => ("Accept", "Accepted: ", "IPM.Schedule.Meeting.Resp.Pos"),
            Answer::Tentative => ("Tentative", "Tentative: ", "IPM.Schedule.Meeting.Resp.Tent"),
            Answer::Decline => ("Decline", "Declined: ", "IPM.Schedule.Meeting.Resp.Neg"),
        };
        if let Some((mut meeting, mut props)) = self.calendar_item_by_uid(uid).await? {
            set_response(&mut props, &attendee.address, response, Some(now));
            item::finish_stored(&mut meeting, &props, now);
            self.save(&mut meeting, Some(&props)).await?;
        }
        let inbox = self
            .distinguished("inbox")
            .ok_or(MailboxError::FolderNotFound(Some("inbox".into())))?;
        let mut note = StoredProperties::default();
        note.set(Tag::From, Value::Mailbox(attendee.address()));
        note.set(Tag::Sender, Value::Mailbox(attendee.address()));
        note.set(Tag::DateTimeSent, Value::Time(now));
        note.set(Tag::UID, text(uid));
        let mut src = ItemDraft::new(ItemKind::MeetingResponse);
        src.subject = Some(format!("{prefix}{subject}"));
        src.class = Some(class.into());
        let (mut message, _) = item::new_item(self.guid(), inbox, &src, now);
        message.is_draft = false;
        message.is_read = false;
        item::finish_stored(&mut message, &note, now);
        self.store_ref()
            .mailboxes()
            .insert_items(&[(message, note.values())])
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Attendee};

    #[test]
    fn attendees_are_read_and_answered_one_by_one() {
        let attendee = |address: &str, response: Option<&str>| Attendee {
            mailbox: Address {
                email: Some(address.into()),
                ..Address::default()
            },
            response: response.map(str::to_string),
            last_response_time: None,
        };
        let mut props = StoredProperties::default();
        props.set(
            Tag::RequiredAttendees,
            Value::Attendees(vec![attendee("bob@contoso.com", None)]),
        );
        props.set(
            Tag::OptionalAttendees,
            Value::Attendees(vec![attendee("carol@contoso.com", Some("Unknown"))]),
        );
        assert_eq!(
            attendee_addresses(&props),
            ["bob@contoso.com", "carol@contoso.com"]
        );
        set_response(&mut props, "BOB@contoso.com", "Accept", Some(0));
        let text = |list: Tag| props.bag.attendees(&list)[0].response.clone();
        assert_eq!(text(Tag::RequiredAttendees).as_deref(), Some("Accept"));
        assert_eq!(text(Tag::OptionalAttendees).as_deref(), Some("Unknown"));
    }
}
