//! `hybrid partner …`: the partner service's admin and feature verbs, each a function over
//! the typed admin client.

use crate::client::AdminClient;
use crate::error::CliError;
use crate::opt::partner::*;
use crate::output::{Output, format_list, ps_bool};
use crate::paths::{DataDir, read_credential};
use partner::admin_types::{ConversationMessage, NewConversation, NewUser, WorkView};
use std::path::Path;

pub fn run(args: PartnerArgs, data: &DataDir, out: &Output) -> Result<(), CliError> {
    let base = data.server_url("partner", args.server.as_deref())?;
    let file = args
        .credential_file
        .clone()
        .unwrap_or_else(|| data.role("partner").join("operator.credential"));
    let c = data.client("partner", &base, &read_credential(&file)?);
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
            let mut s = partner::Settings::new(
                &tenant,
                &token_endpoint,
                &ews_url.unwrap_or_default(),
                &resource,
            );
            s.autodiscover_url = autodiscover_url;
            s.ews_url_setting = ews_url_setting;
            s.edition = edition;
            configure(&c, &s, out)
        }
        PartnerCommand::ExportSigningCert { path } => {
            let cert = c.wait(c.partner().signing_certificate())?;
            write_certificate(&cert, &path, out)
        }
        PartnerCommand::NewSigningCert { path } => {
            let cert = c.wait(c.partner().stage_signing_certificate())?;
            write_certificate(&cert, &path, out)
        }
        PartnerCommand::PublishSigningCert { force } => publish(&c, force, data, out),
        PartnerCommand::NewUser {
            sip,
            smtp,
            display_name,
        } => new_user(
            &c,
            NewUser {
                sip,
                smtp,
                display_name,
            },
            out,
        ),
        PartnerCommand::GetUser => users(&c, out),
        PartnerCommand::HoldConversation {
            participants,
            messages,
            subject,
            missed,
            mobile,
        } => {
            let conversation = NewConversation {
                participants,
                messages: messages.iter().map(|m| message(m)).collect(),
                subject,
                missed,
                mobile,
            };
            hold_conversation(&c, &conversation, out)
        }
        PartnerCommand::SetPresence { user, availability } => {
            set_presence(&c, &user, &availability, out)
        }
        PartnerCommand::GetPresence { user } => presence(&c, &user, out),
        PartnerCommand::GetDelegates { user } => delegates(&c, &user, out),
        PartnerCommand::Queue { action: None } => queue(&c, out),
        PartnerCommand::Queue {
            action: Some(QueueAction::Retry { id }),
        } => retry(&c, &id, out),
        PartnerCommand::GetWork { id } => get_work(&c, &id, out),
        PartnerCommand::SetGreeting { user, file, kind } => {
            set_greeting(&c, &user, &file, &kind, out)
        }
        PartnerCommand::GetGreeting {
            user,
            out: path,
            kind,
        } => get_greeting(&c, &user, &path, &kind, out),
        PartnerCommand::RemoveGreeting { user, kind } => {
            c.wait(c.partner().remove_greeting(&user, &kind))?;
            out.record(&[("Removed", ps_bool(true))], &Removed { removed: true });
            Ok(())
        }
    }
}

fn new_user(c: &AdminClient, user: NewUser, out: &Output) -> Result<(), CliError> {
    let u = c.wait(c.partner().new_user(&user))?;
    let rows = vec![
        ("Sip", u.sip.clone()),
        ("Smtp", u.smtp.clone()),
        ("DisplayName", u.display_name.clone()),
    ];
    out.record(&rows, &u);
    Ok(())
}

fn hold_conversation(
    c: &AdminClient,
    conversation: &NewConversation,
    out: &Output,
) -> Result<(), CliError> {
    let v = c.wait(c.partner().hold_conversation(conversation))?;
    out.record(&[("WorkIds", v.work_ids.join(", "))], &v);
    Ok(())
}

fn set_presence(
    c: &AdminClient,
    user: &str,
    availability: &str,
    out: &Output,
) -> Result<(), CliError> {
    let u = c.wait(c.partner().set_presence(user, availability))?;
    let shown = u.availability.clone().unwrap_or_default();
    out.record(&[("Sip", u.sip.clone()), ("Availability", shown)], &u);
    Ok(())
}

fn retry(c: &AdminClient, id: &str, out: &Output) -> Result<(), CliError> {
    let w = c.wait(c.partner().retry(id))?;
    let rows = vec![
        ("Id", w.id.clone()),
        ("State", w.state.clone()),
        ("Attempts", w.attempts.to_string()),
    ];
    out.record(&rows, &w);
    Ok(())
}

fn get_work(c: &AdminClient, ids: &[String], out: &Output) -> Result<(), CliError> {
    for id in ids.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        let w = c.wait(c.partner().work(id))?;
        out.record(&work_rows(&w, "Status", &w.status), &w);
    }
    Ok(())
}

fn set_greeting(
    c: &AdminClient,
    user: &str,
    file: &std::path::Path,
    kind: &str,
    out: &Output,
) -> Result<(), CliError> {
    let bytes = std::fs::read(file).map_err(|e| CliError::io(file, e))?;
    let g = c.wait(c.partner().set_greeting(user, kind, bytes))?;
    let rows = vec![
        ("User", g.user.clone()),
        ("Name", g.name.clone()),
        ("Bytes", g.bytes.to_string()),
        ("Created", g.created.to_string()),
    ];
    out.record(&rows, &g);
    Ok(())
}

fn get_greeting(
    c: &AdminClient,
    user: &str,
    path: &std::path::Path,
    kind: &str,
    out: &Output,
) -> Result<(), CliError> {
    let bytes = c.wait(c.partner().greeting(user, kind))?;
    std::fs::write(path, &bytes).map_err(|e| CliError::io(path, e))?;
    let shown = GreetingWritten {
        path: path.display().to_string(),
        bytes: bytes.len(),
    };
    let rows = vec![
        ("Path", shown.path.clone()),
        ("Bytes", shown.bytes.to_string()),
    ];
    out.record(&rows, &shown);
    Ok(())
}

/// What `get-greeting` prints with --json.
#[derive(serde::Serialize)]
struct GreetingWritten {
    path: String,
    bytes: usize,
}

/// What `remove-greeting` prints with --json.
#[derive(serde::Serialize)]
struct Removed {
    removed: bool,
}

/// `sender: text`, stamped now.
fn message(m: &str) -> ConversationMessage {
    let (from, text) = m.split_once(':').unwrap_or(("", m));
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    ConversationMessage {
        from: from.trim().into(),
        at: Some(now),
        text: text.trim().into(),
    }
}

fn configure(c: &AdminClient, s: &partner::Settings, out: &Output) -> Result<(), CliError> {
    let v = c.wait(c.partner().configure(s))?;
    let rows = vec![
        ("TenantId", v.tenant_id.clone()),
        ("TokenEndpoint", v.token_endpoint.clone()),
        ("EwsUrl", v.ews_url.clone()),
        (
            "AutodiscoverUrl",
            v.autodiscover_url.clone().unwrap_or_default(),
        ),
        ("EwsUrlSetting", v.ews_url_setting.clone()),
        ("Resource", v.resource.clone()),
    ];
    out.record(&rows, &v);
    Ok(())
}

/// The signing certificate (DER) written to `path`.
fn write_certificate(
    v: &partner::admin_types::SigningCertificate,
    path: &Path,
    out: &Output,
) -> Result<(), CliError> {
    let cert = crypto::Certificate::from_base64(&v.certificate)?;
    std::fs::write(path, cert.der()).map_err(|e| CliError::io(path, e))?;
    let rows = vec![
        ("Thumbprint", cert.thumbprint().to_string()),
        ("Path", path.display().to_string()),
    ];
    out.record(&rows, v);
    Ok(())
}

fn publish(c: &AdminClient, force: bool, data: &DataDir, out: &Output) -> Result<(), CliError> {
    let v = c.wait(c.partner().publish_signing_certificate(force))?;
    let cert = crypto::Certificate::from_base64(&v.certificate)?;
    // The copy `hybrid doctor` checks against the directory.
    let copy = data.role("partner").join("signing.cer");
    std::fs::write(&copy, cert.der()).map_err(|e| CliError::io(&copy, e))?;
    out.record(&[("Thumbprint", cert.thumbprint().to_string())], &v);
    Ok(())
}

fn users(c: &AdminClient, out: &Output) -> Result<(), CliError> {
    let v = c.wait(c.partner().users())?;
    if out.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&v.users).unwrap_or_default()
        );
        return Ok(());
    }
    for u in &v.users {
        print!(
            "{}",
            format_list(&[("Sip", u.sip.clone()), ("Smtp", u.smtp.clone())])
        );
        println!();
    }
    Ok(())
}

fn presence(c: &AdminClient, user: &str, out: &Output) -> Result<(), CliError> {
    let v = c.wait(c.partner().presence(user))?;
    let mut rows = vec![
        ("Sip", v.sip.clone()),
        ("Availability", v.availability.clone()),
        ("Activity", v.activity.clone()),
        ("Shown", v.label.clone()),
        ("Source", v.source.clone()),
    ];
    if let Some(note) = v.note.clone().filter(|n| !n.is_empty()) {
        rows.push(("Note", note));
    }
    if let Some(e) = v.mailbox_error.clone().filter(|e| !e.is_empty()) {
        rows.push(("MailboxError", e));
    }
    out.record(&rows, &v);
    Ok(())
}

fn delegates(c: &AdminClient, user: &str, out: &Output) -> Result<(), CliError> {
    let v = c.wait(c.partner().delegates(user))?;
    let list: Vec<String> = v
        .delegates
        .iter()
        .map(|d| {
            format!(
                "{} ({})",
                d.smtp.as_deref().unwrap_or_default(),
                d.calendar.as_deref().unwrap_or("null")
            )
        })
        .collect();
    let rows = vec![
        ("User", v.user.clone()),
        ("Application", v.application.clone()),
        ("Delegates", list.join(", ")),
    ];
    out.record(&rows, &v);
    Ok(())
}

/// A job's rows, with `label` (Status or State) beside its attempts and last error.
fn work_rows<'a>(w: &WorkView, label: &'a str, value: &str) -> Vec<(&'a str, String)> {
    vec![
        ("Id", w.id.clone()),
        ("Kind", w.kind.clone()),
        ("User", w.payload.user.clone()),
        (label, value.to_string()),
        ("Attempts", w.attempts.to_string()),
        ("LastError", w.last_error.clone()),
    ]
}

fn queue(c: &AdminClient, out: &Output) -> Result<(), CliError> {
    let v = c.wait(c.partner().queue())?;
    if out.json {
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    print!(
        "{}",
        format_list(&[
            ("Pending", v.pending.to_string()),
            ("Leased", v.leased.to_string()),
            ("DeadLettered", v.dead.to_string()),
            ("OldestDueAgeMs", v.oldest_due_age_ms.to_string()),
        ])
    );
    for j in &v.jobs {
        println!();
        print!("{}", format_list(&work_rows(j, "State", &j.state)));
    }
    Ok(())
}
