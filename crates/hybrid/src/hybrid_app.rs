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
use cloud::admin_types::{GraphCollection, NewServicePrincipal};
use cloud::apps::{
    AppRoleAssignment, Application, ApplicationInput, AssignmentInput, FULL_ACCESS_AS_APP_ID,
    RequiredResourceAccess, ResourceAccess,
};
use cloud::model::{KeyCredential, ServicePrincipal};
use onprem::model::{AuthServer, AuthServerType};
use reqwest::Method;
use s2s::graph::SelectedKeyCredentials;
use s2s::ids::EXCHANGE_APP_ID;
use std::collections::BTreeMap;
use std::path::PathBuf;

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
        let app_id = app.app_id.clone();
        rows.push(("ApplicationId", app_id.clone()));
        rows.push(("DisplayName", app.display_name.clone()));
        if a.mode == Mode::Full {
            let sp = ensure_service_principal(client, &app_id)?;
            rows.push(("ServicePrincipalId", sp.id.clone()));
            ensure_consent(client, &sp)?;
            rows.push(("AdminConsent", "full_access_as_app".into()));
        }
        let keys = upload_certificates(client, &app.id, &certs)?;
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
    let obj: BTreeMap<&str, &str> = rows.iter().map(|(k, v)| (*k, v.as_str())).collect();
    out.record(&rows, &obj);
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
    let servers: Vec<AuthServer> = crate::onprem_cmd::cmdlet(&onprem, "Get-AuthServer")?;
    // The tenant's Entra AuthServer (EvoSts, Type AzureAD) when there is one, else ACS's.
    let entra = servers.iter().find(|s| s.kind == AuthServerType::AzureAD);
    let acs = servers.iter().find(|s| {
        s.issuer_identifier
            .eq_ignore_ascii_case(s2s::ids::ACS_APP_ID)
    });
    let Some(name) = entra.or(acs).map(|s| s.name.as_str()) else {
        return Ok(by_hand("WindowsAzureACS"));
    };
    let params = admin::Parameters::new()
        .with("Identity", name)
        .with("ApplicationIdentifier", app_id)
        .with("DomainName", domains);
    crate::onprem_cmd::with::<serde::de::IgnoredAny>(&onprem, "Set-AuthServer", params)?;
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

fn find_or_create_application(
    client: &AdminClient,
    name: &str,
    create: bool,
) -> Result<Application, CliError> {
    let apps: GraphCollection<Application> = client.fetch("/v1.0/applications", &[])?;
    let found = apps
        .value
        .into_iter()
        .find(|a| a.display_name.eq_ignore_ascii_case(name));
    match found {
        Some(a) => Ok(a),
        None if create => {
            let new = ApplicationInput {
                display_name: Some(name.into()),
                sign_in_audience: Some("AzureADMyOrg".into()),
                required_resource_access: Some(vec![RequiredResourceAccess {
                    resource_app_id: EXCHANGE_APP_ID.into(),
                    resource_access: vec![ResourceAccess {
                        id: FULL_ACCESS_AS_APP_ID.into(),
                        kind: "Role".into(),
                    }],
                }]),
                ..Default::default()
            };
            client.send(Method::POST, "/v1.0/applications", &new)
        }
        None => Err(CliError::Refused {
            code: crate::error::Code::ApplicationNotFound,
            message: format!(
                "no application named '{name}' in the tenant; run with --mode full first"
            ),
        }),
    }
}

fn ensure_service_principal(
    client: &AdminClient,
    app_id: &str,
) -> Result<ServicePrincipal, CliError> {
    let filter = format!("appId eq '{app_id}'");
    let found: GraphCollection<ServicePrincipal> =
        client.fetch("/v1.0/servicePrincipals", &[("$filter", &filter)])?;
    if let Some(sp) = found.value.into_iter().next() {
        return Ok(sp);
    }
    let new = NewServicePrincipal {
        app_id: app_id.into(),
    };
    client.send(Method::POST, "/v1.0/servicePrincipals", &new)
}

/// Admin consent to full_access_as_app on Office 365 Exchange Online, once.
fn ensure_consent(client: &AdminClient, sp: &ServicePrincipal) -> Result<(), CliError> {
    let exchange = crate::cloud_cmd::get_sp(client, EXCHANGE_APP_ID, Some("id,appId"))?;
    let path = format!("/v1.0/servicePrincipals/{}/appRoleAssignments", sp.id);
    let granted: GraphCollection<AppRoleAssignment> = client.fetch(&path, &[])?;
    let already = granted
        .value
        .iter()
        .any(|g| g.resource_id == exchange.id && g.app_role_id == FULL_ACCESS_AS_APP_ID);
    if !already {
        let grant = AssignmentInput {
            principal_id: sp.id.clone(),
            resource_id: exchange.id,
            app_role_id: FULL_ACCESS_AS_APP_ID.into(),
        };
        client.send::<_, serde::de::IgnoredAny>(Method::POST, &path, &grant)?;
    }
    Ok(())
}

fn still_valid(k: &KeyCredential) -> bool {
    let now = time::OffsetDateTime::now_utc();
    k.end_date_time
        .as_deref()
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
    let object: SelectedKeyCredentials = client.fetch(path, &[("$select", "keyCredentials")])?;
    let mut keys: Vec<KeyCredential> = object
        .key_credentials
        .into_iter()
        .filter(still_valid)
        .collect();
    for c in certs {
        let present = keys.iter().any(|k| {
            k.custom_key_identifier
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(c.thumbprint()))
        });
        if !present {
            keys.push(KeyCredential {
                key_type: Some("AsymmetricX509Cert".into()),
                usage: Some("Verify".into()),
                key: Some(c.to_base64()),
                ..Default::default()
            });
        }
    }
    let whole = SelectedKeyCredentials {
        key_credentials: keys,
    };
    client.patch(path, &whole)?;
    let after: SelectedKeyCredentials = client.fetch(path, &[])?;
    Ok(thumbprints(&after.key_credentials))
}

fn thumbprints(keys: &[KeyCredential]) -> Vec<String> {
    keys.iter()
        .filter_map(|k| k.custom_key_identifier.clone())
        .collect()
}

/// Removes the given certificates (or, with `everything`, every key) from the shared
/// Office 365 Exchange Online principal; the thumbprints removed.
fn remove_from_first_party(
    client: &AdminClient,
    thumbprints: &[String],
    everything: bool,
) -> Result<Vec<String>, CliError> {
    let sp = crate::cloud_cmd::get_sp(client, EXCHANGE_APP_ID, Some("id,appId,keyCredentials"))?;
    let (gone, kept): (Vec<KeyCredential>, Vec<KeyCredential>) =
        sp.key_credentials.into_iter().partition(|k| {
            everything
                || k.custom_key_identifier
                    .as_deref()
                    .is_some_and(|t| thumbprints.iter().any(|x| x.eq_ignore_ascii_case(t)))
        });
    if !gone.is_empty() {
        let whole = SelectedKeyCredentials {
            key_credentials: kept,
        };
        client.patch(&format!("/v1.0/servicePrincipals/{}", sp.id), &whole)?;
    }
    Ok(self::thumbprints(&gone))
}
