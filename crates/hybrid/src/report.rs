//! The trust report behind the on-premises web view (`/admin/ui`): the doctor's findings with
//! their fixes, the auth certificates and where each is uploaded, and the partner's work queue,
//! read as `hybrid doctor`, `hybrid auth-cert status` and `hybrid partner queue` read them,
//! with the credentials kept under the data folder. A part that cannot be read is named in
//! `errors`; the others are still shown.

use crate::paths::{DataDir, read_credential};
use serde_json::{Value, json};
use std::sync::Arc;

pub fn trust_report(data: &DataDir) -> Value {
    let mut errors = Vec::new();
    let mut part = |what: &str, r: Result<Value, crate::error::CliError>| {
        r.unwrap_or_else(|e| {
            errors.push(format!("{what}: {e}"));
            Value::Null
        })
    };
    let findings = part("findings", crate::doctor::report_json(data));
    let certificates = part("certificates", crate::auth_cert::certificates_json(data));
    let queue = part("the partner's queue", partner_queue(data));
    json!({ "findings": findings, "certificates": certificates, "queue": queue, "errors": errors })
}

fn partner_queue(data: &DataDir) -> Result<Value, crate::error::CliError> {
    let url = data.server_url("partner", None)?;
    let credential = read_credential(&data.role("partner").join("operator.credential"))?;
    data.client("partner", &url, &credential)
        .get("/admin/queue", &[])
}

/// The report as the on-premises server asks for it (off its request threads: the reads are
/// blocking HTTP calls, to itself among others).
pub fn hook(data: DataDir) -> onprem::ui::TrustReport {
    onprem::ui::TrustReport(Arc::new(move || {
        let data = data.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || trust_report(&data))
                .await
                .map_err(|e| e.to_string())
        })
    }))
}
