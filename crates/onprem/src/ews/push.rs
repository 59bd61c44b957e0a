//! Push notifications: the server posts `m:SendNotification` to each push subscriber's URL.
//!
//! Each push subscription has one job on the store's work queue, always pending: due when its
//! mailbox changes (the event hub makes it due at once) or when a status notification is owed.
//! Whichever process claims it reads the events after the subscription's position, posts them,
//! and moves the position on only when the subscriber answered; a restart or a lost process
//! loses nothing. A failed post is retried after 30 seconds, then at doubling intervals, until
//! the subscription's status frequency has passed without a delivery: then it ends.
//!
//! The post is an outbound request the subscriber chose the target of: it goes only to
//! loopback or to the destinations the administrator allowed (`--ews-push-allow`), follows no
//! redirect, and reads at most 1 KiB of the answer.

use super::event_wire::{to_ews, watermark};
use crate::jobs::outcome;
use crate::state::OnPremState;
use ews::{Event, SubscriptionStatus};
use mailbox::{Delivery, Mailbox, Subscription};
use std::time::Duration;
use store::{Job, JobState, NewJob, Outcome};

/// The work-queue kind of a push subscription's delivery job, and its id's prefix.
pub const JOB_KIND: &str = "ews-push";
pub(crate) const JOB_PREFIX: &str = "ews-push:";
/// Events in one notification (Exchange sends at most 50).
const PUSH_BATCH: usize = 50;
/// Exchange's timeout for a push request.
const POST_TIMEOUT: Duration = Duration::from_secs(60);
/// What is read of a subscriber's answer.
const MAX_ANSWER: usize = 1024;
/// The first retry's delay.
const FIRST_RETRY_MS: i64 = 30_000;
/// How long past its due time a subscription is kept while its job waits to be claimed.
const LEASE_MS: i64 = 3 * 60_000;

/// A push delivery job's payload: the subscription it serves.
#[derive(Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct PushJob {
    subscription: String,
}

/// The job that delivers a new push subscription's notifications; the first is a status
/// notification 30 seconds from now unless events come sooner.
pub(crate) async fn enqueue(
    state: &OnPremState,
    subscription_id: &str,
) -> Result<(), store::StoreError> {
    let job = NewJob {
        id: format!("{JOB_PREFIX}{subscription_id}"),
        kind: JOB_KIND.into(),
        payload: serde_json::to_value(PushJob {
            subscription: subscription_id.to_string(),
        })
        .expect("a push job serializes"),
    };
    state.store.queue().enqueue(&[job]).await
}

/// Whether the server may post to `url`: loopback always, other hosts only when allowed.
pub(crate) fn destination_allowed(url: &str, allowed: &[String]) -> Result<(), String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("'{url}' is not a URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("'{url}' is not an http or https URL"));
    }
    let host = u
        .host_str()
        .unwrap_or("")
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let port = u.port_or_known_default().unwrap_or(0);
    let named = allowed.iter().any(|a| {
        let a = a.trim().to_ascii_lowercase();
        a == host || a == format!("{host}:{port}")
    });
    if loopback || named {
        Ok(())
    } else {
        Err(format!(
            "push notifications to {host} are not allowed on this server (allow it with --ews-push-allow {host})"
        ))
    }
}

/// The client push notifications are posted with: no redirects, Exchange's timeout.
pub(crate) fn client() -> Option<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(POST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .ok()
}

/// Runs one subscription's job: posts what is owed, and says when it is due again.
pub(crate) async fn deliver(state: &OnPremState, http: &reqwest::Client, job: &Job) -> Outcome {
    let now = store::now_ms();
    if job.kind != JOB_KIND {
        return outcome(job, JobState::Pending, now + 60_000, "not a push delivery");
    }
    let payload: PushJob = serde_json::from_value(job.payload.clone()).unwrap_or_default();
    let id = payload.subscription.as_str();
    let sub = match mailbox::subscriptions::subscription(&state.store, id).await {
        Ok(Some(s)) => s,
        Ok(None) => return outcome(job, JobState::Done, now, "the subscription ended"),
        Err(e) => return outcome(job, JobState::Pending, now + FIRST_RETRY_MS, &e.to_string()),
    };
    let Delivery::Push {
        url,
        status_frequency_minutes,
    } = &sub.spec.delivery
    else {
        return outcome(job, JobState::Done, now, "not a push subscription");
    };
    let frequency_ms = i64::from(*status_frequency_minutes) * 60_000;
    match post_owed(state, http, &sub, url, frequency_ms, now).await {
        Ok(due) => outcome(job, JobState::Pending, due, ""),
        Err(Ended(why)) => {
            tracing::info!(subscription = %sub.id, "push subscription ended: {why}");
            let _ = mailbox::subscriptions::unsubscribe(&state.store, &sub.id).await;
            outcome(job, JobState::Done, now, &why)
        }
    }
}

/// Why a push subscription ends.
struct Ended(String);

/// Posts the events after the position (or a status notification when one is owed); the time
/// the job is due again.
async fn post_owed(
    state: &OnPremState,
    http: &reqwest::Client,
    sub: &Subscription,
    url: &str,
    frequency_ms: i64,
    now: i64,
) -> Result<i64, Ended> {
    let mbox = Mailbox::open_cached(&state.store, &state.folder_trees, &sub.mailbox)
        .await
        .map_err(|e| Ended(format!("its mailbox cannot be read: {e}")))?;
    let page = mbox
        .events(&sub.spec.filter, sub.position, PUSH_BATCH)
        .await
        .map_err(|e| Ended(e.to_string()))?;
    let last = if sub.last_sent_ms > 0 {
        sub.last_sent_ms
    } else {
        sub.created_ms + FIRST_RETRY_MS - frequency_ms
    };
    let status_due = last + frequency_ms;
    if page.events.is_empty() && now < status_due && sub.failing_since_ms == 0 {
        return Ok(status_due);
    }
    destination_allowed(url, &state.config.push_destinations).map_err(Ended)?;
    let mut events: Vec<Event> = page.events.iter().map(to_ews).collect();
    if events.is_empty() {
        events.push(Event::status(watermark(page.position)));
    }
    let notification = ews::Notification {
        subscription_id: sub.id.clone(),
        previous_watermark: watermark(sub.position),
        more_events: page.more,
        events,
    };
    let answer = post(
        http,
        url,
        &ews::notification::send_notification_xml(&notification),
    )
    .await;
    let expires = |from: i64| from + 2 * frequency_ms + LEASE_MS;
    match answer {
        Ok(SubscriptionStatus::Unsubscribe) => {
            Err(Ended("the subscriber answered Unsubscribe".into()))
        }
        Ok(SubscriptionStatus::Ok) => {
            let mut moved = sub.clone();
            moved.position = page.position;
            mailbox::subscriptions::record_push(&state.store, &moved, expires(now), Some(now), 0)
                .await
                .map_err(|e| Ended(e.to_string()))?;
            Ok(if page.more { now } else { now + frequency_ms })
        }
        Err(why) => {
            let since = if sub.failing_since_ms > 0 {
                sub.failing_since_ms
            } else {
                now
            };
            if now - since > frequency_ms {
                return Err(Ended(format!(
                    "deliveries failed for longer than its status frequency: {why}"
                )));
            }
            tracing::debug!(subscription = %sub.id, "push delivery failed: {why}");
            mailbox::subscriptions::record_push(&state.store, sub, expires(now), None, since)
                .await
                .map_err(|e| Ended(e.to_string()))?;
            Ok(now + (now - since).max(FIRST_RETRY_MS))
        }
    }
}

/// Posts a notification; the subscriber's status, read from at most [`MAX_ANSWER`] bytes.
async fn post(http: &reqwest::Client, url: &str, body: &str) -> Result<SubscriptionStatus, String> {
    let mut r = http
        .post(url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("posting to the subscriber failed: {e}"))?;
    if !r.status().is_success() {
        return Err(format!("the subscriber answered HTTP {}", r.status()));
    }
    let mut answer = Vec::new();
    while answer.len() < MAX_ANSWER {
        match r.chunk().await {
            Ok(Some(c)) => answer.extend_from_slice(&c[..c.len().min(MAX_ANSWER - answer.len())]),
            Ok(None) => break,
            Err(e) => return Err(format!("reading the subscriber's answer failed: {e}")),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    ews::notification::parse_send_notification_result(&text)
        .ok_or_else(|| "the subscriber's answer is not a SendNotificationResult".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_and_allowed_hosts_are_posted_to() {
        let allowed = vec![
            "listener.contoso.com".to_string(),
            "hooks.contoso.com:8443".to_string(),
        ];
        for ok in [
            "http://127.0.0.1:9000/push",
            "http://localhost/push",
            "http://[::1]:80/x",
            "https://listener.contoso.com/ews",
            "https://hooks.contoso.com:8443/ews",
        ] {
            assert!(destination_allowed(ok, &allowed).is_ok(), "{ok}");
        }
        for refused in [
            "https://example.com/foo",
            "http://169.254.169.254/latest/meta-data",
            "https://hooks.contoso.com/ews",
            "file:///etc/passwd",
            "not a url",
            "http://listener.contoso.com.evil.example/ews",
        ] {
            assert!(destination_allowed(refused, &allowed).is_err(), "{refused}");
        }
    }
}
