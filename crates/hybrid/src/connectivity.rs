//! `hybrid test-oauth-connectivity`: Exchange's Test-OAuthConnectivity, run by the partner
//! service (where Skype for Business Online's calls start) against on-premises EWS.

use crate::error::CliError;
use crate::output::{Output, ps_bool};
use crate::paths::{DataDir, read_credential};
use clap::Args;
use partner::connectivity::ConnectivityTest;
use reqwest::Method;
use s2s::connectivity::ValidationResult;

#[derive(Args)]
pub struct TestOAuthConnectivityArgs {
    /// The service to test; EWS (GetFolder of the mailbox's inbox under OAuth).
    #[arg(long, default_value = "EWS")]
    service: String,
    /// The on-premises server: its EWS URL, or any URL on its host (e.g. the metadata URL).
    /// Default: the EWS URL the partner is configured with.
    #[arg(long)]
    target_uri: Option<String>,
    /// The mailbox to act as (SMTP address).
    #[arg(long)]
    mailbox: String,
    /// Send the actor token alone (app-only), impersonating the mailbox.
    #[arg(long)]
    app_only: bool,
    /// Use the partner's cached actor token instead of requesting a new one.
    #[arg(long)]
    use_cached_token: bool,
}

pub fn run(args: TestOAuthConnectivityArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
    let url = data.server_url("partner", None)?;
    let credential = read_credential(&data.role("partner").join("operator.credential"))?;
    let client = data.client("partner", &url, &credential);
    let test = ConnectivityTest {
        service: args.service,
        target_uri: args.target_uri,
        mailbox: Some(args.mailbox),
        app_only: args.app_only,
        use_cached_token: args.use_cached_token,
    };
    let node: ValidationResult =
        client.send(Method::POST, "/admin/test-oauth-connectivity", &test)?;
    let detail = node.detail.replace('\n', "\n         ");
    out.record(
        &[
            ("Task", node.task.clone()),
            ("Detail", detail),
            ("ResultType", node.result_type.clone()),
            ("Identity", node.identity.clone()),
            ("IsValid", ps_bool(node.is_valid)),
            ("ObjectState", node.object_state.clone()),
        ],
        &node,
    );
    if node.result_type == "Success" {
        Ok(())
    } else {
        Err(CliError::Refused {
            code: crate::error::Code::OAuthConnectivityFailed,
            message: "the EWS call under OAuth did not succeed; Detail says where it stopped"
                .into(),
        })
    }
}
