//! Hybrid Modern Authentication from the command line: the directory synchronization that
//! makes on-premises recipients users of the tenant (Entra Connect's part), and what the user
//! verbs share.

use crate::client::AdminClient;
use crate::error::CliError;
use crate::output::{Output, format_list, ps_bool};
use crate::paths::DataDir;
use base64::Engine;
use clap::Args;
use cloud::users::{SyncReport, SyncRequest, SyncedUser};
use onprem::model::{AuthServer, Recipient};
use reqwest::Method;

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
pub fn synced_users(recipients: &[Recipient]) -> Vec<SyncedUser> {
    recipients
        .iter()
        .filter(|r| !r.is_application_account)
        .filter(|r| !r.user_principal_name.is_empty() && !r.sid.is_empty())
        .filter_map(|r| {
            Some(SyncedUser {
                on_premises_immutable_id: immutable_id(&r.guid)?,
                on_premises_security_identifier: r.sid.clone(),
                user_principal_name: r.user_principal_name.clone(),
                mail: Some(r.primary_smtp_address.clone()).filter(|m| !m.is_empty()),
                display_name: Some(r.display_name.clone()),
                account_enabled: !r.account_disabled,
            })
        })
        .collect()
}

fn sync_once(cloud: &AdminClient, onprem: &AdminClient) -> Result<SyncReport, CliError> {
    let recipients: Vec<Recipient> = crate::onprem_cmd::cmdlet(onprem, "Get-Recipient")?;
    let request = SyncRequest {
        users: synced_users(&recipients),
    };
    cloud.send(Method::POST, "/admin/directory-sync", &request)
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
        let rows = [
            ("Added", report.added.len().to_string()),
            ("Updated", report.updated.len().to_string()),
            ("Disabled", report.disabled.len().to_string()),
            ("Removed", report.removed.len().to_string()),
            ("Unchanged", report.unchanged.to_string()),
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
                    added = r.added.len(),
                    updated = r.updated.len(),
                    disabled = r.disabled.len(),
                    removed = r.removed.len(),
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
fn sync_in(data: &DataDir) -> Result<SyncReport, CliError> {
    let onprem = crate::doctor::onprem_client(data, &data.server_url("onprem", None)?)?;
    let known = crate::cloud_cmd::known_tenants(data);
    let trusted = if known.len() > 1 {
        crate::onprem_cmd::cmdlet::<AuthServer>(&onprem, "Get-AuthServer")?
            .into_iter()
            .map(|a| a.realm)
            .find(|realm| known.iter().any(|(id, _)| id.eq_ignore_ascii_case(realm)))
    } else {
        None
    };
    let cloud_url = data.server_url("cloud", None)?;
    let (cloud, _) = crate::doctor::tenant_client(data, &cloud_url, trusted.as_deref())?;
    sync_once(&cloud, &onprem)
}

pub fn print_users(users: &[cloud::users::User], out: &Output) {
    if out.json {
        let text = match users {
            [one] => serde_json::to_string_pretty(one),
            all => serde_json::to_string_pretty(all),
        };
        println!("{}", text.unwrap_or_default());
        return;
    }
    for u in users {
        let t = |v: &Option<String>| v.clone().unwrap_or_default();
        println!(
            "{}",
            format_list(&[
                ("UserPrincipalName", u.user_principal_name.clone()),
                ("Id", u.id.clone()),
                ("AccountEnabled", ps_bool(u.account_enabled)),
                (
                    "OnPremisesSecurityIdentifier",
                    t(&u.on_premises_security_identifier)
                ),
                ("OnPremisesImmutableId", t(&u.on_premises_immutable_id)),
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
        let r = |upn: &str, app: bool, disabled: bool| Recipient {
            user_principal_name: upn.into(),
            sid: "S-1-5-21-1-2-3-1001".into(),
            guid: "33221100-5544-7766-8899-aabbccddeeff".into(),
            is_application_account: app,
            account_disabled: disabled,
            primary_smtp_address: upn.into(),
            ..Default::default()
        };
        let out = synced_users(&[
            r("alice@contoso.com", false, false),
            r("app@contoso.com", true, false),
            r("", false, false),
            r("bob@contoso.com", false, true),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].user_principal_name, "alice@contoso.com");
        assert!(!out[1].account_enabled);
    }
}
