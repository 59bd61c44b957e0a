//! The durable queue: work for on-premises mailboxes (archiving a conversation into
//! Recoverable Items\Purges, writing conversation history) is stored first, then done by a
//! worker that retries with backoff while on-premises is down, slow or throttling. Every item
//! written carries the work id, so a retried attempt finds what an earlier one wrote: nothing
//! is lost when either side restarts, and nothing is written twice.

use crate::PartnerError;
use crate::admin_types::{ConversationAccepted, NewConversation, QueueView, WorkPayload, WorkView};
use crate::ewsclient::{self, item_id, marker};
use crate::state::{AppState, PartnerState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ews::xml::escape;
use std::sync::Arc;

fn transcript(c: &NewConversation) -> String {
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
    let c: NewConversation = serde_json::from_slice(&body)
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
        let smtp = user.smtp.clone();
        let mut add = |kind: &str, class: &str, folder: &str| {
            work.push(store::NewJob {
                id: uuid::Uuid::new_v4().simple().to_string(),
                kind: kind.into(),
                payload: payload(&WorkPayload {
                    user: smtp.clone(),
                    folder: folder.into(),
                    item_class: class.into(),
                    subject: subject.clone(),
                    body: body_html.clone(),
                }),
            });
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
    a.state.store.queue().enqueue(&work).await?;
    let work_ids = work.into_iter().map(|j| j.id).collect();
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(ConversationAccepted { work_ids }),
    )
        .into_response())
}

/// A payload as the queue stores it (its JSON column).
fn payload(w: &WorkPayload) -> serde_json::Value {
    serde_json::to_value(w).expect("a work payload serializes")
}

/// A job as the API shows it: its payload but the transcript, and where it stands (`status`:
/// pending until it is done or given up, `failed` when dead-lettered).
pub fn job_view(j: &store::Job) -> WorkView {
    let payload = WorkPayload {
        body: String::new(),
        ..serde_json::from_value(j.payload.clone()).unwrap_or_default()
    };
    let status = match j.state {
        store::JobState::Done => "done",
        store::JobState::Dead => "failed",
        _ => "pending",
    };
    WorkView {
        id: j.id.clone(),
        kind: j.kind.clone(),
        payload,
        status: status.into(),
        state: j.state.name().into(),
        attempts: j.attempts,
        last_error: j.last_error.clone(),
        due_ms: j.due_ms,
        created_ms: j.created_ms,
        updated_ms: j.updated_ms,
    }
}

pub async fn get_work(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let j = a
        .state
        .store
        .queue()
        .get(&id)
        .await?
        .ok_or_else(|| PartnerError::NotFound(format!("work {id}")))?;
    Ok(axum::Json(job_view(&j)).into_response())
}

/// `GET /admin/queue`: the queue's counts and its pending, leased and dead-lettered jobs.
pub async fn list_queue(
    State(a): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let q = a.state.store.queue();
    let stats = q.stats().await?;
    let mut out = QueueView {
        pending: stats.pending,
        leased: stats.leased,
        dead: stats.dead,
        oldest_due_age_ms: stats.oldest_due_age_ms,
        jobs: Vec::new(),
    };
    for state in [
        store::JobState::Pending,
        store::JobState::Leased,
        store::JobState::Dead,
    ] {
        out.jobs
            .extend(q.list(state, 100).await?.iter().map(job_view));
    }
    Ok(axum::Json(out).into_response())
}

/// `POST /admin/queue/{id}/retry`: a dead-lettered job back in the queue.
pub async fn retry_job(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let q = a.state.store.queue();
    if !q.revive(&id).await? {
        return Err(match q.get(&id).await? {
            None => PartnerError::NotFound(format!("work {id}")),
            Some(j) => PartnerError::BadRequest(format!(
                "work {id} is {}, not dead-lettered",
                j.state.name()
            )),
        });
    }
    let j = q
        .get(&id)
        .await?
        .ok_or_else(|| PartnerError::NotFound(format!("work {id}")))?;
    Ok(axum::Json(job_view(&j)).into_response())
}

/// Does one piece of work; Ok when it is done.
async fn perform(state: &PartnerState, job: &store::Job) -> Result<(), PartnerError> {
    let w: WorkPayload = serde_json::from_value(job.payload.clone())
        .map_err(|e| PartnerError::Internal(format!("work {}: {e}", job.id)))?;
    let s = state.settings().await?;
    let user = state.user(&w.user).await?;
    let id = job.id.as_str();
    let folder = w.folder.as_str();
    // What an earlier attempt wrote, if anything. The first claim of a job is its first
    // attempt ever (claims count attempts), so nothing can have been written before it.
    let existing = if job.attempts > 1 {
        let found = state
            .ews_call(&s, &user, &ewsclient::find_marked(folder, id))
            .await?;
        ewsclient::items(&found).first().cloned()
    } else {
        None
    };
    let is_draft = existing.as_ref().and_then(|i| i.is_draft);
    let item_id_now = match existing.and_then(|i| i.item_id) {
        Some(item) => item.id,
        None => {
            let mut item = ews::Item::new("Message");
            item.item_class = Some(if w.item_class.is_empty() {
                "IPM.Note".into()
            } else {
                w.item_class.clone()
            });
            item.subject = Some(w.subject.clone());
            item.body = Some(ews::Body {
                body_type: "HTML".into(),
                text: w.body.clone(),
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
    if job.kind == "archive" && is_draft != Some(false) {
        state
            .ews_call(&s, &user, &ewsclient::finalize_in_purges(&item_id_now))
            .await?;
    }
    Ok(())
}

/// Jobs one process runs side by side (each is a few EWS calls, mostly waiting).
const WINDOW: usize = 64;
/// Attempts before a job is dead-lettered.
pub const MAX_ATTEMPTS: i64 = 25;
/// Done jobs are kept this long (for `GET /api/work/{id}`), then pruned.
const KEEP_DONE_MS: i64 = 7 * 86_400_000;

/// Drains the queue: claims due jobs (a lease each), does them, and finishes each as done,
/// retried later with backoff, or dead-lettered. Several processes may run this on one store.
pub async fn worker(state: Arc<PartnerState>) {
    let owner = format!("partner-{}", uuid::Uuid::new_v4().simple());
    let mut last_prune = 0i64;
    let mut running = tokio::task::JoinSet::new();
    let mut quiet_until = 0i64;
    loop {
        if state.store.is_closed() {
            return;
        }
        let now = store::now_ms();
        if now - last_prune > 600_000 {
            last_prune = now;
            if let Err(e) = state.store.queue().prune_done(now - KEEP_DONE_MS).await {
                tracing::debug!("pruning done work: {e}");
            }
        }
        // A rolling window: more jobs are claimed as soon as half of it is free, and outcomes
        // are saved as they come (together when several finish at once), so one slow job does
        // not hold the others' commits or the next claim.
        // An empty queue is asked again after a pause, not after every finished job.
        if running.len() <= WINDOW / 2 && now >= quiet_until {
            let wanted = (WINDOW - running.len()) as i64;
            match state
                .store
                .queue()
                .claim(&owner, wanted, state.work_lease_ms)
                .await
            {
                Ok(jobs) => {
                    if jobs.is_empty() {
                        quiet_until = now + 100;
                    }
                    for job in jobs {
                        let state = state.clone();
                        running.spawn(async move { run_one(&state, &job).await });
                    }
                }
                Err(e) => {
                    tracing::warn!("work queue unreadable: {e}");
                    if running.is_empty() {
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                        continue;
                    }
                }
            }
        }
        if running.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            quiet_until = 0;
            continue;
        }
        let mut outcomes = Vec::new();
        if let Some(Ok(o)) = running.join_next().await {
            outcomes.push(o);
        }
        while let Some(done) = running.try_join_next() {
            if let Ok(o) = done {
                outcomes.push(o);
            }
        }
        finish(&state, &owner, &outcomes).await;
    }
}

/// Saves the outcomes of finished jobs in one commit.
async fn finish(state: &PartnerState, owner: &str, outcomes: &[store::Outcome]) {
    if outcomes.is_empty() {
        return;
    }
    match state.store.queue().finish_all(owner, outcomes).await {
        Ok(held) => {
            for (o, held) in outcomes.iter().zip(held) {
                if !held {
                    tracing::warn!(work = %o.id, "the lease ran out before the work finished; another worker has it");
                }
            }
        }
        Err(e) => tracing::warn!("work state not saved: {e}"),
    }
}

/// Does one job; how it ended.
async fn run_one(state: &PartnerState, job: &store::Job) -> store::Outcome {
    use store::JobState;
    let started = std::time::Instant::now();
    let result = perform(state, job).await;
    let attempts = job.attempts;
    let (next, due, error) = match result {
        Ok(()) => {
            tracing::info!(work = %job.id, kind = %job.kind, attempts, "work done");
            (JobState::Done, 0, String::new())
        }
        Err(e)
            if (e.retryable() || matches!(e, PartnerError::NotConfigured(_)))
                && attempts < MAX_ATTEMPTS =>
        {
            let delay = (state.retry_base_ms << attempts.min(10)).min(60_000);
            tracing::info!(work = %job.id, attempts, delay_ms = delay, "work postponed: {e}");
            (JobState::Pending, store::now_ms() + delay, e.to_string())
        }
        Err(e) => {
            tracing::warn!(work = %job.id, attempts, "work dead-lettered: {e}");
            (JobState::Dead, 0, format!("{}: {e}", e.code()))
        }
    };
    let outcome = match next {
        JobState::Done => "done",
        JobState::Dead => "dead",
        _ => "retry",
    };
    state
        .metrics
        .attempt(&job.kind, outcome, started.elapsed().as_secs_f64());
    store::Outcome {
        id: job.id.clone(),
        state: next,
        due_ms: due,
        error,
    }
}

/// Work as the first release kept it: its payload with its kind and status beside.
#[derive(serde::Deserialize)]
struct DirectoryWork {
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(flatten)]
    payload: WorkPayload,
}

/// Moves work kept by the first release (as directory objects) into the queue: pending work
/// keeps its id and is done as before; finished work is dropped. Safe to run again.
pub async fn adopt_directory_work(store: &store::Store) -> Result<usize, PartnerError> {
    let dir = store.directory();
    let old = dir.list(crate::kinds::KIND_WORK, Some("")).await?;
    let pending: Vec<store::NewJob> = old
        .iter()
        .filter_map(|o| {
            Some((
                o,
                serde_json::from_value::<DirectoryWork>(o.data.clone()).ok()?,
            ))
        })
        .filter(|(_, w)| w.status == "pending")
        .map(|(o, w)| store::NewJob {
            id: o.name.clone(),
            kind: if w.kind.is_empty() {
                "archive".into()
            } else {
                w.kind
            },
            payload: payload(&w.payload),
        })
        .collect();
    store.queue().enqueue(&pending).await?;
    for o in &old {
        dir.delete(o).await?;
    }
    Ok(pending.len())
}
