//! The on-premises role's work queue: mail deliveries (the transport) and EWS push
//! notifications, each a job on the store's queue that any process may run. One loop per
//! process claims due jobs; it wakes when this process queues work, when a mailbox with push
//! subscribers changes, and every second for what other processes queued.

use crate::ews::push;
use crate::jobs::outcome;
use crate::state::OnPremState;
use std::sync::Arc;
use std::time::Duration;
use store::JobState;

/// How long a claimed job is this process's (a push post may take a minute).
const LEASE_MS: i64 = 3 * 60_000;
/// How long the list of mailboxes with push subscribers is trusted.
const PUSHED_TTL: Duration = Duration::from_secs(2);
/// Which mailboxes have push subscribers, read again every few seconds (and at once when this
/// process made a subscription): a change of any other mailbox costs no query.
struct PushWatch {
    mailboxes: Vec<String>,
    refresh_at: tokio::time::Instant,
}

impl PushWatch {
    async fn refresh(&mut self, state: &OnPremState) {
        if tokio::time::Instant::now() < self.refresh_at {
            return;
        }
        let subs = state.store.subscriptions();
        let now = subs.push_mailboxes().await.unwrap_or_default();
        // A mailbox whose push subscription is new here may have changed meanwhile.
        for m in now.iter().filter(|m| !self.mailboxes.contains(m)) {
            let _ = subs.wake_push(m, push::JOB_PREFIX).await;
        }
        self.mailboxes = now;
        self.refresh_at = tokio::time::Instant::now() + PUSHED_TTL;
    }
}

/// Claims and runs due jobs, for as long as the server runs.
pub(crate) async fn run(state: Arc<OnPremState>) {
    let owner = format!("onprem-work-{}", uuid::Uuid::new_v4());
    let mut changed = state.events.subscribe();
    let Some(http) = push::client() else {
        return tracing::warn!("the work queue is off: no HTTP client");
    };
    let mut watch = PushWatch {
        mailboxes: Vec::new(),
        refresh_at: tokio::time::Instant::now(),
    };
    loop {
        watch.refresh(&state).await;
        tokio::select! {
            r = changed.recv() => match r {
                Ok(mailbox) if watch.mailboxes.iter().any(|m| **m == *mailbox) => {
                    if let Err(e) = state.store.subscriptions().wake_push(&mailbox, push::JOB_PREFIX).await {
                        tracing::debug!("waking push jobs: {e}");
                    }
                }
                Ok(_) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                Err(_) => {}
            },
            // This process queued work, or made a push subscription.
            _ = state.work.notified() => watch.refresh_at = tokio::time::Instant::now(),
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        drain(&state, &owner, &http).await;
    }
}

/// Runs everything due now, not one batch: a queue that filled while this process was busy
/// drains at once.
async fn drain(state: &OnPremState, owner: &str, http: &reqwest::Client) {
    let kinds = [push::JOB_KIND, mailbox::transport::DELIVERY_JOB];
    loop {
        let jobs = match state
            .store
            .queue()
            .claim_of(owner, &kinds, 16, LEASE_MS)
            .await
        {
            Ok(j) if !j.is_empty() => j,
            Ok(_) => return,
            Err(e) => return tracing::debug!("claiming work: {e}"),
        };
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            let o = match job.kind.as_str() {
                push::JOB_KIND => push::deliver(state, http, &job).await,
                mailbox::transport::DELIVERY_JOB => crate::transport::deliver(state, &job).await,
                _ => outcome(
                    &job,
                    JobState::Pending,
                    store::now_ms() + 60_000,
                    "not this role's work",
                ),
            };
            let name = match o.state {
                JobState::Done => "done",
                JobState::Dead => "dead",
                _ if o.error.is_empty() => "done",
                _ => "retry",
            };
            state.metrics.work_job(&job.kind, name);
            outcomes.push(o);
        }
        if let Err(e) = state.store.queue().finish_all(owner, &outcomes).await {
            return tracing::warn!("finishing work: {e}");
        }
    }
}
