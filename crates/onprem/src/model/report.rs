//! The trust report the operator's web view (`/admin/ui`) draws: the doctor's findings with
//! their fixes, the auth certificates and where each is uploaded, and the partner's queue.
//! Whoever starts the server with a data folder (the command line) fills it in.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TrustReport {
    pub findings: Option<Findings>,
    pub certificates: Option<Vec<CertificateUse>>,
    pub queue: Option<QueueSummary>,
    /// The parts that could not be read, and why.
    pub errors: Vec<String>,
}

impl TrustReport {
    /// A report of nothing but why.
    pub fn failed(why: String) -> TrustReport {
        TrustReport {
            errors: vec![why],
            ..Default::default()
        }
    }
}

/// The doctor's verdict: overall, then each check.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Findings {
    /// OK, Warning or Error.
    pub status: String,
    pub errors: usize,
    pub warnings: usize,
    pub checks: Vec<CheckFindings>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckFindings {
    pub name: String,
    pub findings: Vec<FindingLine>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FindingLine {
    pub code: String,
    /// Error or Warning.
    pub severity: String,
    pub message: String,
    /// Commands that fix it, in order.
    pub fix: Vec<String>,
}

/// One of AuthConfig's certificates: its dates and the principals that trust it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CertificateUse {
    /// Current, Next or Previous.
    pub role: String,
    pub thumbprint: String,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    pub days_left: Option<i64>,
    pub uploaded_to: Vec<String>,
    /// The next certificate's effective date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_date: Option<String>,
}

/// The partner's work queue: counts and the jobs not done.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueSummary {
    pub pending: i64,
    pub leased: i64,
    pub dead: i64,
    pub jobs: Vec<JobSummary>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobSummary {
    pub id: String,
    pub kind: String,
    pub user: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: String,
}
