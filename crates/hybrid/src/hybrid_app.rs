//! `hybrid cloud configure-hybrid-application`: the dedicated Exchange hybrid application
//! (CVE-2025-53786), the cloud half of what CSS-Exchange's ConfigureExchangeHybridApplication
//! does. The on-premises auth certificate moves off the shared Office 365 Exchange Online
//! principal (00000002-…) onto an application registered in the tenant, which an
//! administrator has granted Exchange's `full_access_as_app`; the on-premises AuthServer then
//! names that application (`Set-AuthServer -ApplicationIdentifier … -DomainName …`).

use crate::client::AdminClient;
use crate::error::CliError;
use crate::output::Output;
use clap::{Args, ValueEnum};
use s2s::ids::EXCHANGE_APP_ID;
use serde_json::{Value, json};
use std::path::PathBuf;

use cloud::apps::FULL_ACCESS_AS_APP_ID;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Create (or find) the application, its service principal and consent, upload the
    /// certificates to it, and remove them from the shared first-party principal.
    Full,
    /// Upload the certificates to the existing application (expired keys dropped, each
    /// certificate added once); nothing else changes.
    UpdateCertificate,
    /// Remove every key credential from the shared Office 365 Exchange Online principal.
    ResetFirstPartyKeys,
}

#[derive(Args)]
pub struct HybridAppArgs {
    #[arg(long, value_enum)]
    mode: Mode,
    /// The on-premises auth certificate (DER .cer or PEM); again for the next one.
    #[arg(long = "certificate")]
    certificates: Vec<PathBuf>,
    /// The application's display name.
    #[arg(long, default_value = "ExchangeServerApp")]
    display_name: String,
}

pub fn run(
    client: &AdminClient,
    a: &HybridAppArgs,
    data: &crate::paths::DataDir,
    out: &Output,
) -> Result<(), CliError> {
    let certs = read_certificates(a)?;
    let thumbprints: Vec<String> = certs.iter().map(|c| c.thumbprint().to_string()).collect();
    let mut rows: Vec<(&str, String)> = Vec::new();
    if a.mode != Mode::ResetFirstPartyKeys {
        let app = find_or_create_application(client, &a.display_name, a.mode == Mode::Full)?;
        let app_id = text(&app, "appId");
        rows.push(("ApplicationId", app_id.clone()));
        rows.push(("DisplayName", text(&app, "displayName")));
        if a.mode == Mode::Full {
            let sp = ensure_service_principal(client, &app_id)?;
            rows.push(("ServicePrincipalId", text(&sp, "id")));
            ensure_consent(client, &sp)?;
            rows.push(("AdminConsent", "full_access_as_app".into()));
        }
        let keys = upload_certificates(client, &text(&app, "id"), &certs)?;
        rows.push(("KeyCredentials", keys.join(", ")));
        if a.mode == Mode::Full {
            let domains = crate::cloud_cmd::tenant_domains(client)?;
            rows.push(("AuthServer", name_on_auth_server(data, &app_id, &domains)?));
        }
    }
    if a.mode != Mode::UpdateCertificate {
        let everything = a.mode == Mode::ResetFirstPartyKeys;
        let removed = remove_from_first_party(client, &thumbprints, everything)?;
        rows.push(("RemovedFromFirstParty", removed.join(", ")));
    }
    let obj: serde_json::Map<String, Value> = rows
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    out.record(&rows, &Value::Object(obj));
    Ok(())
}

/// The on-premises half, as the script does it on the Exchange server: the tenant's AuthServer
/// (the Entra one when present, else step 1's ACS one) names the application (`Set-AuthServer -ApplicationIdentifier -DomainName`). Done
/// when the organization is recorded in the data folder; otherwise the command is returned.
fn name_on_auth_server(
    data: &crate::paths::DataDir,
    app_id: &str,
    domains: &[String],
) -> Result<String, CliError> {
    let domain_list = domains.join(",");
    let by_hand = |name: &str| {
        format!(
            "to do on premises: hybrid onprem run 'Set-AuthServer -Identity {name} -ApplicationIdentifier {app_id} -DomainName {domain_list}'"
        )
    };
    let Ok(url) = data.server_url("onprem", None) else {
        return Ok(by_hand("WindowsAzureACS"));
    };
    let Ok(onprem) = crate::doctor::onprem_client(data, &url) else {
        return Ok(by_hand("WindowsAzureACS"));
    };
    let servers = crate::onprem_cmd::invoke(&onprem, "Get-AuthServer", serde_json::Map::new())?;
    // The tenant's Entra AuthServer (EvoSts, Type AzureAD) when there is one, else ACS's.
    let entra = servers.iter().find(|s| s["Type"] == "AzureAD");
    let acs = servers.iter().find(|s| {
        s["IssuerIdentifier"]
            .as_str()
            .is_some_and(|i| i.eq_ignore_ascii_case(s2s::ids::ACS_APP_ID))
    });
    let Some(name) = entra.or(acs).and_then(|s| s["Name"].as_str()) else {
        return Ok(by_hand("WindowsAzureACS"));
    };
    let mut params = serde_json::Map::new();
    params.insert("Identity".into(), json!(name));
    params.insert("ApplicationIdentifier".into(), json!(app_id));
    params.insert("DomainName".into(), json!(domains));
    crate::onprem_cmd::invoke(&onprem, "Set-AuthServer", params)?;
    Ok(format!(
        "{name} (ApplicationIdentifier {app_id}, DomainName {domain_list})"
    ))
}

fn read_certificates(a: &HybridAppArgs) -> Result<Vec<crypto::Certificate>, CliError> {
    if a.mode != Mode::ResetFirstPartyKeys && a.certificates.is_empty() {
        return Err(CliError::Usage(
            "--certificate FILE is needed: the on-premises auth certificate (Get-AuthConfig's CurrentCertificateThumbprint, exported)".into(),
        ));
    }
    a.certificates
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).map_err(|e| CliError::io(p, e))?;
            Ok(crypto::Certificate::from_der_or_pem(&bytes)?)
        })
        .collect()
}

fn text(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

fn find_or_create_application(
    client: &AdminClient,
    name: &str,
    create: bool,
) -> Result<Value, CliError> {
    let apps = client.get("/v1.0/applications", &[])?;
    let found = apps["value"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| {
            a["displayName"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .cloned();
    match found {
        Some(a) => Ok(a),
        None if create => Ok(client
            .post(
                "/v1.0/applications",
                &json!({
                    "displayName": name,
                    "signInAudience": "AzureADMyOrg",
                    "requiredResourceAccess": [{"resourceAppId": EXCHANGE_APP_ID,
                        "resourceAccess": [{"id": FULL_ACCESS_AS_APP_ID, "type": "Role"}]}],
                }),
            )?
            .unwrap_or_default()),
        None => Err(CliError::Refused {
            code: crate::error::Code::ApplicationNotFound,
            message: format!(
                "no application named '{name}' in the tenant; run with --mode full first"
            ),
        }),
    }
}

fn ensure_service_principal(client: &AdminClient, app_id: &str) -> Result<Value, CliError> {
    let filter = format!("appId eq '{app_id}'");
    let found = client.get("/v1.0/servicePrincipals", &[("$filter", &filter)])?;
    if let Some(sp) = found["value"].as_array().and_then(|v| v.first()) {
        return Ok(sp.clone());
    }
    Ok(client
        .post("/v1.0/servicePrincipals", &json!({ "appId": app_id }))?
        .unwrap_or_default())
}

/// Admin consent to full_access_as_app on Office 365 Exchange Online, once.
fn ensure_consent(client: &AdminClient, sp: &Value) -> Result<(), CliError> {
    let sp_id = text(sp, "id");
    let exchange = crate::cloud_cmd::get_sp(client, EXCHANGE_APP_ID, Some("id,appId"))?;
    let exchange_id = text(&exchange, "id");
    let path = format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignments");
    let granted = client.get(&path, &[])?;
    let already = granted["value"].as_array().into_iter().flatten().any(|g| {
        g["resourceId"].as_str() == Some(exchange_id.as_str())
            && g["appRoleId"].as_str() == Some(FULL_ACCESS_AS_APP_ID)
    });
    if !already {
        client.post(
            &path,
            &json!({"principalId": sp_id, "resourceId": exchange_id, "appRoleId": FULL_ACCESS_AS_APP_ID}),
        )?;
    }
    Ok(())
}

fn still_valid(k: &Value) -> bool {
    let now = time::OffsetDateTime::now_utc();
    k["endDateTime"]
        .as_str()
        .and_then(|e| {
            time::OffsetDateTime::parse(e, &time::format_description::well_known::Rfc3339).ok()
        })
        .is_none_or(|end| end > now)
}

/// The application's keys: unexpired ones kept, each certificate added once by thumbprint.
/// Returns the thumbprints it holds afterwards.
fn upload_certificates(
    client: &AdminClient,
    object_id: &str,
    certs: &[crypto::Certificate],
) -> Result<Vec<String>, CliError> {
    replace_key_credentials(client, &format!("/v1.0/applications/{object_id}"), certs)
}

/// What Update-MgApplication / Update-MgServicePrincipal with the whole keyCredentials list
/// does, as the runbooks write it: the object's unexpired keys kept, expired ones dropped, each
/// certificate added once (by thumbprint). `path` is the object's Graph path. Returns the
/// thumbprints it holds afterwards.
pub fn replace_key_credentials(
    client: &AdminClient,
    path: &str,
    certs: &[crypto::Certificate],
) -> Result<Vec<String>, CliError> {
    let object = client.get(path, &[("$select", "keyCredentials")])?;
    let mut keys: Vec<Value> = object["keyCredentials"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(still_valid)
        .collect();
    for c in certs {
        let present = keys.iter().any(|k| {
            k["customKeyIdentifier"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(c.thumbprint()))
        });
        if !present {
            keys.push(
                json!({"type": "AsymmetricX509Cert", "usage": "Verify", "key": c.to_base64()}),
            );
        }
    }
    client.patch(path, &json!({ "keyCredentials": keys }))?;
    let after = client.get(path, &[])?;
    Ok(after["keyCredentials"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["customKeyIdentifier"].as_str().map(String::from))
        .collect())
}

/// Removes the given certificates (or, with `everything`, every key) from the shared
/// Office 365 Exchange Online principal; the thumbprints removed.
fn remove_from_first_party(
    client: &AdminClient,
    thumbprints: &[String],
    everything: bool,
) -> Result<Vec<String>, CliError> {
    let sp = crate::cloud_cmd::get_sp(client, EXCHANGE_APP_ID, Some("id,appId,keyCredentials"))?;
    let keys: Vec<Value> = sp["keyCredentials"].as_array().cloned().unwrap_or_default();
    let (gone, kept): (Vec<Value>, Vec<Value>) = keys.into_iter().partition(|k| {
        everything
            || k["customKeyIdentifier"]
                .as_str()
                .is_some_and(|t| thumbprints.iter().any(|x| x.eq_ignore_ascii_case(t)))
    });
    if !gone.is_empty() {
        client.patch(
            &format!("/v1.0/servicePrincipals/{}", text(&sp, "id")),
            &json!({ "keyCredentials": kept }),
        )?;
    }
    Ok(gone
        .iter()
        .filter_map(|k| k["customKeyIdentifier"].as_str().map(String::from))
        .collect())
}
