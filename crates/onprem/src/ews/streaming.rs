//! GetStreamingEvents: one chunked HTTP response that carries SOAP envelopes in turn — the
//! subscriptions' events as they happen, a keep-alive `ConnectionStatus` OK when nothing
//! happened for a while, and a last envelope with `Closed` when the connection's time is up
//! (or at once, for a subscription that is not there: a client told OK would wait in vain).

use super::context::{Caller, Context, xml_response};
use super::event_wire::{Refusal, internal, own_subscription, to_ews, watermark};
use crate::state::OnPremState;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use ews::{Payload, ResponseCode, ResponseMessage, StreamingEvents};
use mailbox::{Delivery, Mailbox, Subscription};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;

/// How often an idle connection hears that it is still open (Exchange's interval).
const KEEP_ALIVE: Duration = Duration::from_secs(45);
/// Events in one envelope (per subscription).
const STREAM_BATCH: usize = 100;
/// How long a streaming subscription lives after its last connection.
const IDLE_MS: i64 = 30 * 60_000;

fn envelope(message: ResponseMessage) -> Bytes {
    Bytes::from(ews::Response::new("GetStreamingEvents", vec![message]).to_streaming_xml())
}

fn status(
    notifications: Vec<ews::Notification>,
    closed: bool,
    refused: Option<(Refusal, Vec<String>)>,
) -> Bytes {
    let connection_status = Some(if closed { "Closed" } else { "OK" }.to_string());
    let (message, error_subscription_ids) = match refused {
        None => (ResponseMessage::success(Payload::None), vec![]),
        Some(((code, text), ids)) => (ResponseMessage::error(code, text), ids),
    };
    envelope(ResponseMessage {
        payload: Payload::StreamingEvents(StreamingEvents {
            notifications,
            error_subscription_ids,
            connection_status,
        }),
        ..message
    })
}

/// A whole answer of one envelope that closes the connection.
fn closed_now(refusal: Refusal, ids: Vec<String>) -> Response {
    let body = status(vec![], true, Some((refusal, ids)));
    xml_response(StatusCode::OK, String::from_utf8_lossy(&body).into_owned())
}

pub(crate) async fn respond(
    state: Arc<OnPremState>,
    caller: &Caller,
    g: &ews::GetStreamingEvents,
) -> Response {
    let mbox =
        match Mailbox::open_cached(&state.store, &state.folder_trees, &caller.mailbox.guid).await {
            Ok(m) => m,
            Err(e) => return closed_now(internal(e), vec![]),
        };
    if !(1..=30).contains(&g.connection_timeout) {
        let text = "ConnectionTimeout must be 1 to 30 minutes.".to_string();
        return closed_now((ResponseCode::ErrorInvalidRequest, text), vec![]);
    }
    let ctx = Context {
        state: &state,
        c: caller,
        mbox: mbox.clone(),
    };
    let mut subs = Vec::new();
    let mut failed: Option<Refusal> = None;
    let mut bad = Vec::new();
    for id in &g.subscription_ids {
        match own_subscription(&ctx, id).await {
            Ok(s) if s.spec.delivery == Delivery::Streaming => subs.push(s),
            Ok(_) => {
                let text = "The subscription is not a streaming subscription.".to_string();
                failed.get_or_insert((ResponseCode::ErrorInvalidSubscription, text));
                bad.push(id.clone());
            }
            Err(r) => {
                failed.get_or_insert(r);
                bad.push(id.clone());
            }
        }
    }
    if let Some(r) = failed {
        return closed_now(r, bad);
    }
    let Some(guard) = state.events.open(mbox.guid()) else {
        let text = format!(
            "This mailbox has {} open streaming connections, the most it may hold.",
            crate::event_hub::MAX_STREAMING_CONNECTIONS
        );
        return closed_now((ResponseCode::ErrorExceededConnectionCount, text), vec![]);
    };
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let changed = state.events.subscribe();
    let closing = state.events.closing();
    let minutes = u64::from(g.connection_timeout);
    tokio::spawn(async move {
        let _counted = guard;
        stream(&state, &mbox, subs, minutes, (changed, closing), tx).await;
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    let mut response = Response::new(Body::from_stream(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    response
}

/// Sends each subscription's new events as they come, keep-alives between, and the closing
/// envelope; stops early when the client goes.
async fn stream(
    state: &OnPremState,
    mbox: &Mailbox,
    mut subs: Vec<Subscription>,
    minutes: u64,
    (mut changed, mut closing): (broadcast::Receiver<Arc<str>>, watch::Receiver<bool>),
    tx: mpsc::Sender<Bytes>,
) {
    let deadline = Instant::now() + Duration::from_secs(minutes * 60);
    let mut keep_alive = Instant::now() + KEEP_ALIVE;
    loop {
        let (notifications, more) = collect(state, mbox, &mut subs).await;
        if !notifications.is_empty() {
            if tx.send(status(notifications, false, None)).await.is_err() {
                return;
            }
            keep_alive = Instant::now() + KEEP_ALIVE;
            if more {
                continue;
            }
        }
        loop {
            tokio::select! {
                r = changed.recv() => match r {
                    Ok(m) if &*m != mbox.guid() => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                    _ => break,
                },
                _ = tokio::time::sleep_until(keep_alive) => {
                    if let Some(gone) = lapsed(state, &subs).await {
                        let refusal = (ResponseCode::ErrorSubscriptionNotFound, "The specified subscription was not found.".to_string());
                        let _ = tx.send(status(vec![], true, Some((refusal, gone)))).await;
                        return;
                    }
                    if tx.send(status(vec![], false, None)).await.is_err() {
                        return;
                    }
                    keep_alive = Instant::now() + KEEP_ALIVE;
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let _ = tx.send(status(vec![], true, None)).await;
                    return;
                }
                _ = stopping(&mut closing) => {
                    let _ = tx.send(status(vec![], true, None)).await;
                    return;
                }
                _ = tx.closed() => return,
            }
        }
    }
}

/// Completes when the server stops.
async fn stopping(rx: &mut watch::Receiver<bool>) {
    loop {
        let stopped = *rx.borrow_and_update();
        if stopped {
            return;
        }
        if rx.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

/// Each subscription's events since its position, the positions moved on and stored.
async fn collect(
    state: &OnPremState,
    mbox: &Mailbox,
    subs: &mut [Subscription],
) -> (Vec<ews::Notification>, bool) {
    let mut out = Vec::new();
    let mut more = false;
    for sub in subs {
        let page = match mbox
            .events(&sub.spec.filter, sub.position, STREAM_BATCH)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("streaming events: {e}");
                continue;
            }
        };
        more |= page.more;
        if !page.events.is_empty() {
            out.push(ews::Notification {
                subscription_id: sub.id.clone(),
                previous_watermark: watermark(sub.position),
                more_events: page.more,
                events: page.events.iter().map(to_ews).collect(),
            });
        }
        if page.position != sub.position {
            sub.position = page.position;
            let expires = store::now_ms() + IDLE_MS;
            if let Err(e) =
                mailbox::subscriptions::renew(&state.store, &sub.id, sub.position, expires).await
            {
                tracing::warn!("streaming events: {e}");
            }
        }
    }
    (out, more)
}

/// The subscriptions ended meanwhile (by Unsubscribe anywhere); the others' lives extended.
async fn lapsed(state: &OnPremState, subs: &[Subscription]) -> Option<Vec<String>> {
    let mut gone = Vec::new();
    for sub in subs {
        match mailbox::subscriptions::subscription(&state.store, &sub.id).await {
            Ok(Some(_)) => {
                let expires = store::now_ms() + IDLE_MS;
                let _ = mailbox::subscriptions::renew(&state.store, &sub.id, sub.position, expires)
                    .await;
            }
            Ok(None) => gone.push(sub.id.clone()),
            Err(e) => tracing::warn!("streaming events: {e}"),
        }
    }
    (!gone.is_empty()).then_some(gone)
}
