//! The transport: a sent message leaves the sender's request as a job on the store's work queue,
//! written in the same transaction as the sender's copy, and is delivered from there.
//!
//! What each recipient gets is decided when the message is sent (their inbox rules run then):
//! the job carries the items to store, ids included, so a retry after a delivery that committed
//! stores nothing twice. Forwarding and redirection asked by a recipient's rules are carried as
//! well and become messages of their own when the job runs, at most [`MAX_HOPS`] deep.

use crate::MailboxError;
use crate::item;
use crate::model::{Address, ItemKind, Tag, Value};
use crate::props::StoredProperties;
use crate::props::{AttachedItem, StoredAttachment, StoredContent};
use crate::recipients::{Recipient, Sender, recipient_addresses};
pub use crate::rule_types::ForwardKind;
use serde::{Deserialize, Serialize};
use store::{ItemRow, NewJob, Store};

/// The work-queue kind of a message's delivery.
pub const DELIVERY_JOB: &str = "mail-delivery";
/// How many times rules may send a message on (a loop between two mailboxes ends there).
pub const MAX_HOPS: u32 = 3;

/// A rule's sending on of a delivered message, run by the transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forward {
    pub kind: ForwardKind,
    /// The rule's owner.
    pub from: Sender,
    pub to: Vec<String>,
    /// The message as its owner received it.
    pub item: ItemRow,
}

/// A change of a meeting for one attendee's calendar (their item found by the meeting's UID).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingChange {
    /// The attendee's mailbox.
    pub mailbox: String,
    pub uid: String,
    /// The attendee's calendar item as the organizer's meeting now is.
    pub calendar: ItemRow,
    pub cancelled: bool,
}

/// A message on its way.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outgoing {
    /// The items to store in the recipients' mailboxes.
    pub items: Vec<ItemRow>,
    #[serde(default)]
    pub forwards: Vec<Forward>,
    /// Meeting updates and cancellations for attendees' calendars.
    #[serde(default)]
    pub meetings: Vec<MeetingChange>,
    /// How many times rules have sent this message on.
    #[serde(default)]
    pub hops: u32,
}

impl Outgoing {
    /// The work-queue job that delivers it.
    pub fn job(&self) -> NewJob {
        NewJob {
            id: format!("{DELIVERY_JOB}:{}", uuid::Uuid::new_v4().simple()),
            kind: DELIVERY_JOB.into(),
            payload: serde_json::to_value(self).unwrap_or_default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.forwards.is_empty() && self.meetings.is_empty()
    }
}

/// Stores the items of a queued message that are not stored yet, in one write, and applies its
/// meeting changes to the attendees' calendars; how many items it stored.
pub async fn deliver(store: &Store, out: &Outgoing) -> Result<usize, MailboxError> {
    let stored = deliver_items(store, &out.items).await?;
    for change in &out.meetings {
        match crate::Mailbox::open(store, &change.mailbox).await {
            Ok(attendee) => attendee.apply_meeting_change(change).await?,
            Err(MailboxError::Store(e)) => return Err(e.into()),
            Err(_) => {}
        }
    }
    Ok(stored)
}

/// Stores those of `items` not stored yet, in one write; how many.
pub(crate) async fn deliver_items(store: &Store, items: &[ItemRow]) -> Result<usize, MailboxError> {
    let repo = store.mailboxes();
    let mut rows = Vec::new();
    for i in items {
        if repo.item(&i.id).await?.is_none() {
            let props = StoredProperties::decode(&i.props, i.props_format);
            rows.push((i.clone(), props.values()));
        }
    }
    if !rows.is_empty() {
        repo.insert_items(&rows).await?;
    }
    Ok(rows.len())
}

/// What each recipient gets of a message `sender` sends: a copy where its rules put it (and
/// the copies they ask for), and what its rules send on.
pub(crate) fn deliveries(
    original: &ItemRow,
    delivered: &StoredProperties,
    sender: &Sender,
    recipients: &[Recipient],
    now: i64,
) -> Result<(Vec<ItemRow>, Vec<Forward>), MailboxError> {
    let addresses = recipient_addresses(delivered);
    let mut items = Vec::new();
    let mut forwards = Vec::new();
    for r in recipients {
        let inbox = r
            .mailbox
            .distinguished("inbox")
            .ok_or(MailboxError::FolderNotFound(Some("inbox".into())))?;
        let mut theirs = delivered.clone();
        let placed = crate::rules::run(
            &r.mailbox,
            &crate::rules::Delivered {
                sender: &sender.address,
                sender_name: &sender.name,
                recipients: &addresses,
                subject: &original.subject,
                props: delivered,
            },
            &mut theirs,
        );
        let folder = placed.folder.as_deref().unwrap_or(&inbox.id);
        for f in std::iter::once(folder).chain(placed.copies.iter().map(String::as_str)) {
            items.push(received(
                original,
                r.mailbox.guid(),
                f,
                placed.read,
                &theirs,
                now,
            ));
        }
        for (kind, to) in placed.forwards {
            forwards.push(Forward {
                kind,
                from: r.sender(),
                to,
                item: received(original, r.mailbox.guid(), &inbox.id, false, &theirs, now),
            });
        }
    }
    Ok((items, forwards))
}

/// A message as it arrives in `mailbox`'s `folder`: no longer a draft, received now.
pub(crate) fn received(
    original: &ItemRow,
    mailbox: &str,
    folder: &str,
    read: bool,
    props: &StoredProperties,
    now: i64,
) -> ItemRow {
    let mut copy = item::copy_into(original, mailbox, folder);
    copy.is_draft = false;
    copy.is_read = read;
    copy.received_ms = now;
    copy.created_ms = now;
    item::finish_stored(&mut copy, props, now);
    copy
}

/// What a rule's forwarding sends: the message to deliver to `recipients` (already resolved in
/// the organization), one hop further.
pub fn forwarded(
    f: &Forward,
    recipients: &[Recipient],
    hops: u32,
) -> Result<Outgoing, MailboxError> {
    let now = store::now_ms();
    let original = StoredProperties::decode(&f.item.props, f.item.props_format);
    let (row, mut props, sender) = match f.kind {
        ForwardKind::Redirect => {
            let sender = original_sender(&original).unwrap_or_else(|| f.from.clone());
            (f.item.clone(), original.clone(), sender)
        }
        ForwardKind::Forward | ForwardKind::AsAttachment => {
            let mut row = f.item.clone();
            row.subject = format!("FW: {}", f.item.subject);
            row.item_class = "IPM.Note".into();
            row.tag = ItemKind::Message.name().into();
            let mut props = StoredProperties::default();
            if f.kind == ForwardKind::Forward {
                props.body = original.body.clone();
                props.attachments = original.attachments.clone();
            } else {
                props.attachments = vec![attached(&f.item, &original, now)];
            }
            (row, props, f.from.clone())
        }
    };
    props.bag.retain(|t| !t.is_address_list());
    let to = f.to.iter().map(|a| Address::smtp("", a)).collect();
    props.set(Tag::ToRecipients, Value::Mailboxes(to));
    props.set(Tag::From, Value::Mailbox(sender.address()));
    props.set(Tag::Sender, Value::Mailbox(f.from.address()));
    props.set(Tag::DateTimeSent, Value::Time(now));
    let (items, forwards) = deliveries(&row, &props, &sender, recipients, now)?;
    Ok(Outgoing {
        items,
        forwards,
        meetings: Vec::new(),
        hops,
    })
}

fn original_sender(p: &StoredProperties) -> Option<Sender> {
    let a = p.bag.addresses(&Tag::From).first()?;
    Some(Sender::new(
        a.name.as_deref().unwrap_or_default().trim(),
        a.email.as_deref()?.trim(),
    ))
}

fn attached(row: &ItemRow, props: &StoredProperties, now: i64) -> StoredAttachment {
    StoredAttachment {
        local_id: uuid::Uuid::new_v4().simple().to_string()[..8].to_string(),
        name: Some(row.subject.clone()),
        content_type: None,
        content_id: None,
        content_location: None,
        is_inline: false,
        modified_ms: now,
        size: row.size,
        content: StoredContent::Item(Box::new(AttachedItem {
            tag: row.tag.clone(),
            item_class: row.item_class.clone(),
            subject: row.subject.clone(),
            is_read: true,
            is_draft: false,
            created_ms: row.created_ms,
            props: props.clone(),
        })),
    }
}
