//! Reading the facts: the on-premises cmdlets and the cloud's Graph API, with the admin
//! credentials kept under the data folder; each AuthServer's metadata fetched as the on-premises
//! server would; each server's clock from its HTTP `Date`.

use super::checks::{Facts, HybridAppFacts, MetadataFetch};
use crate::client::AdminClient;
use crate::cloud_cmd::{known_tenants, service_principal, tenant_domains};
use crate::error::CliError;
use crate::onprem_cmd::cmdlet;
use crate::paths::{DataDir, read_credential};
use cloud::admin_types::GraphCollection;
use onprem::model::{AuthServer, AuthServerType, Organization};
use s2s::ids::{EXCHANGE_APP_ID, SKYPE_APP_ID};
use time::{Duration, OffsetDateTime};

pub fn gather(
    data: &DataDir,
    tenant: Option<&str>,
    at: OffsetDateTime,
    within_days: i64,
) -> Result<Facts, CliError> {
    let cloud_url = data.server_url("cloud", None)?;
    let onprem_url = data.server_url("onprem", None)?;
    let onprem = onprem_client(data, &onprem_url)?;
    // With several tenants known here and none named, the one the organization trusts: the
    // realm of its AuthServers.
    let auth_servers: Vec<AuthServer> = cmdlet(&onprem, "Get-AuthServer")?;
    let known = known_tenants(data);
    let trusted = match tenant {
        None if known.len() > 1 => auth_servers
            .iter()
            .map(|a| a.realm.as_str())
            .find(|realm| known.iter().any(|(id, _)| id.eq_ignore_ascii_case(realm)))
            .map(str::to_string),
        _ => None,
    };
    let (cloud, tenant_id) = tenant_client(data, &cloud_url, tenant.or(trusted.as_deref()))?;
    let mut clocks = vec![
        ("cloud".to_string(), skew(data, "cloud", &cloud_url)),
        ("onprem".to_string(), skew(data, "onprem", &onprem_url)),
    ];
    if let Ok(u) = data.server_url("partner", None) {
        clocks.push(("partner".into(), skew(data, "partner", &u)));
    }
    let urls = recorded_urls(data);
    let org: Organization = first(cmdlet(&onprem, "Get-OrganizationConfig")?);
    let hma = if super::hma::configured(&org, &auth_servers) {
        Some(hma_facts(data, &cloud, &onprem, &onprem_url, &org)?)
    } else {
        None
    };
    Ok(Facts {
        hma,
        urls,
        at,
        within: Duration::days(within_days),
        tenant_domains: tenant_domains(&cloud)?,
        org,
        auth_config: first(cmdlet(&onprem, "Get-AuthConfig")?),
        certificates: cmdlet(&onprem, "Get-ExchangeCertificate")?,
        partner_applications: cmdlet(&onprem, "Get-PartnerApplication")?,
        role_assignments: cmdlet(&onprem, "Get-ManagementRoleAssignment")?,
        mail_users: cmdlet(&onprem, "Get-MailUser")?,
        exchange_sp: service_principal(&cloud, EXCHANGE_APP_ID)?,
        skype_sp: service_principal(&cloud, SKYPE_APP_ID)?,
        hybrid_app: hybrid_app(&cloud, &auth_servers)?,
        partner_signing_thumbprint: partner_signing_thumbprint(data),
        metadata: auth_servers
            .iter()
            .map(|a| fetch_metadata(data, a))
            .collect(),
        teams: teams(data, &cloud, &onprem)?,
        auth_servers,
        clocks,
        cloud_url,
        tenant_id,
    })
}

/// What the HMA checks read: recipients, users, consents, and the challenge a client's
/// discovery gets at on-premises EWS.
fn hma_facts(
    data: &DataDir,
    cloud: &AdminClient,
    onprem: &AdminClient,
    onprem_url: &str,
    org: &Organization,
) -> Result<super::hma::HmaFacts, CliError> {
    let id = |app: &str| -> Result<String, CliError> { Ok(service_principal(cloud, app)?.id) };
    let mut client_urls = vec![onprem_url.to_string()];
    if !org.ews_url.is_empty() {
        client_urls.push(org.ews_url.clone());
    }
    let challenge = crate::devca::client(data)
        .post(format!("{onprem_url}/EWS/Exchange.asmx"))
        .header("authorization", "Bearer")
        .send()
        .map_err(|e| e.to_string())
        .and_then(|r| {
            r.headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .ok_or_else(|| format!("answered {} with no WWW-Authenticate", r.status()))
        });
    Ok(super::hma::HmaFacts {
        client_urls,
        recipients: cmdlet(onprem, "Get-Recipient")?,
        users: cloud.fetch::<GraphCollection<_>>("/v1.0/users", &[])?.value,
        grants: cloud
            .fetch::<GraphCollection<_>>("/v1.0/oauth2PermissionGrants", &[])?
            .value,
        outlook_sp_id: id(super::hma::OUTLOOK)?,
        exchange_sp_id: id(EXCHANGE_APP_ID)?,
        challenge,
    })
}

/// The Teams edition's facts, when the partner's settings say it runs that edition.
fn teams(
    data: &DataDir,
    cloud: &AdminClient,
    onprem: &AdminClient,
) -> Result<Option<super::checks::TeamsFacts>, CliError> {
    let Ok(url) = data.server_url("partner", None) else {
        return Ok(None);
    };
    let Ok(credential) = read_credential(&data.role("partner").join("operator.credential")) else {
        return Ok(None);
    };
    let partner = data.client("partner", &url, &credential);
    let teams = partner
        .wait(partner.partner().settings())
        .is_ok_and(|s| s.is_teams());
    if !teams {
        return Ok(None);
    }
    Ok(Some(super::checks::TeamsFacts {
        scheduler_sp: service_principal(cloud, s2s::ids::TEAMS_SCHEDULER_APP_ID)?,
        voicemail_sp: service_principal(cloud, s2s::ids::CLOUD_VOICEMAIL_APP_ID)?,
        management_roles: cmdlet(onprem, "Get-ManagementRole")?,
    }))
}

/// Each role's URL recorded under the data folder.
fn recorded_urls(data: &DataDir) -> Vec<(String, String)> {
    ["cloud", "onprem", "partner"]
        .iter()
        .filter_map(|r| data.server_url(r, None).ok().map(|u| (r.to_string(), u)))
        .collect()
}

/// The report when the cloud or the on-premises server does not answer: each server that does
/// not, with the command that starts it; the trust itself cannot be checked until they do.
pub fn unreachable(data: &DataDir, why: &str) -> Vec<super::checks::Check> {
    use super::checks::{Check, Finding, Flow, breaks, server_unreachable, warning};
    let urls = recorded_urls(data);
    let mut findings: Vec<Finding> = urls
        .iter()
        .filter_map(|(role, url)| {
            skew(data, role, url)
                .err()
                .map(|e| server_unreachable(role, &e, &urls))
        })
        .collect();
    if findings.is_empty() {
        findings.push(breaks(
            "ServerUnreachable",
            &Flow::ALL,
            format!("a server stopped answering while the doctor read it: {why}"),
            vec!["hybrid doctor".into()],
        ));
    }
    vec![
        Check::new("Servers", findings),
        Check::new(
            "Trust",
            vec![warning(
                "TrustNotChecked",
                "the trust's checks read the cloud and on-premises servers; they run again once both answer".into(),
                vec!["hybrid doctor".into()],
            )],
        ),
    ]
}

pub(crate) fn onprem_client(data: &DataDir, url: &str) -> Result<AdminClient, CliError> {
    let file = data.role("onprem").join("admin.credential");
    let credential = read_credential(&file).map_err(|_| CliError::Refused {
        code: crate::error::Code::NotConnected,
        message: format!(
            "no organization admin credential at {} (run `hybrid onprem new-organization`)",
            file.display()
        ),
    })?;
    Ok(data.client("onprem", url, &credential))
}

pub(crate) fn tenant_client(
    data: &DataDir,
    url: &str,
    tenant: Option<&str>,
) -> Result<(AdminClient, String), CliError> {
    let known = known_tenants(data);
    let chosen = match tenant {
        Some(t) => known.iter().find(|(id, _)| id.eq_ignore_ascii_case(t)),
        None if known.len() == 1 => known.first(),
        None if known.len() > 1 => {
            return Err(CliError::Usage(
                "more than one tenant is known here; pass --tenant ID".into(),
            ));
        }
        None => None,
    };
    let (id, file) = chosen.ok_or_else(|| CliError::Refused {
        code: crate::error::Code::NotConnected,
        message: "no tenant admin credential under DIR/cloud/tenants (run `hybrid cloud new-tenant` or `hybrid cloud connect`)".into(),
    })?;
    Ok((
        data.client("cloud", url, &read_credential(file)?),
        id.clone(),
    ))
}

/// The first object a cmdlet answered (the organization's one AuthConfig), or an empty one.
fn first<T: Default>(objects: Vec<T>) -> T {
    objects.into_iter().next().unwrap_or_default()
}

/// The dedicated application named on an AuthServer, with its keys and whether it holds
/// admin consent to Exchange's full_access_as_app.
fn hybrid_app(
    cloud: &AdminClient,
    auth_servers: &[AuthServer],
) -> Result<Option<HybridAppFacts>, CliError> {
    let Some(app_id) = auth_servers
        .iter()
        .map(|a| a.application_identifier.as_str())
        .find(|id| !id.is_empty())
    else {
        return Ok(None);
    };
    let path = format!("/v1.0/applications/{app_id}");
    let app = match cloud.fetch::<cloud::apps::Application>(&path, &[]) {
        Ok(a) => a,
        Err(CliError::Refused {
            code: crate::error::Code::RequestResourceNotFound,
            ..
        }) => {
            return Ok(Some(HybridAppFacts {
                app_id: app_id.into(),
                ..Default::default()
            }));
        }
        Err(e) => return Err(e),
    };
    let filter = format!("appId eq '{app_id}'");
    let sps: GraphCollection<cloud::model::ServicePrincipal> =
        cloud.fetch("/v1.0/servicePrincipals", &[("$filter", &filter)])?;
    let exchange = service_principal(cloud, EXCHANGE_APP_ID)?;
    let consent = match sps.value.first() {
        Some(sp) => {
            let granted: GraphCollection<cloud::apps::AppRoleAssignment> = cloud.fetch(
                &format!("/v1.0/servicePrincipals/{}/appRoleAssignments", sp.id),
                &[],
            )?;
            granted.value.iter().any(|g| {
                g.resource_id == exchange.id && g.app_role_id == cloud::apps::FULL_ACCESS_AS_APP_ID
            })
        }
        None => false,
    };
    // The tenant's limit on application certificate lifetimes, and what it applies to.
    let policy = cloud.fetch("/v1.0/policies/defaultAppManagementPolicy", &[])?;
    Ok(Some(HybridAppFacts {
        app_id: app_id.into(),
        found: true,
        key_credentials: app.key_credentials,
        consent,
        created_date_time: app.created_date_time,
        policy: Some(policy),
    }))
}

fn partner_signing_thumbprint(data: &DataDir) -> Option<String> {
    let der = std::fs::read(data.role("partner").join("signing.cer")).ok()?;
    crypto::Certificate::from_der_or_pem(&der)
        .ok()
        .map(|c| c.thumbprint().to_string())
}

/// A client for public documents: no credential is ever sent to a URL read from configuration.
fn public_client(data: &DataDir) -> reqwest::blocking::Client {
    let mut b = reqwest::blocking::Client::builder().timeout(std::time::Duration::from_secs(10));
    for role in ["cloud", "onprem", "partner"] {
        if let Some(c) = std::fs::read(data.role(role).join("server.crt"))
            .ok()
            .and_then(|pem| reqwest::Certificate::from_pem(&pem).ok())
        {
            b = b.add_root_certificate(c);
        }
    }
    b.build().expect("an HTTP client builds")
}

fn fetch_metadata(data: &DataDir, auth_server: &AuthServer) -> MetadataFetch {
    let url = auth_server.auth_metadata_url.clone();
    let document = public_client(data)
        .get(&url)
        .send()
        .map_err(|e| e.to_string())
        .and_then(|r| {
            if r.status().is_success() {
                r.bytes().map_err(|e| e.to_string())
            } else {
                Err(format!("HTTP {}", r.status().as_u16()))
            }
        })
        .and_then(|b| {
            if auth_server.kind == AuthServerType::AzureAD {
                return entra_metadata(data, &b);
            }
            let m = s2s::metadata::MetadataDocument::parse(&b).map_err(|e| e.to_string())?;
            let realm = m.identity().map_err(|e| e.to_string())?.realm;
            let certs = m.signing_certificates().map_err(|e| e.to_string())?;
            Ok((
                realm,
                certs.iter().map(|c| c.thumbprint().to_string()).collect(),
            ))
        });
    MetadataFetch {
        auth_server: auth_server.name.clone(),
        url,
        document,
    }
}

/// An Entra tenant's document, as an AzureAD AuthServer reads it: WS-Federation metadata, or
/// an OpenID configuration whose `jwks_uri` holds the keys. (tenant id, signing thumbprints).
fn entra_metadata(data: &DataDir, body: &[u8]) -> Result<(String, Vec<String>), String> {
    let tenant = |issuer: &str| {
        issuer
            .split('/')
            .find(|s| uuid::Uuid::parse_str(s).is_ok())
            .unwrap_or_default()
            .to_string()
    };
    let thumbprint = |b64: &str| {
        crypto::Certificate::from_base64(b64)
            .map(|c| c.thumbprint().to_string())
            .map_err(|e| e.to_string())
    };
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        let m = s2s::federation::FederationMetadata::parse(body).map_err(|e| e.to_string())?;
        let thumbs = m
            .signing_certificates
            .iter()
            .map(|c| thumbprint(c))
            .collect::<Result<_, _>>()?;
        return Ok((tenant(&m.entity_id), thumbs));
    }
    let oidc: s2s::entra::OpenIdConfiguration =
        serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let jwks: s2s::entra::KeySet = public_client(data)
        .get(&oidc.jwks_uri)
        .send()
        .and_then(|r| r.json())
        .map_err(|e| e.to_string())?;
    let thumbs = jwks
        .certificates()
        .iter()
        .map(|c| thumbprint(c))
        .collect::<Result<_, _>>()?;
    Ok((tenant(&oidc.issuer), thumbs))
}

/// The server's clock minus this machine's, in whole seconds (HTTP dates have no fraction).
fn skew(data: &DataDir, role: &str, url: &str) -> Result<i64, String> {
    let before = OffsetDateTime::now_utc();
    let resp = public_client(data)
        .get(format!("{url}/health"))
        .send()
        .map_err(|e| e.to_string())?;
    let after = OffsetDateTime::now_utc();
    let header = resp
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("the {role} server sent no Date header"))?;
    let server: OffsetDateTime = httpdate::parse_http_date(header)
        .map(OffsetDateTime::from)
        .map_err(|e| e.to_string())?;
    let local: OffsetDateTime = before + (after - before) / 2;
    let d = (server - local).whole_seconds();
    // A Date header is truncated to the second: under a second apart is no skew.
    Ok(if d.abs() <= 1 { 0 } else { d })
}
