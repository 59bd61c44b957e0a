//! Hybrid Modern Authentication from the command line: the directory synchronization that
//! makes on-premises recipients users of the tenant (Entra Connect's part), and what the user
//! verbs share.

use crate::client::AdminClient;
use crate::error::CliError;
use crate::output::{Output, format_list, ps_bool};
use crate::paths::DataDir;
use base64::Engine;
use clap::Args;
use serde_json::{Map, Value, json};

#[derive(Args)]
pub struct SyncArgs {
    /// The on-premises server's URL. Default: the one `hybrid serve onprem` recorded.
    #[arg(long)]
    onprem_server: Option<String>,
    /// Synchronize again every so many seconds, until stopped (continuous mode).
    #[arg(long)]
    interval: Option<u64>,
}

/// A path segment for a user named by UPN or id.
pub fn segment(user: &str) -> String {
    url::form_urlencoded::byte_serialize(user.as_bytes()).collect()
}

/// The immutable id Entra Connect gives a user: base64 of its object guid's bytes as Windows
/// stores a GUID (the first three fields little-endian).
pub fn immutable_id(guid: &str) -> Option<String> {
    let g = uuid::Uuid::parse_str(guid).ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(g.to_bytes_le()))
}

/// The users to synchronize from the on-premises recipients: mailboxes and mail users with a
/// security identifier and a UPN (application accounts are not people and stay on premises).
pub fn synced_users(recipients: &[Value]) -> Vec<Value> {
    let text = |r: &Value, k: &str| r[k].as_str().unwrap_or_default().to_string();
    recipients
        .iter()
        .filter(|r| {
            matches!(
                r["RecipientType"].as_str(),
                Some("UserMailbox" | "MailUser")
            )
        })
        .filter(|r| !r["IsApplicationAccount"].as_bool().unwrap_or(false))
        .filter_map(|r| {
            let upn = text(r, "UserPrincipalName");
            let sid = text(r, "Sid");
            let id = immutable_id(&text(r, "Guid"))?;
            if upn.is_empty() || sid.is_empty() {
                return None;
            }
            let mail = text(r, "PrimarySmtpAddress");
            Some(json!({
                "onPremisesImmutableId": id,
                "onPremisesSecurityIdentifier": sid,
                "userPrincipalName": upn,
                "mail": (!mail.is_empty()).then_some(mail),
                "displayName": text(r, "DisplayName"),
                "accountEnabled": !r["AccountDisabled"].as_bool().unwrap_or(false),
            }))
        })
        .collect()
}

fn sync_once(cloud: &AdminClient, onprem: &AdminClient) -> Result<Value, CliError> {
    let recipients = crate::onprem_cmd::invoke(onprem, "Get-Recipient", Map::new())?;
    let users = synced_users(&recipients);
    Ok(cloud
        .post("/admin/directory-sync", &json!({ "users": users }))?
        .unwrap_or_default())
}

pub fn sync(
    cloud: &AdminClient,
    a: &SyncArgs,
    data: &DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let url = data.server_url("onprem", a.onprem_server.as_deref())?;
    let onprem = crate::doctor::onprem_client(data, &url)?;
    loop {
        let report = sync_once(cloud, &onprem)?;
        let count = |k: &str| report[k].as_array().map(Vec::len).unwrap_or(0);
        let rows = [
            ("Added", count("added").to_string()),
            ("Updated", count("updated").to_string()),
            ("Disabled", count("disabled").to_string()),
            ("Removed", count("removed").to_string()),
            (
                "Unchanged",
                report["unchanged"].as_u64().unwrap_or(0).to_string(),
            ),
        ];
        out.record(&rows, &report);
        match a.interval {
            Some(s) => std::thread::sleep(std::time::Duration::from_secs(s.max(1))),
            None => return Ok(()),
        }
    }
}

/// `hybrid up --directory-sync SECONDS` (and `serve onprem`): the synchronization at start and
/// then every so often, in a thread of its own, as Entra Connect runs its cycle. A failed cycle
/// is logged and tried again within ten seconds: the servers may be starting or restarting.
pub fn sync_continuously(data: &DataDir, every: std::time::Duration) {
    let data = data.clone();
    std::thread::spawn(move || {
        loop {
            let mut next = every;
            match sync_in(&data) {
                Ok(r) => tracing::info!(
                    added = r["added"].as_array().map(Vec::len).unwrap_or(0),
                    updated = r["updated"].as_array().map(Vec::len).unwrap_or(0),
                    disabled = r["disabled"].as_array().map(Vec::len).unwrap_or(0),
                    removed = r["removed"].as_array().map(Vec::len).unwrap_or(0),
                    "directory synchronized to the tenant"
                ),
                Err(e) => {
                    tracing::warn!("directory synchronization failed: {e}");
                    next = every.min(std::time::Duration::from_secs(10));
                }
            }
            std::thread::sleep(next);
        }
    });
}

/// One cycle for the organization of this data folder, into the tenant it trusts: with several
/// tenants known here, the one an AuthServer of the organization names as its realm.
fn sync_in(data: &DataDir) -> Result<Value, CliError> {
    let onprem = crate::doctor::onprem_client(data, &data.server_url("onprem", None)?)?;
    let known = crate::cloud_cmd::known_tenants(data);
    let trusted = if known.len() > 1 {
        crate::onprem_cmd::invoke(&onprem, "Get-AuthServer", Map::new())?
            .iter()
            .filter_map(|a| a["Realm"].as_str().map(str::to_string))
            .find(|realm| known.iter().any(|(id, _)| id.eq_ignore_ascii_case(realm)))
    } else {
        None
    };
    let cloud_url = data.server_url("cloud", None)?;
    let (cloud, _) = crate::doctor::tenant_client(data, &cloud_url, trusted.as_deref())?;
    sync_once(&cloud, &onprem)
}

pub fn print_users(users: &[Value], out: &Output) {
    if out.json {
        let v = if users.len() == 1 {
            users[0].clone()
        } else {
            json!(users)
        };
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return;
    }
    for u in users {
        let t = |k: &str| u[k].as_str().unwrap_or_default().to_string();
        println!(
            "{}",
            format_list(&[
                ("UserPrincipalName", t("userPrincipalName")),
                ("Id", t("id")),
                (
                    "AccountEnabled",
                    ps_bool(u["accountEnabled"].as_bool().unwrap_or(false))
                ),
                (
                    "OnPremisesSecurityIdentifier",
                    t("onPremisesSecurityIdentifier")
                ),
                ("OnPremisesImmutableId", t("onPremisesImmutableId")),
            ])
        );
    }
}

/// A password from standard input (its first line).
pub fn read_password() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::Usage(format!("reading the password from standard input: {e}")))?;
    let p = line.trim_end_matches(['\r', '\n']).to_string();
    if p.is_empty() {
        return Err(CliError::Usage(
            "give --password or the password on standard input".into(),
        ));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immutable_ids_are_the_guid_bytes_as_windows_stores_them() {
        let id = immutable_id("33221100-5544-7766-8899-aabbccddeeff").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(id)
            .unwrap();
        assert_eq!(&bytes[..4], &[0x00, 0x11, 0x22, 0x33]);
        assert_eq!(bytes[15], 0xff);
        assert!(immutable_id("not a guid").is_none());
    }

    #[test]
    fn people_with_a_sid_and_upn_are_synchronized() {
        let r = |t: &str, upn: &str, app: bool, disabled: bool| {
            json!({ "RecipientType": t, "UserPrincipalName": upn, "Sid": "S-1-5-21-1-2-3-1001",
                    "Guid": "33221100-5544-7766-8899-aabbccddeeff", "IsApplicationAccount": app,
                    "AccountDisabled": disabled, "PrimarySmtpAddress": upn })
        };
        let out = synced_users(&[
            r("UserMailbox", "alice@contoso.com", false, false),
            r("MailUser", "app@contoso.com", true, false),
            r("UserMailbox", "", false, false),
            r("UserMailbox", "bob@contoso.com", false, true),
            r("MailContact", "c@x.com", false, false),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0]["userPrincipalName"], "alice@contoso.com");
        assert_eq!(out[1]["accountEnabled"], false);
    }
}
