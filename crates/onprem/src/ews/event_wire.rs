//! Subscriptions and events as EWS names them: subscription ids and watermarks, mailbox
//! events as notification events, and the refusals subscriptions get.

use super::context::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ews::{Event, EventSubject, EventType, ItemId, ResponseCode};
use mailbox::{EventKind, EventTarget, MailEvent, MailboxError};

pub(super) fn is_subscription_id(id: &str) -> bool {
    STANDARD
        .decode(id.trim())
        .is_ok_and(|b| b.len() == 17 && b[0] == 1)
}

/// A watermark: a version byte and a place in the mailbox's history.
pub(crate) fn watermark(position: i64) -> String {
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(&position.to_be_bytes());
    STANDARD.encode(bytes)
}

pub(super) fn read_watermark(text: &str) -> Option<i64> {
    let b = STANDARD.decode(text.trim()).ok()?;
    if b.len() != 9 || b[0] != 1 {
        return None;
    }
    let n = i64::from_be_bytes(b[1..].try_into().ok()?);
    (n >= 0).then_some(n)
}

pub(super) fn kind_of(t: EventType) -> Option<EventKind> {
    Some(match t {
        EventType::Copied => EventKind::Copied,
        EventType::Created => EventKind::Created,
        EventType::Deleted => EventKind::Deleted,
        EventType::Modified => EventKind::Modified,
        EventType::Moved => EventKind::Moved,
        EventType::NewMail => EventKind::NewMail,
        EventType::FreeBusyChanged => EventKind::FreeBusyChanged,
        EventType::Status => return None,
    })
}

pub(super) fn event_type(k: EventKind) -> EventType {
    match k {
        EventKind::Copied => EventType::Copied,
        EventKind::Created => EventType::Created,
        EventKind::Deleted => EventType::Deleted,
        EventKind::Modified => EventType::Modified,
        EventKind::Moved => EventType::Moved,
        EventKind::NewMail => EventType::NewMail,
        EventKind::FreeBusyChanged => EventType::FreeBusyChanged,
    }
}

/// An event as EWS writes it. Ids carry no change key: the journal keeps none, and a client
/// that needs the item reads it.
pub(crate) fn to_ews(e: &MailEvent) -> Event {
    let id = |s: &str| ItemId {
        id: s.to_string(),
        ..Default::default()
    };
    let old = e
        .old_parent
        .as_deref()
        .map(|p| (id(e.old_id.as_deref().unwrap_or(&e.id)), id(p)));
    let subject = match e.target {
        EventTarget::Item => EventSubject::Item {
            id: id(&e.id),
            parent: id(&e.parent),
            old,
        },
        EventTarget::Folder => EventSubject::Folder {
            id: id(&e.id),
            parent: id(&e.parent),
            old,
        },
    };
    Event {
        kind: event_type(e.kind),
        watermark: watermark(e.seq),
        time_stamp: Some(mailbox::format_time(e.at_ms)),
        subject: Some(subject),
        unread_count: None,
    }
}

pub(super) type Refusal = (ResponseCode, String);

pub(super) fn refused(code: ResponseCode, text: &str) -> Refusal {
    (code, text.to_string())
}

pub(super) fn internal(e: MailboxError) -> Refusal {
    tracing::warn!("notifications: {e}");
    refused(
        ResponseCode::ErrorInternalServerError,
        "The subscription store failed; try again.",
    )
}

/// The caller's subscription `id`, or why not.
pub(super) async fn own_subscription(
    ctx: &Context<'_>,
    id: &str,
) -> Result<mailbox::Subscription, Refusal> {
    if !is_subscription_id(id) {
        return Err(refused(
            ResponseCode::ErrorInvalidSubscription,
            "Subscription is invalid.",
        ));
    }
    let sub = mailbox::subscriptions::subscription(&ctx.state.store, id.trim())
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            refused(
                ResponseCode::ErrorSubscriptionNotFound,
                "The specified subscription was not found.",
            )
        })?;
    if sub.mailbox != ctx.mbox.guid() {
        return Err(refused(
            ResponseCode::ErrorSubscriptionAccessDenied,
            "Access is denied: the subscription belongs to another mailbox.",
        ));
    }
    Ok(sub)
}
