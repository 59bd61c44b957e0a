//! `hybrid test-oauth-connectivity`: Exchange's Test-OAuthConnectivity, run by the partner
//! service (where Skype for Business Online's calls start) against on-premises EWS.

use crate::error::CliError;
use crate::output::{Output, ps_bool};
use crate::paths::{DataDir, read_credential};
use clap::Args;
use serde_json::{Value, json};

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
    let node = client
        .post(
            "/admin/test-oauth-connectivity",
            &json!({
                "Service": args.service,
                "TargetUri": args.target_uri,
                "Mailbox": args.mailbox,
                "AppOnly": args.app_only,
                "UseCachedToken": args.use_cached_token,
            }),
        )?
        .unwrap_or(Value::Null);
    let s = |k: &str| node[k].as_str().unwrap_or("").to_string();
    let detail = s("Detail").replace('\n', "\n         ");
    out.record(
        &[
            ("Task", s("Task")),
            ("Detail", detail),
            ("ResultType", s("ResultType")),
            ("Identity", s("Identity")),
            ("IsValid", ps_bool(node["IsValid"] == true)),
            ("ObjectState", s("ObjectState")),
        ],
        &node,
    );
    if node["ResultType"] == "Success" {
        Ok(())
    } else {
        Err(CliError::Refused {
            code: crate::error::Code::OAuthConnectivityFailed,
            message: "the EWS call under OAuth did not succeed; Detail says where it stopped"
                .into(),
        })
    }
}
