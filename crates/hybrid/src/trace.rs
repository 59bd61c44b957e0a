//! `hybrid trace`: the handshake events of the on-premises server (or, with `--role partner`, of
//! the partner service), each S2S decision with its token kind, issuer, audience, nameid, user,
//! outcome, error and latency (token digests, never tokens); `--follow` keeps printing new ones
//! as they happen.

use crate::client::AdminClient;
use crate::error::CliError;
use crate::output::Output;
use crate::paths::{DataDir, read_credential};
use clap::Args;
use store::{HandshakeEvent, HandshakePage};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Args)]
pub struct TraceArgs {
    /// Keep waiting for new events (Ctrl-C to stop).
    #[arg(long)]
    follow: bool,
    /// Only events after this sequence number.
    #[arg(long, default_value_t = 0)]
    after: i64,
    /// Only rejected (and challenged) requests.
    #[arg(long)]
    failures: bool,
    /// Whose decisions: onprem (EWS and Autodiscover inbound, presence outbound) or partner
    /// (presence requests from on-premises).
    #[arg(long, default_value = "onprem", value_parser = ["onprem", "partner"])]
    role: String,
}

const PAGE: usize = 1000;
const POLL: std::time::Duration = std::time::Duration::from_millis(500);

pub fn run(args: TraceArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
    let url = data.server_url(&args.role, None)?;
    let file = if args.role == "partner" {
        "operator.credential"
    } else {
        "admin.credential"
    };
    let credential = read_credential(&data.role(&args.role).join(file))?;
    let client = data.client(&args.role, &url, &credential);
    let mut after = args.after;
    loop {
        let events = page(&client, after)?;
        for e in &events {
            after = after.max(e.seq);
            if args.failures && e.outcome == "accepted" {
                continue;
            }
            print_event(e, out);
        }
        if events.len() < PAGE {
            if !args.follow {
                return Ok(());
            }
            std::thread::sleep(POLL);
        }
    }
}

fn page(client: &AdminClient, after: i64) -> Result<Vec<HandshakeEvent>, CliError> {
    let after = after.to_string();
    let limit = PAGE.to_string();
    let page: HandshakePage =
        client.fetch("/admin/handshakes", &[("after", &after), ("limit", &limit)])?;
    Ok(page.events)
}

fn print_event(e: &HandshakeEvent, out: &Output) {
    if out.json {
        println!("{}", serde_json::to_string(e).unwrap_or_default());
        return;
    }
    println!("{}", line(e));
}

/// One event on one line: time, direction, outcome, token kind, who, for whom, why.
pub fn line(e: &HandshakeEvent) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(e.at_ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    let mut l = format!(
        "{at} #{} {:<8} {:<10} {:<12} iss={} nameid={} aud={} user={} {:.1}ms {}",
        e.seq,
        e.direction,
        e.outcome,
        e.token_kind,
        dash(&e.issuer),
        dash(&e.nameid),
        dash(&e.audience),
        dash(&e.user),
        e.latency_us as f64 / 1000.0,
        e.digest
    );
    if let Some(code) = e.error_code {
        l.push_str(&format!(" error={code} {}", e.error));
    }
    l
}

fn dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}
