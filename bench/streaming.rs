//! Commit-to-stream latency of a NewMail event, with 1, 100, 1,000 open streaming subscriptions.
//!
//! Makes a mailbox per subscription (u0, u1, ...), subscribes each one's Inbox to NewMail and
//! holds a GetStreamingEvents connection open for each. Then, sample after sample, alice sends a
//! message to one of them (CreateItem SendOnly, answered once the delivery is committed) and the
//! time from the request's start to the envelope carrying the NewMailEvent on that mailbox's
//! stream is taken. Prints p50 and p99 per count, p99 against the first count's, and the
//! server's resident memory with the streams open (per stream, over the memory before any).

use crate::{Session, envelope, message, post, rss_mib};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

fn subscribe_inbox() -> String {
    envelope(ews::Operation::Subscribe(ews::Subscribe {
        request: ews::SubscriptionRequest::Streaming,
        all_folders: false,
        folder_ids: vec![ews::FolderRef::distinguished("inbox")],
        event_types: vec![ews::EventType::NewMail],
    }))
}

fn get_streaming_events(id: &str) -> String {
    envelope(ews::Operation::GetStreamingEvents(
        ews::GetStreamingEvents {
            subscription_ids: vec![id.to_string()],
            connection_timeout: 30,
        },
    ))
}

fn text_element(name: &str, text: &str) -> ews::Element {
    let mut e = ews::Element::new(ews::NS_TYPES, name);
    e.children.push(ews::Node::Text(text.into()));
    e
}

/// CreateItem SendOnly of a message to `to`.
fn send_to(to: &str) -> String {
    let mut mailbox = ews::Element::new(ews::NS_TYPES, "Mailbox");
    mailbox
        .children
        .push(ews::Node::Element(text_element("EmailAddress", to)));
    let mut recipients = ews::Element::new(ews::NS_TYPES, "ToRecipients");
    recipients.children.push(ews::Node::Element(mailbox));
    let mut m = message("IPM.Note", "latency probe");
    m.other.push(recipients);
    envelope(ews::Operation::CreateItem(ews::CreateItem {
        message_disposition: Some("SendOnly".into()),
        send_meeting_invitations: None,
        saved_item_folder_id: None,
        items: vec![m],
    }))
}

async fn call(http: &reqwest::Client, ews: &str, token: &str, body: String) -> ews::Response {
    let text = http
        .post(ews)
        .header("content-type", "text/xml; charset=utf-8")
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .expect("request")
        .text()
        .await
        .unwrap();
    let r = ews::Response::parse(&text).unwrap_or_else(|_| panic!("{text}"));
    assert!(r.messages.iter().all(|m| !m.is_error()), "{text}");
    r
}

/// Makes mailbox `u{i}`, subscribes its Inbox and opens its stream; the stream's NewMail
/// arrivals come on the channel.
async fn open_stream(
    http: &reqwest::Client,
    ews: &str,
    session: &Session,
    i: usize,
) -> mpsc::UnboundedReceiver<Instant> {
    post(
        http,
        &session.cmdlet_url,
        &session.org_admin,
        json!({"Cmdlet": "New-Mailbox", "Parameters": {"Name": format!("User {i}"), "Alias": format!("u{i}")}}),
    )
    .await;
    let token = session.token(&format!("u{i}@contoso.com"));
    let r = call(http, ews, &token, subscribe_inbox()).await;
    let ews::Payload::Subscribed {
        subscription_id, ..
    } = &r.messages[0].payload
    else {
        panic!("no subscription id")
    };
    let mut resp = http
        .post(ews)
        .header("content-type", "text/xml; charset=utf-8")
        .bearer_auth(&token)
        .body(get_streaming_events(subscription_id))
        .send()
        .await
        .expect("stream");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("</Envelope>") {
                let document: String = buffer.drain(..end + "</Envelope>".len()).collect();
                if document.contains("NewMailEvent>") && tx.send(Instant::now()).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub async fn report(
    http: &reqwest::Client,
    ews: &str,
    session: &Session,
    pid: u32,
    counts: &[usize],
    samples: usize,
) {
    let alice = session.token("alice@contoso.com");
    let before = rss_mib(pid);
    let mut streams: Vec<mpsc::UnboundedReceiver<Instant>> = Vec::new();
    let mut first_p99: Option<f64> = None;
    println!(
        "NewMail commit-to-stream latency: alice sends to one of N mailboxes, each with a streaming subscription and an open GetStreamingEvents; SQLite store, {samples} samples per N"
    );
    println!(
        "{:<10} {:>10} {:>10} {:>14} {:>14} {:>16}",
        "streams", "p50 ms", "p99 ms", "p99 vs first", "resident MiB", "KiB per stream"
    );
    for &n in counts {
        while streams.len() < n {
            let i = streams.len();
            streams.push(open_stream(http, ews, session, i).await);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let resident = rss_mib(pid);
        let mut latencies = Vec::with_capacity(samples);
        for k in 0..samples {
            let i = (k * 7919) % n;
            while streams[i].try_recv().is_ok() {}
            let started = Instant::now();
            call(http, ews, &alice, send_to(&format!("u{i}@contoso.com"))).await;
            let arrived = tokio::time::timeout(Duration::from_secs(10), streams[i].recv())
                .await
                .expect("NewMail within 10 s")
                .expect("the stream is open");
            latencies.push((arrived - started).as_secs_f64() * 1000.0);
        }
        latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
        let base = *first_p99.get_or_insert(p99);
        println!(
            "{:<10} {:>10.1} {:>10.1} {:>14.2} {:>14.1} {:>16.1}",
            n,
            p50,
            p99,
            p99 / base,
            resident,
            (resident - before).max(0.0) * 1024.0 / n as f64
        );
    }
}
