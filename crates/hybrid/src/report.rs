//! The trust report behind the on-premises web view (`/admin/ui`): the doctor's findings with
//! their fixes, the auth certificates and where each is uploaded, and the partner's work queue,
//! read as `hybrid doctor`, `hybrid auth-cert status` and `hybrid partner queue` read them,
//! with the credentials kept under the data folder. A part that cannot be read is named in
//! `errors`; the others are still shown.

use crate::error::CliError;
use crate::paths::{DataDir, read_credential};
use onprem::model::report::{JobSummary, QueueSummary, TrustReport};
use std::sync::Arc;

pub fn trust_report(data: &DataDir) -> TrustReport {
    let mut errors = Vec::new();
    let findings = part(&mut errors, "findings", crate::doctor::findings(data));
    let certificates = part(
        &mut errors,
        "certificates",
        crate::auth_cert::certificates(data),
    );
    let queue = part(&mut errors, "the partner's queue", partner_queue(data));
    TrustReport {
        findings,
        certificates,
        queue,
        errors,
    }
}

/// The part read, or its failure noted.
fn part<T>(errors: &mut Vec<String>, what: &str, r: Result<T, CliError>) -> Option<T> {
    r.map_err(|e| errors.push(format!("{what}: {e}"))).ok()
}

fn partner_queue(data: &DataDir) -> Result<QueueSummary, CliError> {
    let url = data.server_url("partner", None)?;
    let credential = read_credential(&data.role("partner").join("operator.credential"))?;
    let client = data.client("partner", &url, &credential);
    let q = client.wait(client.partner().queue())?;
    Ok(QueueSummary {
        pending: q.pending,
        leased: q.leased,
        dead: q.dead,
        jobs: q
            .jobs
            .into_iter()
            .map(|j| JobSummary {
                id: j.id,
                kind: j.kind,
                user: j.payload.user,
                state: j.state,
                attempts: j.attempts,
                last_error: j.last_error,
            })
            .collect(),
    })
}

/// The report as the on-premises server asks for it (off its request threads: the reads are
/// blocking HTTP calls, to itself among others).
pub fn hook(data: DataDir) -> onprem::ui::ReportHook {
    onprem::ui::ReportHook(Arc::new(move || {
        let data = data.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || trust_report(&data))
                .await
                .map_err(|e| e.to_string())
        })
    }))
}
