//! The durable queue: work for on-premises mailboxes (archiving a conversation into
//! Recoverable Items\Purges, writing conversation history) is stored first, then done by a
//! worker that retries with backoff while on-premises is down, slow or throttling. Every item
//! written carries the work id, so a retried attempt finds what an earlier one wrote: nothing
//! is lost when either side restarts, and nothing is written twice.

use crate::PartnerError;
use crate::ewsclient::{self, item_id, marker};
use crate::server::{AppState, KIND_WORK, PartnerState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ews::xml::escape;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use store::NewObject;

#[derive(Deserialize)]
struct Message {
    from: String,
    #[serde(default)]
    at: Option<String>,
    text: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Conversation {
    participants: Vec<String>,
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    subject: Option<String>,
    /// A missed conversation (nobody answered): conversation history only.
    #[serde(default)]
    missed: bool,
    /// Held on a mobile client: its history is written to the mailbox.
    #[serde(default)]
    mobile: bool,
}

fn transcript(c: &Conversation) -> String {
    let mut html = String::from("<html><body><table>");
    for m in &c.messages {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(m.at.as_deref().unwrap_or("")),
            escape(&m.from),
            escape(&m.text)
        ));
    }
    html.push_str("</table></body></html>");
    html
}

pub async fn new_conversation(
    State(a): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let c: Conversation = serde_json::from_slice(&body)
        .map_err(|e| PartnerError::BadRequest(format!("the request body is not valid: {e}")))?;
    if c.participants.is_empty() {
        return Err(PartnerError::BadRequest(
            "a conversation has participants".into(),
        ));
    }
    let subject = c
        .subject
        .clone()
        .unwrap_or_else(|| format!("Conversation with {}", c.participants.join(", ")));
    let body_html = transcript(&c);
    let mut work = Vec::new();
    for p in &c.participants {
        let user = a.state.user(p).await?;
        let smtp = user["smtp"].as_str().unwrap_or_default().to_string();
        let mut add = |kind: &str, class: &str, folder: &str| {
            let id = uuid::Uuid::new_v4().simple().to_string();
            work.push(NewObject::new(
                KIND_WORK,
                "",
                &id,
                json!({
                    "id": id, "kind": kind, "user": smtp, "folder": folder, "itemClass": class, "subject": subject,
                    "body": body_html, "status": "pending", "attempts": 0, "nextAttemptMs": 0, "lastError": "",
                    "createdMs": store::now_ms(),
                }),
            ));
        };
        if c.missed {
            add(
                "history",
                "IPM.Note.Microsoft.Missed",
                "conversationhistory",
            );
            continue;
        }
        add(
            "archive",
            "IPM.Note.Microsoft.Conversation",
            "recoverableitemspurges",
        );
        if c.mobile {
            add(
                "history",
                "IPM.Note.Microsoft.Conversation",
                "conversationhistory",
            );
        }
    }
    let created = a.state.store.directory().create_all(work).await?;
    let ids: Vec<&str> = created.iter().map(|o| o.name.as_str()).collect();
    Ok((StatusCode::ACCEPTED, axum::Json(json!({ "workIds": ids }))).into_response())
}

pub async fn get_work(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let w = a
        .state
        .store
        .directory()
        .find(KIND_WORK, "", &id)
        .await?
        .ok_or_else(|| PartnerError::NotFound(format!("work {id}")))?;
    let mut v = w.data;
    if let Some(m) = v.as_object_mut() {
        m.remove("body");
    }
    Ok(axum::Json(v).into_response())
}

/// Does one piece of work; Ok when it is done.
async fn perform(state: &PartnerState, w: &Value) -> Result<(), PartnerError> {
    let s = state.settings().await?;
    let user = state.user(w["user"].as_str().unwrap_or_default()).await?;
    let id = w["id"].as_str().unwrap_or_default();
    let folder = w["folder"].as_str().unwrap_or_default();
    // What an earlier attempt wrote, if anything.
    let found = state
        .ews_call(&s, &user, &ewsclient::find_marked(folder, id))
        .await?;
    let existing = ewsclient::items(&found).first().cloned();
    let is_draft = existing.as_ref().and_then(|i| i.is_draft);
    let item_id_now = match existing.and_then(|i| i.item_id) {
        Some(item) => item.id,
        None => {
            let mut item = ews::Item::new("Message");
            item.item_class = Some(w["itemClass"].as_str().unwrap_or("IPM.Note").into());
            item.subject = Some(w["subject"].as_str().unwrap_or("").into());
            item.body = Some(ews::Body {
                body_type: "HTML".into(),
                text: w["body"].as_str().unwrap_or("").into(),
            });
            item.is_read = Some(true);
            item.extended.push(marker(id));
            let created = state
                .ews_call(&s, &user, &ewsclient::create_item(folder, item))
                .await?;
            item_id(&created)
                .map(|i| i.id)
                .ok_or_else(|| PartnerError::Internal("CreateItem returned no ItemId".into()))?
        }
    };
    if w["kind"] == "archive" && is_draft != Some(false) {
        state
            .ews_call(&s, &user, &ewsclient::finalize_in_purges(&item_id_now))
            .await?;
    }
    Ok(())
}

/// Drains the queue forever.
pub async fn worker(state: Arc<PartnerState>) {
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let pending = match state.store.directory().list(KIND_WORK, Some("")).await {
            Ok(all) => all,
            Err(e) => {
                tracing::warn!("work queue unreadable: {e}");
                continue;
            }
        };
        let now = store::now_ms();
        for obj in pending.into_iter().filter(|o| {
            o.data["status"] == "pending" && o.data["nextAttemptMs"].as_i64().unwrap_or(0) <= now
        }) {
            let result = perform(&state, &obj.data).await;
            let mut v = obj.data.clone();
            let attempts = v["attempts"].as_i64().unwrap_or(0) + 1;
            v["attempts"] = json!(attempts);
            match result {
                Ok(()) => {
                    v["status"] = json!("done");
                    v["doneMs"] = json!(store::now_ms());
                    tracing::info!(work = %obj.name, kind = %v["kind"], user = %v["user"], attempts, "work done");
                }
                Err(e) if e.retryable() || matches!(e, PartnerError::NotConfigured(_)) => {
                    let delay = (state.retry_base_ms << attempts.min(10)).min(60_000);
                    v["nextAttemptMs"] = json!(store::now_ms() + delay);
                    v["lastError"] = json!(e.to_string());
                    tracing::info!(work = %obj.name, attempts, delay_ms = delay, "work postponed: {e}");
                }
                Err(e) => {
                    v["status"] = json!("failed");
                    v["lastError"] = json!(format!("{}: {e}", e.code()));
                    tracing::warn!(work = %obj.name, "work failed: {e}");
                }
            }
            if let Err(e) = state.store.directory().update(&obj, &obj.name, v).await {
                tracing::warn!(work = %obj.name, "work state not saved: {e}");
            }
        }
    }
}
