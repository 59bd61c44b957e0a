//! The transport's job: a queued message delivered to its recipients' mailboxes, and what their
//! rules send on (within the organization; a loop ends after a few hops).

use crate::jobs::{outcome, retry_at};
use crate::state::OnPremState;
use mailbox::transport::{MAX_HOPS, Outgoing};
use store::{Job, JobState, Outcome};

pub(crate) async fn deliver(state: &OnPremState, job: &Job) -> Outcome {
    let now = store::now_ms();
    let out: Outgoing = match serde_json::from_value(job.payload.clone()) {
        Ok(o) => o,
        Err(e) => {
            return outcome(
                job,
                JobState::Dead,
                now,
                &format!("not a queued message: {e}"),
            );
        }
    };
    let failed = |e: String| match retry_at(job) {
        Some(at) => outcome(job, JobState::Pending, at, &e),
        None => outcome(job, JobState::Dead, now, &e),
    };
    if let Err(e) = mailbox::transport::deliver(&state.store, &out).await {
        return failed(e.to_string());
    }
    let mut onward = Vec::new();
    for f in &out.forwards {
        if out.hops >= MAX_HOPS {
            tracing::info!(from = %f.from.address, "a rule's forwarding stopped: the message was sent on {MAX_HOPS} times");
            continue;
        }
        let recipients = match recipients(state, &f.to).await {
            Ok(r) => r,
            Err(e) => return failed(e.to_string()),
        };
        if recipients.is_empty() {
            continue;
        }
        match mailbox::transport::forwarded(f, &recipients, out.hops + 1) {
            Ok(next) if !next.is_empty() => onward.push(next.job()),
            Ok(_) => {}
            Err(e) => tracing::warn!(from = %f.from.address, "a rule's forwarding failed: {e}"),
        }
    }
    // Forwarded messages are queued before this job ends: a crash in between delivers them
    // again on the retry, which stores nothing twice.
    if !onward.is_empty() {
        if let Err(e) = state.store.queue().enqueue(&onward).await {
            return failed(e.to_string());
        }
        state.work.notify_one();
    }
    outcome(job, JobState::Done, now, "")
}

/// The organization's mailboxes among `addresses`; others are left out (mail does not leave
/// the organization).
async fn recipients(
    state: &OnPremState,
    addresses: &[String],
) -> Result<Vec<mailbox::Recipient>, mailbox::MailboxError> {
    let trust = state.trust();
    let mut out: Vec<mailbox::Recipient> = Vec::new();
    for a in addresses {
        let Some(user) = trust.user_by_address(a).filter(|u| u.has_mailbox()) else {
            tracing::info!(
                "a rule forwards to {a}, outside the organization's mailboxes: not sent"
            );
            continue;
        };
        if out.iter().any(|r| r.mailbox.guid() == user.guid) {
            continue;
        }
        let mailbox =
            mailbox::Mailbox::open_cached(&state.store, &state.folder_trees, &user.guid).await?;
        out.push(mailbox::Recipient {
            mailbox,
            name: user.display_name.clone(),
            address: user.primary_smtp.clone(),
        });
    }
    Ok(out)
}
