//! `hybrid auth-cert status|renew`: the on-premises auth certificate across both
//! organizations. Its expiry is the classic outage of this trust: the certificate is renewed on
//! premises but the new one never reaches the tenant. `renew` does every step that is due, in
//! order, each only when the one before it is done: stage a new certificate some days before
//! the current one ends, upload it wherever the current one is trusted (00000004-… for the
//! partner, and the dedicated hybrid application or, in the shared mode, 00000002-…), publish it
//! at its effective date, and after an overlap clear the previous one on premises and in the
//! tenant. Run it again (or on a schedule) until nothing is due; `--dry-run` prints the plan.

use crate::client::AdminClient;
use crate::doctor::{iso, parse_date};
use crate::error::CliError;
use crate::onprem_cmd::{cmdlet, with};
use crate::output::Output;
use crate::paths::DataDir;
use admin::Parameters;
use clap::{Args, Subcommand};
use cloud::admin_types::ServicePrincipalPatch;
use cloud::model::KeyCredential;
use onprem::model::report::CertificateUse;
use onprem::model::{AuthConfig, AuthServer, ExchangeCertificate};
use reqwest::Method;
use s2s::ids::{EXCHANGE_APP_ID, SKYPE_APP_ID};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

#[derive(Args)]
pub struct AuthCertArgs {
    #[command(subcommand)]
    command: AuthCertCommand,
    /// Judge dates as at this time (RFC 3339) instead of now, e.g. past the expiry.
    #[arg(long, global = true)]
    at: Option<String>,
}

#[derive(Subcommand)]
enum AuthCertCommand {
    /// The current, next and previous auth certificates: days left, and where each is uploaded.
    Status,
    /// Do the renewal steps that are due (stage, upload, publish, clear the previous one).
    Renew {
        /// Stage a new certificate this many days before the current one ends.
        #[arg(long, default_value_t = 60)]
        days_before: i64,
        /// Keep the previous certificate trusted this long after the new one is published.
        #[arg(long, default_value_t = 2)]
        overlap_days: i64,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Renew now, whatever the current certificate's end date (e.g. to meet a tenant's key
        /// lifetime policy).
        #[arg(long)]
        force: bool,
        /// How long the new certificate is valid. Default: Exchange's five years.
        #[arg(long)]
        validity_days: Option<i64>,
    },
}

/// The state of the renewal that the tenant and the organization do not keep: when the current
/// certificate was published (by this command), for the overlap.
const STATE_FILE: &str = "auth-cert-renewal.json";

struct World {
    onprem: AdminClient,
    cloud: AdminClient,
    at: OffsetDateTime,
    config: AuthConfig,
    certificates: Vec<ExchangeCertificate>,
    /// (label, Graph path) of every principal or application that must trust the certificate.
    principals: Vec<(String, String)>,
    /// The new certificate's validity in days, when not Exchange's default.
    validity_days: Option<i64>,
    /// Renew now (`--force`).
    force: bool,
}

pub fn run(args: AuthCertArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
    let at = match &args.at {
        Some(s) => OffsetDateTime::parse(s, &Rfc3339)
            .map_err(|e| CliError::Usage(format!("--at {s}: not an RFC 3339 time ({e})")))?,
        None => OffsetDateTime::now_utc(),
    };
    let mut w = World::read(data, at)?;
    match args.command {
        AuthCertCommand::Status => status(&w, data, out),
        AuthCertCommand::Renew {
            days_before,
            overlap_days,
            dry_run,
            force,
            validity_days,
        } => {
            if validity_days.is_some_and(|d| !(1..=36_500).contains(&d)) {
                return Err(CliError::Usage(
                    "--validity-days is a number of days from 1 to 36500".into(),
                ));
            }
            w.validity_days = validity_days;
            w.force = force;
            // Forced: the current certificate is treated as ending now, and an earlier one
            // still overlapping is cleared at once to free AuthConfig's previous slot.
            let days_before = if force { 36_500 * 2 } else { days_before };
            let overlap_days = if force { 0 } else { overlap_days };
            renew(
                w,
                data,
                Duration::days(days_before),
                Duration::days(overlap_days),
                dry_run,
                out,
            )
        }
    }
}

impl World {
    fn read(data: &DataDir, at: OffsetDateTime) -> Result<World, CliError> {
        let onprem = crate::doctor::onprem_client(data, &data.server_url("onprem", None)?)?;
        let (cloud, _) =
            crate::doctor::tenant_client(data, &data.server_url("cloud", None)?, None)?;
        let mut w = World {
            onprem,
            cloud,
            at,
            config: AuthConfig::default(),
            certificates: Vec::new(),
            principals: Vec::new(),
            validity_days: None,
            force: false,
        };
        w.refresh()?;
        // Where the certificate is trusted: the partner's principal always; then the dedicated
        // application an AuthServer names, or else the shared Exchange principal.
        w.principals.push((
            format!("{SKYPE_APP_ID} (Skype for Business Online)"),
            format!("/v1.0/servicePrincipals(appId='{SKYPE_APP_ID}')"),
        ));
        let servers: Vec<AuthServer> = cmdlet(&w.onprem, "Get-AuthServer")?;
        match servers
            .iter()
            .map(|a| a.application_identifier.as_str())
            .find(|id| !id.is_empty())
        {
            Some(app) => w.principals.push((
                format!("{app} (dedicated hybrid application)"),
                format!("/v1.0/applications/{app}"),
            )),
            None => w.principals.push((
                format!("{EXCHANGE_APP_ID} (Office 365 Exchange Online)"),
                format!("/v1.0/servicePrincipals(appId='{EXCHANGE_APP_ID}')"),
            )),
        }
        // The Teams edition's principals, where they trust the current certificate (its steps
        // 5 to 7 put it there): a renewal keeps them trusting it.
        let current = w.config.current_certificate_thumbprint.clone();
        for (app, name) in [
            (s2s::ids::TEAMS_SCHEDULER_APP_ID, "Teams Scheduler"),
            (s2s::ids::CLOUD_VOICEMAIL_APP_ID, "Cloud Voicemail"),
        ] {
            let path = format!("/v1.0/servicePrincipals(appId='{app}')");
            let trusts = w
                .keys(&path)
                .is_ok_and(|ks| ks.iter().any(|k| is_key_of(k, &current)));
            if !current.is_empty() && trusts {
                w.principals.push((format!("{app} ({name})"), path));
            }
        }
        Ok(w)
    }

    fn refresh(&mut self) -> Result<(), CliError> {
        self.config = cmdlet::<AuthConfig>(&self.onprem, "Get-AuthConfig")?
            .into_iter()
            .next()
            .unwrap_or_default();
        self.certificates = cmdlet(&self.onprem, "Get-ExchangeCertificate")?;
        Ok(())
    }

    fn certificate(&self, thumbprint: &str) -> Option<&ExchangeCertificate> {
        self.certificates
            .iter()
            .find(|c| !thumbprint.is_empty() && c.thumbprint.eq_ignore_ascii_case(thumbprint))
    }

    /// The key credentials of a principal or application, with their keys.
    fn keys(&self, path: &str) -> Result<Vec<KeyCredential>, CliError> {
        let v: KeyCredentials = self.cloud.fetch(path, &[("$select", "keyCredentials")])?;
        Ok(v.key_credentials)
    }

    /// The labels of the principals whose key credentials hold `thumbprint`.
    fn uploaded_to(&self, thumbprint: &str) -> Result<Vec<String>, CliError> {
        let mut out = Vec::new();
        for (label, path) in &self.principals {
            if self.keys(path)?.iter().any(|k| is_key_of(k, thumbprint)) {
                out.push(label.clone());
            }
        }
        Ok(out)
    }

    fn days_left(&self, thumbprint: &str) -> Option<i64> {
        self.certificate(thumbprint)
            .and_then(|c| parse_date(&c.not_after))
            .map(|end| (end - self.at).whole_days())
    }
}

/// The current, next and previous certificates as `auth-cert status --json` lists them, for
/// the web view.
pub fn certificates(data: &DataDir) -> Result<Vec<CertificateUse>, CliError> {
    let w = World::read(data, OffsetDateTime::now_utc())?;
    Ok(status_rows(&w, data)?.1.certificates)
}

fn status(w: &World, data: &DataDir, out: &Output) -> Result<(), CliError> {
    let (rows, v) = status_rows(w, data)?;
    out.record(&rows, &v);
    Ok(())
}

/// The status as listing rows and as JSON.
type StatusRows = (Vec<(&'static str, String)>, Status);

/// What `auth-cert status --json` prints.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    at: String,
    certificates: Vec<CertificateUse>,
    renewal_events: Vec<RenewalEvent>,
}

/// One renewal step done (or a round that failed), a line of the events file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RenewalEvent {
    at: String,
    event: String,
    outcome: String,
}

/// When this command published the current certificate, for the overlap.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RenewalState {
    published_at: String,
    thumbprint: String,
}

/// Graph's answer to `$select=keyCredentials`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyCredentials {
    #[serde(default)]
    key_credentials: Vec<KeyCredential>,
}

/// Whether a key credential is the certificate of `thumbprint`.
fn is_key_of(k: &KeyCredential, thumbprint: &str) -> bool {
    k.custom_key_identifier
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(thumbprint))
}

fn status_rows(w: &World, data: &DataDir) -> Result<StatusRows, CliError> {
    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    for (role, thumb) in [
        ("Current", &w.config.current_certificate_thumbprint),
        ("Next", &w.config.next_certificate_thumbprint),
        ("Previous", &w.config.previous_certificate_thumbprint),
    ] {
        if thumb.is_empty() {
            continue;
        }
        let cert = w.certificate(thumb);
        let uploaded = w.uploaded_to(thumb)?;
        let days = w.days_left(thumb);
        rows.push((
            role,
            format!(
                "{thumb}  NotAfter {}  DaysLeft {}  UploadedTo {}",
                cert.map(|c| c.not_after.as_str())
                    .unwrap_or("(not in the store)"),
                days.map(|d| d.to_string()).unwrap_or_else(|| "?".into()),
                if uploaded.is_empty() {
                    "nowhere".into()
                } else {
                    uploaded.join(", ")
                }
            ),
        ));
        json_rows.push(CertificateUse {
            role: role.into(),
            thumbprint: thumb.clone(),
            not_before: cert.map(|c| c.not_before.clone()),
            not_after: cert.map(|c| c.not_after.clone()),
            days_left: days,
            uploaded_to: uploaded,
            effective_date: (role == "Next")
                .then(|| w.config.next_certificate_effective_date.clone())
                .flatten(),
        });
    }
    let events = recent_events(data, 5);
    let lines: Vec<String> = events
        .iter()
        .map(|e| format!("{} {} ({})", e.at, e.event, e.outcome))
        .collect();
    for l in &lines {
        rows.push(("RenewalEvent", l.clone()));
    }
    let v = Status {
        at: iso(w.at),
        certificates: json_rows,
        renewal_events: events,
    };
    Ok((rows, v))
}

/// One step of the renewal.
enum Step {
    Create,
    Upload {
        thumbprint: String,
        label: String,
        path: String,
    },
    Publish {
        thumbprint: String,
        force: bool,
    },
    Clear {
        thumbprint: String,
    },
}

impl Step {
    fn describe(&self) -> String {
        match self {
            Step::Create => "create a new auth certificate (New-ExchangeCertificate) and stage it as the next one (Set-AuthConfig -NewCertificateThumbprint -NewCertificateEffectiveDate)".into(),
            Step::Upload { thumbprint, label, .. } => {
                format!("upload {thumbprint} to {label}")
            }
            Step::Publish { thumbprint, .. } => {
                format!("publish it: Set-AuthConfig -PublishCertificate ({thumbprint} becomes current)")
            }
            Step::Clear { thumbprint } => format!(
                "clear the previous certificate {thumbprint}: Set-AuthConfig -ClearPreviousCertificate, and its keys in the tenant"
            ),
        }
    }
}

/// What is due now, in order; a step waits for the ones before it.
fn plan(
    w: &World,
    state: &RenewalState,
    days_before: Duration,
    overlap: Duration,
) -> Result<Vec<Step>, CliError> {
    let current = w.config.current_certificate_thumbprint.clone();
    let next = w.config.next_certificate_thumbprint.clone();
    let previous = w.config.previous_certificate_thumbprint.clone();
    let mut steps = Vec::new();
    if next.is_empty() {
        let ends = w
            .certificate(&current)
            .and_then(|c| parse_date(&c.not_after));
        let due = ends.is_none_or(|e| e - days_before <= w.at);
        if !previous.is_empty() {
            // The last rotation is still overlapping: clear before starting another. It is
            // measured from when this command published the current certificate; for one
            // published otherwise, from its NotBefore (it cannot have been current earlier).
            let published = parse_date(&state.published_at)
                .filter(|_| state.thumbprint.eq_ignore_ascii_case(&current))
                .or_else(|| {
                    w.certificate(&current)
                        .and_then(|c| parse_date(&c.not_before))
                })
                .unwrap_or(w.at);
            if w.at >= published + overlap {
                steps.push(Step::Clear {
                    thumbprint: previous,
                });
                // Forced, the renewal starts in the same run once the slot is free.
                if due && w.force {
                    steps.push(Step::Create);
                }
            }
            return Ok(steps);
        }
        if due {
            steps.push(Step::Create);
        }
        return Ok(steps);
    }
    let mut uploaded_everywhere = true;
    for (label, path) in &w.principals {
        let has = w.keys(path)?.iter().any(|k| is_key_of(k, &next));
        if !has {
            uploaded_everywhere = false;
            steps.push(Step::Upload {
                thumbprint: next.clone(),
                label: label.clone(),
                path: path.clone(),
            });
        }
    }
    let effective = w
        .config
        .next_certificate_effective_date
        .as_deref()
        .and_then(parse_date)
        .unwrap_or(w.at);
    // A certificate this run staged "at once" is effective by the clock, which has moved on
    // since the run began.
    if uploaded_everywhere && w.at.max(OffsetDateTime::now_utc()) >= effective {
        steps.push(Step::Publish {
            thumbprint: next,
            force: effective > OffsetDateTime::now_utc(),
        });
    }
    Ok(steps)
}

fn renew(
    w: World,
    data: &DataDir,
    days_before: Duration,
    overlap: Duration,
    dry_run: bool,
    out: &Output,
) -> Result<(), CliError> {
    let done = due_steps(w, data, days_before, overlap, dry_run)?;
    let verb = if dry_run { "Plan" } else { "Done" };
    let rows: Vec<(&str, String)> = if done.is_empty() {
        vec![(verb, "nothing is due".to_string())]
    } else {
        done.iter().map(|d| (verb, d.clone())).collect()
    };
    out.record(
        &rows,
        &Renewal {
            dry_run,
            steps: done,
        },
    );
    Ok(())
}

/// Where each renewal step done is recorded (one JSON object a line).
const EVENTS_FILE: &str = "auth-cert-renewal.log";

/// Records a renewal event: the step, or why a round failed.
fn record(data: &DataDir, at: OffsetDateTime, event: &str, outcome: &str) {
    use std::io::Write;
    tracing::info!(target: "auth_cert_renewal", outcome, "{event}");
    let line = serde_json::to_string(&RenewalEvent {
        at: iso(at),
        event: event.into(),
        outcome: outcome.into(),
    })
    .unwrap_or_default();
    let path = data.role("onprem").join(EVENTS_FILE);
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    if let Ok(mut f) = open.open(&path) {
        let _ = writeln!(f, "{line}");
    }
}

/// The last `n` renewal events.
fn recent_events(data: &DataDir, n: usize) -> Vec<RenewalEvent> {
    let text = std::fs::read_to_string(data.role("onprem").join(EVENTS_FILE)).unwrap_or_default();
    let all: Vec<RenewalEvent> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    all[all.len().saturating_sub(n)..].to_vec()
}

/// `hybrid serve onprem --auth-cert-renewal SECONDS`: the renewal, unattended, every so often;
/// each step (and each failed round) recorded as an event.
pub fn schedule(data: DataDir, every: std::time::Duration, days_before: i64, overlap_days: i64) {
    std::thread::spawn(move || {
        // The server records its URL when it is listening.
        std::thread::sleep(std::time::Duration::from_secs(1));
        // A failure that repeats (the cloud down for an hour, say) is recorded once.
        let mut last_failure = String::new();
        loop {
            let now = OffsetDateTime::now_utc();
            let round = World::read(&data, now).and_then(|w| {
                due_steps(
                    w,
                    &data,
                    Duration::days(days_before),
                    Duration::days(overlap_days),
                    false,
                )
            });
            match round {
                Err(e) if e.to_string() != last_failure => {
                    last_failure = e.to_string();
                    record(&data, now, &format!("renewal round failed: {e}"), "failed");
                }
                Err(_) => {}
                Ok(_) => last_failure.clear(),
            }
            std::thread::sleep(every);
        }
    });
}

/// Does (or with `dry_run` plans) every step that is due; their descriptions.
fn due_steps(
    mut w: World,
    data: &DataDir,
    days_before: Duration,
    overlap: Duration,
    dry_run: bool,
) -> Result<Vec<String>, CliError> {
    let state_path = data.role("onprem").join(STATE_FILE);
    let state: RenewalState = std::fs::read_to_string(&state_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let mut done = Vec::new();
    // Steps unlock one another (a created certificate is then staged, uploaded, published):
    // plan again after each round, a bounded number of times.
    for _ in 0..4 {
        let steps = plan(&w, &state, days_before, overlap)?;
        if steps.is_empty() {
            break;
        }
        for step in &steps {
            let line = step.describe();
            if !dry_run {
                crate::output::progress(&line);
                if let Err(e) = apply(&w, step, &state_path) {
                    record(data, w.at, &format!("{line}: {e}"), "failed");
                    return Err(e);
                }
                record(data, w.at, &line, "done");
            }
            done.push(line);
        }
        if dry_run {
            if let Some(Step::Create) = steps.first() {
                done.push(format!(
                    "then stage it effective {}, upload it to {}, and publish it",
                    iso(w.at),
                    w.principals
                        .iter()
                        .map(|p| p.0.as_str())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ));
            }
            break;
        }
        w.refresh()?;
        if matches!(
            steps.last(),
            Some(Step::Publish { .. }) | Some(Step::Clear { .. })
        ) {
            break;
        }
    }
    Ok(done)
}

fn apply(w: &World, step: &Step, state_path: &std::path::Path) -> Result<(), CliError> {
    match step {
        Step::Create => {
            let p = Parameters::new()
                .with(
                    "SubjectName",
                    "CN=Microsoft Exchange Server Auth Certificate",
                )
                .with("FriendlyName", "Microsoft Exchange Server Auth Certificate")
                .with("Services", "SMTP")
                .with("KeySize", 2048)
                .with("PrivateKeyExportable", true)
                .with("ValidityDays", w.validity_days.unwrap_or(5 * 365 + 1));
            let made: Vec<ExchangeCertificate> = with(&w.onprem, "New-ExchangeCertificate", p)?;
            let thumbprint = made
                .first()
                .map(|c| c.thumbprint.clone())
                .unwrap_or_default();
            // Staged effective at once: publishing still waits for every upload.
            let effective = w.at.max(OffsetDateTime::now_utc());
            let p = Parameters::new()
                .with("NewCertificateThumbprint", thumbprint)
                .with("NewCertificateEffectiveDate", iso(effective));
            with::<AuthConfig>(&w.onprem, "Set-AuthConfig", p)?;
            Ok(())
        }
        Step::Upload {
            thumbprint, path, ..
        } => {
            let der = crate::onprem_cmd::export_certificate(&w.onprem, thumbprint)?;
            let cert = crypto::Certificate::from_der(&der)?;
            let mut keys = w.keys(path)?;
            keys.push(KeyCredential::verify(&cert.to_base64(), None));
            set_keys(w, path, keys)
        }
        Step::Publish { thumbprint, force } => {
            let mut p = Parameters::new().with("PublishCertificate", true);
            if *force {
                p = p.with("Force", true);
            }
            with::<AuthConfig>(&w.onprem, "Set-AuthConfig", p)?;
            let state = RenewalState {
                published_at: iso(w.at),
                thumbprint: thumbprint.clone(),
            };
            let text = serde_json::to_string(&state).unwrap_or_default();
            crate::paths::write_private(state_path, &text)
        }
        Step::Clear { thumbprint } => {
            for (_, path) in &w.principals {
                let keys = w.keys(path)?;
                let count = keys.len();
                let kept: Vec<KeyCredential> = keys
                    .into_iter()
                    .filter(|k| !is_key_of(k, thumbprint))
                    .collect();
                if kept.len() != count {
                    set_keys(w, path, kept)?;
                }
            }
            let p = Parameters::new().with("ClearPreviousCertificate", true);
            with::<AuthConfig>(&w.onprem, "Set-AuthConfig", p)?;
            Ok(())
        }
    }
}

/// What `auth-cert renew` prints with --json.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Renewal {
    dry_run: bool,
    steps: Vec<String>,
}

/// A principal's (or application's) key credentials replaced; Graph takes a service
/// principal's PATCH at its object id.
fn set_keys(w: &World, path: &str, keys: Vec<KeyCredential>) -> Result<(), CliError> {
    let target = if path.starts_with("/v1.0/applications/") {
        path.to_string()
    } else {
        let sp: cloud::model::ServicePrincipal = w.cloud.fetch(path, &[])?;
        format!("/v1.0/servicePrincipals/{}", sp.id)
    };
    let patch = ServicePrincipalPatch {
        key_credentials: Some(keys),
        ..Default::default()
    };
    w.cloud
        .call::<_, serde::de::IgnoredAny>(Method::PATCH, &target, &[], Some(&patch))?;
    Ok(())
}
