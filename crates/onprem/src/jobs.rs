//! What becomes of a job the work loop ran: its outcome, and when a failed one is tried
//! again.

use store::{Job, JobState, Outcome};

/// Deliveries are retried this many times before the job is left dead for an operator.
const MAX_ATTEMPTS: i64 = 10;

pub(crate) fn outcome(job: &Job, state: JobState, due_ms: i64, error: &str) -> Outcome {
    Outcome {
        id: job.id.clone(),
        state,
        due_ms,
        error: error.into(),
    }
}

/// When a failed job is tried again (doubling from a second, at most five minutes), or None
/// when it has been tried enough.
pub(crate) fn retry_at(job: &Job) -> Option<i64> {
    (job.attempts < MAX_ATTEMPTS)
        .then(|| store::now_ms() + (1000i64 << job.attempts.clamp(0, 9)).min(300_000))
}
