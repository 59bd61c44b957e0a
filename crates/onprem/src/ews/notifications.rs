//! EWS notifications: Subscribe, GetEvents, Unsubscribe and GetStreamingEvents over the
//! mailbox's events.
//!
//! Subscriptions are stored, and events are read from the mailbox journal, so a subscription
//! made at one process is served by any other on the same store. Each process keeps one
//! `EventHub`: it reads which mailboxes' journals grew (told at once of this process's writes
//! and, on PostgreSQL, of other processes'; by a short poll otherwise) and wakes the streaming
//! connections of those mailboxes.

use super::context::{Context, refusal};
use super::event_wire::{
    Refusal, internal, kind_of, own_subscription, read_watermark, refused, to_ews, watermark,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ews::{Event, Payload, ResponseCode, ResponseMessage};
use mailbox::{Delivery, EventFilter, EventKind, Mailbox, SubscriptionSpec};

/// Events in one GetEvents answer (Exchange's pull queue holds 50).
const PULL_BATCH: usize = 50;
/// How long a streaming subscription lives between connections.
const STREAMING_IDLE_MS: i64 = 30 * 60_000;

/// A subscription id: a version byte and 16 random bytes, base64 as Exchange's are.
fn new_subscription_id() -> String {
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    STANDARD.encode(bytes)
}

/// Subscribe: the folders and kinds wanted, and where reading starts.
pub(crate) async fn subscribe(ctx: &Context<'_>, s: &ews::Subscribe) -> ResponseMessage {
    match subscribe_inner(ctx, s).await {
        Ok(p) => ResponseMessage::success(p),
        Err(r) => refusal(r),
    }
}

async fn subscribe_inner(ctx: &Context<'_>, s: &ews::Subscribe) -> Result<Payload, Refusal> {
    let invalid = |t: &str| refused(ResponseCode::ErrorInvalidSubscriptionRequest, t);
    let mut folders = Vec::new();
    for f in &s.folder_ids {
        folders.push(ctx.folder(f)?.id.clone());
    }
    if !s.all_folders && folders.is_empty() {
        return Err(invalid("A subscription names its folders, or all folders."));
    }
    let kinds: Vec<EventKind> = s.event_types.iter().filter_map(|t| kind_of(*t)).collect();
    if kinds.is_empty() {
        return Err(invalid("A subscription names at least one event type."));
    }
    let (delivery, start, expires_ms) = delivery_of(&s.request, store::now_ms())?;
    let position = start_position(&ctx.mbox, start.as_deref()).await?;
    let spec = SubscriptionSpec {
        delivery,
        filter: EventFilter {
            all_folders: s.all_folders,
            folders,
            kinds,
        },
    };
    let id = new_subscription_id();
    let made = ctx
        .mbox
        .subscribe(&id, spec.clone(), position, expires_ms)
        .await
        .map_err(internal)?;
    if made.is_none() {
        return Err(refused(
            ResponseCode::ErrorExceededSubscriptionCount,
            "You have exceeded the maximum number of subscriptions for this mailbox.",
        ));
    }
    if let Delivery::Push { url, .. } = &spec.delivery {
        super::push::enqueue(ctx.state, &id)
            .await
            .map_err(|e| internal(e.into()))?;
        ctx.state.work.notify_one();
        if let Err(why) = super::push::destination_allowed(url, &ctx.state.config.push_destinations)
        {
            tracing::warn!(subscription = %id, "{why}; the subscription will end at its first notification");
        }
    }
    let watermark = match spec.delivery {
        Delivery::Streaming => None,
        _ => Some(watermark(position)),
    };
    Ok(Payload::Subscribed {
        subscription_id: id,
        watermark,
    })
}

/// How the subscriber reads its events, where reading starts (a watermark it gave back), and
/// when the subscription lapses unless renewed.
fn delivery_of(
    request: &ews::SubscriptionRequest,
    now: i64,
) -> Result<(Delivery, Option<String>, i64), Refusal> {
    let invalid = |t: &str| refused(ResponseCode::ErrorInvalidSubscriptionRequest, t);
    Ok(match request {
        ews::SubscriptionRequest::Pull { watermark, timeout } => {
            if !(1..=1440).contains(timeout) {
                return Err(invalid("Timeout must be 1 to 1440 minutes."));
            }
            let delivery = Delivery::Pull {
                timeout_minutes: *timeout,
            };
            (
                delivery,
                watermark.clone(),
                now + i64::from(*timeout) * 60_000,
            )
        }
        ews::SubscriptionRequest::Streaming => (Delivery::Streaming, None, now + STREAMING_IDLE_MS),
        ews::SubscriptionRequest::Push {
            watermark,
            status_frequency,
            url,
            ..
        } => {
            if !(1..=1440).contains(status_frequency) {
                return Err(invalid("StatusFrequency must be 1 to 1440 minutes."));
            }
            check_push_url(url)?;
            let delivery = Delivery::Push {
                url: url.trim().to_string(),
                status_frequency_minutes: *status_frequency,
            };
            let lapse = 2 * i64::from(*status_frequency) * 60_000 + STREAMING_IDLE_MS;
            (delivery, watermark.clone(), now + lapse)
        }
    })
}

/// A push URL must be an absolute http or https URL of at most 2,083 characters (Exchange's
/// bound); whether the server may post to it is decided at each delivery.
fn check_push_url(url: &str) -> Result<(), Refusal> {
    let bad = |why: String| refused(ResponseCode::ErrorInvalidPushSubscriptionUrl, &why);
    if url.len() > 2083 {
        return Err(bad(
            "The push subscription URL is longer than 2,083 characters.".into(),
        ));
    }
    match reqwest::Url::parse(url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => Err(bad(format!(
            "'{url}' is not an absolute http or https URL."
        ))),
    }
}

/// Where a new subscription starts: the watermark the client gave back, or now.
async fn start_position(mbox: &Mailbox, given: Option<&str>) -> Result<i64, Refusal> {
    let head = mbox.event_head().await.map_err(internal)?;
    let Some(text) = given else { return Ok(head) };
    let bad = || refused(ResponseCode::ErrorInvalidWatermark, "Watermark is invalid.");
    let position = read_watermark(text).ok_or_else(bad)?;
    let floor = mbox.event_floor().await.map_err(internal)?;
    if position > head || (floor > 0 && position + 1 < floor) {
        return Err(bad());
    }
    Ok(position)
}

/// GetEvents: a pull subscription's events after the watermark, or a status event.
pub(crate) async fn get_events(ctx: &Context<'_>, g: &ews::GetEvents) -> ResponseMessage {
    match get_events_inner(ctx, g).await {
        Ok(p) => ResponseMessage::success(p),
        Err(r) => refusal(r),
    }
}

async fn get_events_inner(ctx: &Context<'_>, g: &ews::GetEvents) -> Result<Payload, Refusal> {
    let sub = own_subscription(ctx, &g.subscription_id).await?;
    let Delivery::Pull { timeout_minutes } = sub.spec.delivery else {
        return Err(refused(
            ResponseCode::ErrorInvalidPullSubscriptionId,
            "The subscription is not a pull subscription.",
        ));
    };
    let after = read_watermark(&g.watermark)
        .ok_or_else(|| refused(ResponseCode::ErrorInvalidWatermark, "Watermark is invalid."))?;
    let floor = ctx.mbox.event_floor().await.map_err(internal)?;
    if floor > 0 && after + 1 < floor {
        return Err(refused(
            ResponseCode::ErrorMissedNotificationEvents,
            "Events were missed: the watermark is older than the events this server keeps; synchronize the folders again.",
        ));
    }
    let page = ctx
        .mbox
        .events(&sub.spec.filter, after, PULL_BATCH)
        .await
        .map_err(internal)?;
    let expires = store::now_ms() + i64::from(timeout_minutes) * 60_000;
    mailbox::subscriptions::renew(&ctx.state.store, &sub.id, page.position, expires)
        .await
        .map_err(internal)?;
    let mut events: Vec<Event> = page.events.iter().map(to_ews).collect();
    if events.is_empty() {
        events.push(Event::status(watermark(page.position)));
    }
    Ok(Payload::Notification(ews::Notification {
        subscription_id: sub.id,
        previous_watermark: g.watermark.trim().to_string(),
        more_events: page.more,
        events,
    }))
}

/// Unsubscribe: ends a pull or streaming subscription (a push subscription ends by answering
/// Unsubscribe to a notification, as Exchange has it).
pub(crate) async fn unsubscribe(ctx: &Context<'_>, u: &ews::Unsubscribe) -> ResponseMessage {
    let r = async {
        let sub = own_subscription(ctx, &u.subscription_id).await?;
        if let Delivery::Push { .. } = sub.spec.delivery {
            return Err(refused(
                ResponseCode::ErrorInvalidSubscription,
                "A push subscription is ended by answering Unsubscribe to its notification.",
            ));
        }
        mailbox::subscriptions::unsubscribe(&ctx.state.store, &sub.id)
            .await
            .map_err(internal)?;
        Ok(Payload::None)
    }
    .await;
    match r {
        Ok(p) => ResponseMessage::success(p),
        Err(r) => refusal(r),
    }
}
