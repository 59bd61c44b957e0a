//! EWS notifications: Subscribe, GetEvents, Unsubscribe and GetStreamingEvents over the
//! mailbox's events.
//!
//! Subscriptions are stored, and events are read from the mailbox journal, so a subscription
//! made at one process is served by any other on the same store. Each process keeps one
//! [`EventHub`]: it reads which mailboxes' journals grew (told at once of this process's writes
//! and, on PostgreSQL, of other processes'; by a short poll otherwise) and wakes the streaming
//! connections of those mailboxes.

use super::{Context, refusal};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ews::{Event, EventSubject, EventType, ItemId, Payload, ResponseCode, ResponseMessage};
use mailbox::{
    Delivery, EventFilter, EventKind, EventTarget, MailEvent, Mailbox, MailboxError,
    SubscriptionSpec,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// Events in one GetEvents answer (Exchange's pull queue holds 50).
const PULL_BATCH: usize = 50;
/// How long a streaming subscription lives between connections.
const STREAMING_IDLE_MS: i64 = 30 * 60_000;
/// How long the hub lets writes gather after being told of one, before reading the journal.
const HUB_COALESCE: Duration = Duration::from_millis(5);
/// How often the hub reads the journal when nothing told it of a write.
const HUB_POLL: Duration = Duration::from_millis(500);
/// How often lapsed subscriptions are removed (Exchange sweeps every 5 minutes).
const SWEEP: Duration = Duration::from_secs(300);
/// Open GetStreamingEvents connections one mailbox may hold (Exchange Online's
/// HangingConnectionLimit).
pub const MAX_STREAMING_CONNECTIONS: usize = 10;

/// This process's view of which mailboxes changed, and its open streaming connections.
pub struct EventHub {
    changed: broadcast::Sender<Arc<str>>,
    connections: Mutex<HashMap<String, usize>>,
    /// Set when the server stops: streaming connections close at once.
    closing: tokio::sync::watch::Sender<bool>,
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub {
            changed: broadcast::channel(4096).0,
            connections: Mutex::new(HashMap::new()),
            closing: tokio::sync::watch::channel(false).0,
        }
    }
}

impl EventHub {
    /// The server is stopping: every streaming connection sends its closing envelope and ends.
    pub fn close(&self) {
        let _ = self.closing.send(true);
    }

    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.changed.subscribe()
    }

    /// Counts a new streaming connection of `mailbox`, unless it has the most it may hold.
    pub fn open(self: &Arc<Self>, mailbox: &str) -> Option<ConnectionGuard> {
        let mut c = self.connections.lock().expect("hub lock");
        let n = c.entry(mailbox.to_string()).or_default();
        if *n >= MAX_STREAMING_CONNECTIONS {
            return None;
        }
        *n += 1;
        Some(ConnectionGuard {
            hub: self.clone(),
            mailbox: mailbox.to_string(),
        })
    }

    /// Reads the journal's growth and tells listeners which mailboxes changed, for as long as
    /// the store is open.
    pub async fn run(self: Arc<Self>, store: store::Store) {
        let mut told = store.subscribe_mail();
        let mut last = store.mailboxes().journal_head().await.unwrap_or(0);
        let mut next_sweep = tokio::time::Instant::now() + SWEEP;
        loop {
            if tokio::time::Instant::now() >= next_sweep {
                next_sweep += SWEEP;
                if let Err(e) = store.subscriptions().sweep().await {
                    tracing::debug!("sweeping lapsed subscriptions: {e}");
                }
            }
            tokio::select! {
                r = told.recv() => {
                    if let Err(broadcast::error::RecvError::Closed) = r { return }
                    // A burst of writes is read in one go.
                    tokio::time::sleep(HUB_COALESCE).await;
                    while told.try_recv().is_ok() {}
                }
                _ = tokio::time::sleep(HUB_POLL) => {}
            }
            loop {
                let rows = match store.mailboxes().journal_mailboxes_after(last, 1000).await {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::debug!("event hub: {e}");
                        break;
                    }
                };
                let full = rows.len() == 1000;
                let mut mailboxes: Vec<&str> = Vec::new();
                for (seq, mailbox) in &rows {
                    last = last.max(*seq);
                    if !mailboxes.contains(&mailbox.as_str()) {
                        mailboxes.push(mailbox);
                    }
                }
                for m in mailboxes {
                    let _ = self.changed.send(Arc::from(m));
                }
                if !full {
                    break;
                }
            }
        }
    }
}

/// One counted streaming connection; uncounted when dropped (the client went, or it ended).
pub struct ConnectionGuard {
    hub: Arc<EventHub>,
    mailbox: String,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut c = self.hub.connections.lock().expect("hub lock");
        if let Some(n) = c.get_mut(&self.mailbox) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.remove(&self.mailbox);
            }
        }
    }
}

/// A subscription id: a version byte and 16 random bytes, base64 as Exchange's are.
fn new_subscription_id() -> String {
    let mut bytes = vec![1u8];
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    STANDARD.encode(bytes)
}

fn is_subscription_id(id: &str) -> bool {
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

fn read_watermark(text: &str) -> Option<i64> {
    let b = STANDARD.decode(text.trim()).ok()?;
    if b.len() != 9 || b[0] != 1 {
        return None;
    }
    let n = i64::from_be_bytes(b[1..].try_into().ok()?);
    (n >= 0).then_some(n)
}

fn kind_of(t: EventType) -> Option<EventKind> {
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

fn event_type(k: EventKind) -> EventType {
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

fn refused(code: ResponseCode, text: &str) -> Refusal {
    (code, text.to_string())
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
