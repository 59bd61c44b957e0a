//! Test-OAuthConnectivity's answer, Exchange's ValidationResultNode: on premises and the
//! partner each run the check (a token, then an EWS call under it) and answer this.

use serde::{Deserialize, Serialize};

/// The task the node names.
pub const TASK: &str = "Checking EWS API Call Under Oauth";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ValidationResult {
    pub task: String,
    /// The log, a line a step.
    pub detail: String,
    /// Success or Error.
    pub result_type: String,
    pub identity: String,
    pub is_valid: bool,
    pub object_state: String,
}

impl ValidationResult {
    /// The node for an EWS call under OAuth: its log, closed by the outcome's line.
    pub fn ews_call(mut log: Vec<String>, ok: bool) -> ValidationResult {
        let result = if ok { "Success" } else { "Error" };
        log.push(format!("{TASK} … {result}"));
        ValidationResult {
            task: TASK.into(),
            detail: log.join("\n"),
            result_type: result.into(),
            identity: "Microsoft.Exchange.Security.OAuth.ValidationResultNodeId".into(),
            is_valid: true,
            object_state: "New".into(),
        }
    }
}
