//! `hybrid partner …`: the partner service's admin and feature verbs.

use crate::error::CliError;
use crate::output::Output;
use crate::paths::{DataDir, read_credential};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::path::PathBuf;

#[derive(Args)]
pub struct PartnerArgs {
    /// The partner server's URL. Default: the one `hybrid serve partner` recorded under DIR/partner/.
    #[arg(long, global = true)]
    server: Option<String>,
    /// A credential file instead of DIR/partner/operator.credential.
    #[arg(long, global = true)]
    credential_file: Option<PathBuf>,
    #[command(subcommand)]
    command: PartnerCommand,
}

#[derive(Subcommand)]
pub enum QueueAction {
    /// Put a dead-lettered job back in the queue, due now, its attempts counted afresh.
    Retry { id: String },
}

#[derive(Subcommand)]
pub enum PartnerCommand {
    /// Where to get tokens and reach on-premises EWS.
    Configure {
        /// The tenant (realm) id.
        #[arg(long)]
        tenant: String,
        /// The token endpoint (the tenant metadata's OAuth2 issuance endpoint).
        #[arg(long)]
        token_endpoint: String,
        /// The on-premises EWS URL the partner connects to.
        #[arg(long, required_unless_present = "autodiscover_url")]
        ews_url: Option<String>,
        /// Find each user's EWS URL by Autodiscover here instead
        /// (https://<host>/autodiscover/autodiscover.svc).
        #[arg(long, conflicts_with = "ews_url")]
        autodiscover_url: Option<String>,
        /// The Autodiscover setting to take: ExternalEwsUrl or InternalEwsUrl.
        #[arg(long, default_value = "ExternalEwsUrl")]
        ews_url_setting: String,
        /// The resource to ask tokens for: 00000002-0000-0ff1-ce00-000000000000/<EWS host>@<realm>.
        #[arg(long)]
        resource: String,
        /// sfb (every call as 00000004-…) or teams (greetings as Cloud Voicemail, the
        /// calendar's delegate reads as Teams Scheduler, the rest as 00000004-…).
        #[arg(long, default_value = "sfb")]
        edition: String,
    },
    /// Write the partner's signing certificate (DER), to register it on 00000004-… in the cloud.
    ExportSigningCert {
        #[arg(long)]
        path: PathBuf,
    },
    /// Signing-certificate rollover, step 1: stage a next certificate and write it (DER) to
    /// PATH, to register on 00000004-… (hybrid cloud add-service-principal-key).
    NewSigningCert {
        #[arg(long)]
        path: PathBuf,
    },
    /// Step 2: make the staged certificate current. Refused (NextCertificateNotRegistered)
    /// until the directory holds it, unless --force.
    PublishSigningCert {
        #[arg(long)]
        force: bool,
    },
    /// Provision a user (SIP and SMTP addresses).
    NewUser {
        #[arg(long)]
        sip: String,
        #[arg(long)]
        smtp: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List users.
    GetUser,
    /// Hold an IM conversation: it is archived to each participant's Recoverable Items\Purges
    /// and, from a mobile client (or when missed), written to Conversation History.
    HoldConversation {
        /// A participant (SIP or SMTP address); repeat for each.
        #[arg(long = "participant", required = true)]
        participants: Vec<String>,
        /// A message as `sender: text`; repeat in order.
        #[arg(long = "message")]
        messages: Vec<String>,
        #[arg(long)]
        subject: Option<String>,
        /// Nobody answered: conversation history (IPM.Note.Microsoft.Missed) only.
        #[arg(long)]
        missed: bool,
        /// Held on a mobile client: also written to Conversation History.
        #[arg(long)]
        mobile: bool,
    },
    /// Set a user's presence (Available, Busy, DoNotDisturb, Away, Offline), as on-premises
    /// Exchange will read it.
    SetPresence {
        #[arg(long)]
        user: String,
        #[arg(long)]
        availability: String,
    },
    /// A user's presence as the service shows it: "Out of office" while the user's automatic
    /// replies are on, "In a meeting" during a busy calendar item (both read from on-premises
    /// EWS under the S2S trust), else what was set.
    GetPresence {
        #[arg(long)]
        user: String,
    },
    /// A user's delegates as the calendar reads them from on-premises EWS (GetDelegate; as the
    /// Teams Scheduler application in the Teams edition).
    GetDelegates {
        #[arg(long)]
        user: String,
    },
    /// The work queue: counts, then the pending, leased and dead-lettered jobs; `queue retry
    /// ID` puts a dead-lettered job back.
    Queue {
        #[command(subcommand)]
        action: Option<QueueAction>,
    },
    /// The state of queued work: one id, several, or the comma-separated list
    /// hold-conversation prints.
    GetWork {
        #[arg(long, value_delimiter = ',', required = true)]
        id: Vec<String>,
    },
    /// Set (or replace) a user's voicemail greeting from a WAV file.
    SetGreeting {
        #[arg(long)]
        user: String,
        #[arg(long)]
        file: PathBuf,
        /// External (the voicemail greeting, default) or Oof (the away greeting).
        #[arg(long, default_value = "External")]
        kind: String,
    },
    /// Read a user's voicemail greeting into a WAV file.
    GetGreeting {
        #[arg(long)]
        user: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "External")]
        kind: String,
    },
    /// Delete a user's voicemail greeting.
    RemoveGreeting {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "External")]
        kind: String,
    },
}

struct Client {
    base: String,
    credential: String,
    http: reqwest::blocking::Client,
}

impl Client {
    fn send(
        &self,
        req: reqwest::blocking::RequestBuilder,
    ) -> Result<reqwest::blocking::Response, CliError> {
        let resp = req
            .bearer_auth(&self.credential)
            .send()
            .map_err(|e| CliError::Refused {
                code: crate::error::Code::ServerUnreachable,
                message: format!("{}: {e}", self.base),
            })?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let v: Value = resp.json().unwrap_or(Value::Null);
        Err(CliError::Refused {
            code: crate::error::Code::from_wire(v["error"]["code"].as_str().unwrap_or("Error")),
            message: format!(
                "{} (HTTP {status})",
                v["error"]["message"].as_str().unwrap_or("")
            ),
        })
    }
    fn json(&self, req: reqwest::blocking::RequestBuilder) -> Result<Value, CliError> {
        Ok(self.send(req)?.json().unwrap_or(Value::Null))
    }
}

pub fn run(args: PartnerArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
    let base = data.server_url("partner", args.server.as_deref())?;
    let file = args
        .credential_file
        .clone()
        .unwrap_or_else(|| data.role("partner").join("operator.credential"));
    let c = Client {
        base: base.clone(),
        credential: read_credential(&file)?,
        http: reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("an HTTP client builds"),
    };
    let url = |p: &str| format!("{base}{p}");
    let show = |v: &Value, rows: Vec<(&str, String)>| out.record(&rows, v);
    let s = |v: &Value, k: &str| {
        v[k].as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v[k].to_string())
    };
    match args.command {
        PartnerCommand::Configure {
            tenant,
            token_endpoint,
            ews_url,
            autodiscover_url,
            ews_url_setting,
            resource,
            edition,
        } => {
            let body = json!({
                "tenantId": tenant,
                "tokenEndpoint": token_endpoint,
                "ewsUrl": ews_url.unwrap_or_default(),
                "autodiscoverUrl": autodiscover_url,
                "ewsUrlSetting": ews_url_setting,
                "resource": resource,
                "edition": edition,
            });
            let v = c.json(c.http.put(url("/admin/settings")).json(&body))?;
            show(
                &v,
                vec![
                    ("TenantId", s(&v, "tenantId")),
                    ("TokenEndpoint", s(&v, "tokenEndpoint")),
                    ("EwsUrl", s(&v, "ewsUrl")),
                    (
                        "AutodiscoverUrl",
                        v["autodiscoverUrl"].as_str().unwrap_or("").to_string(),
                    ),
                    ("EwsUrlSetting", s(&v, "ewsUrlSetting")),
                    ("Resource", s(&v, "resource")),
                ],
            );
        }
        PartnerCommand::ExportSigningCert { path } => {
            let v = c.json(c.http.get(url("/admin/signing-certificate")))?;
            let cert = crypto::Certificate::from_base64(v["certificate"].as_str().unwrap_or(""))?;
            std::fs::write(&path, cert.der()).map_err(|e| CliError::io(&path, e))?;
            show(
                &v,
                vec![
                    ("Thumbprint", cert.thumbprint().to_string()),
                    ("Path", path.display().to_string()),
                ],
            );
        }
        PartnerCommand::NewSigningCert { path } => {
            let v = c.json(c.http.post(url("/admin/signing-certificate/next")))?;
            let cert = crypto::Certificate::from_base64(v["certificate"].as_str().unwrap_or(""))?;
            std::fs::write(&path, cert.der()).map_err(|e| CliError::io(&path, e))?;
            show(
                &v,
                vec![
                    ("Thumbprint", cert.thumbprint().to_string()),
                    ("Path", path.display().to_string()),
                ],
            );
        }
        PartnerCommand::PublishSigningCert { force } => {
            let force = if force { "true" } else { "false" };
            let v = c.json(
                c.http
                    .post(url("/admin/signing-certificate/publish"))
                    .query(&[("force", force)]),
            )?;
            let cert = crypto::Certificate::from_base64(v["certificate"].as_str().unwrap_or(""))?;
            // The copy `hybrid doctor` checks against the directory.
            let copy = data.role("partner").join("signing.cer");
            std::fs::write(&copy, cert.der()).map_err(|e| CliError::io(&copy, e))?;
            show(&v, vec![("Thumbprint", cert.thumbprint().to_string())]);
        }
        PartnerCommand::NewUser {
            sip,
            smtp,
            display_name,
        } => {
            let v = c.json(
                c.http
                    .post(url("/api/users"))
                    .json(&json!({"sip": sip, "smtp": smtp, "display_name": display_name})),
            )?;
            show(
                &v,
                vec![
                    ("Sip", s(&v, "sip")),
                    ("Smtp", s(&v, "smtp")),
                    ("DisplayName", s(&v, "displayName")),
                ],
            );
        }
        PartnerCommand::GetUser => {
            let v = c.json(c.http.get(url("/api/users")))?;
            if out.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&v["users"]).unwrap_or_default()
                );
            } else {
                for u in v["users"].as_array().into_iter().flatten() {
                    print!(
                        "{}",
                        crate::output::format_list(&[("Sip", s(u, "sip")), ("Smtp", s(u, "smtp"))])
                    );
                    println!();
                }
            }
        }
        PartnerCommand::HoldConversation {
            participants,
            messages,
            subject,
            missed,
            mobile,
        } => {
            let msgs: Vec<Value> = messages
                .iter()
                .map(|m| {
                    let (from, text) = m.split_once(':').unwrap_or(("", m.as_str()));
                    json!({"from": from.trim(), "text": text.trim(), "at": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()})
                })
                .collect();
            let v = c.json(c.http.post(url("/api/conversations")).json(&json!({"participants": participants, "messages": msgs, "subject": subject, "missed": missed, "mobile": mobile})))?;
            let ids: Vec<String> = v["workIds"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(String::from))
                .collect();
            show(&v, vec![("WorkIds", ids.join(", "))]);
        }
        PartnerCommand::SetPresence { user, availability } => {
            let v = c.json(
                c.http
                    .put(url(&format!("/api/users/{user}/presence")))
                    .json(&serde_json::json!({ "availability": availability })),
            )?;
            show(
                &v,
                vec![
                    ("Sip", s(&v, "sip")),
                    ("Availability", s(&v, "availability")),
                ],
            );
        }
        PartnerCommand::GetPresence { user } => {
            let v = c.json(c.http.get(url(&format!("/api/users/{user}/presence"))))?;
            let mut rows = vec![
                ("Sip", s(&v, "sip")),
                ("Availability", s(&v, "availability")),
                ("Activity", s(&v, "activity")),
                ("Shown", s(&v, "label")),
                ("Source", s(&v, "source")),
            ];
            if !s(&v, "note").is_empty() {
                rows.push(("Note", s(&v, "note")));
            }
            if !s(&v, "mailboxError").is_empty() {
                rows.push(("MailboxError", s(&v, "mailboxError")));
            }
            show(&v, rows);
        }
        PartnerCommand::GetDelegates { user } => {
            let v = c.json(c.http.get(url(&format!("/api/users/{user}/delegates"))))?;
            let list: Vec<String> = v["delegates"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| format!("{} ({})", s(d, "smtp"), s(d, "calendar")))
                .collect();
            show(
                &v,
                vec![
                    ("User", s(&v, "user")),
                    ("Application", s(&v, "application")),
                    ("Delegates", list.join(", ")),
                ],
            );
        }
        PartnerCommand::Queue { action: None } => {
            let v = c.json(c.http.get(url("/admin/queue")))?;
            if out.json {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                print!(
                    "{}",
                    crate::output::format_list(&[
                        ("Pending", v["pending"].to_string()),
                        ("Leased", v["leased"].to_string()),
                        ("DeadLettered", v["dead"].to_string()),
                        ("OldestDueAgeMs", v["oldestDueAgeMs"].to_string()),
                    ])
                );
                for j in v["jobs"].as_array().into_iter().flatten() {
                    println!();
                    print!(
                        "{}",
                        crate::output::format_list(&[
                            ("Id", s(j, "id")),
                            ("Kind", s(j, "kind")),
                            ("User", s(j, "user")),
                            ("State", s(j, "state")),
                            ("Attempts", j["attempts"].to_string()),
                            ("LastError", s(j, "lastError")),
                        ])
                    );
                }
            }
        }
        PartnerCommand::Queue {
            action: Some(QueueAction::Retry { id }),
        } => {
            let v = c.json(c.http.post(url(&format!("/admin/queue/{id}/retry"))))?;
            show(
                &v,
                vec![
                    ("Id", s(&v, "id")),
                    ("State", s(&v, "state")),
                    ("Attempts", v["attempts"].to_string()),
                ],
            );
        }
        PartnerCommand::GetWork { id } => {
            for id in id.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
                let v = c.json(c.http.get(url(&format!("/api/work/{id}"))))?;
                show(
                    &v,
                    vec![
                        ("Id", s(&v, "id")),
                        ("Kind", s(&v, "kind")),
                        ("User", s(&v, "user")),
                        ("Status", s(&v, "status")),
                        ("Attempts", v["attempts"].to_string()),
                        ("LastError", s(&v, "lastError")),
                    ],
                );
            }
        }
        PartnerCommand::SetGreeting { user, file, kind } => {
            let bytes = std::fs::read(&file).map_err(|e| CliError::io(&file, e))?;
            let v = c.json(
                c.http
                    .put(url(&format!("/api/users/{user}/greeting")))
                    .query(&[("kind", kind.as_str())])
                    .body(bytes),
            )?;
            show(
                &v,
                vec![
                    ("User", s(&v, "user")),
                    ("Name", s(&v, "name")),
                    ("Bytes", v["bytes"].to_string()),
                    ("Created", v["created"].to_string()),
                ],
            );
        }
        PartnerCommand::GetGreeting {
            user,
            out: path,
            kind,
        } => {
            let bytes = c
                .send(
                    c.http
                        .get(url(&format!("/api/users/{user}/greeting")))
                        .query(&[("kind", kind.as_str())]),
                )?
                .bytes()
                .map_err(|e| CliError::Refused {
                    code: crate::error::Code::ReadFailed,
                    message: e.to_string(),
                })?;
            std::fs::write(&path, &bytes).map_err(|e| CliError::io(&path, e))?;
            show(
                &json!({"path": path.display().to_string(), "bytes": bytes.len()}),
                vec![
                    ("Path", path.display().to_string()),
                    ("Bytes", bytes.len().to_string()),
                ],
            );
        }
        PartnerCommand::RemoveGreeting { user, kind } => {
            c.send(
                c.http
                    .delete(url(&format!("/api/users/{user}/greeting")))
                    .query(&[("kind", kind.as_str())]),
            )?;
            show(&json!({"removed": true}), vec![("Removed", "True".into())]);
        }
    }
    Ok(())
}
