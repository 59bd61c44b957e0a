//! Test-OAuthConnectivity on premises: what the organization does before it calls a service
//! under OAuth. In the dedicated hybrid application's mode (since 2025, CVE-2025-53786) it asks
//! the tenant's token endpoint for an application token as the dedicated Exchange hybrid
//! application (client credentials, a client assertion signed with the current auth
//! certificate) and calls GetFolder on the mailbox's inbox at the target EWS under that token,
//! impersonating the mailbox. In the shared mode it asks ACS for an actor token as Exchange
//! (00000002-…, the same assertion grant the partner uses, signed with the auth certificate)
//! and calls GetFolder acting as the mailbox in an outer token, as Exchange's cross-premises
//! calls do. Every step goes into the result's `Detail` (digests and claims, never tokens);
//! each token request is an outbound handshake event.

use crate::OnPremError;
use crate::connectivity_acs as shared;
use crate::model::{AuthServer, CmdletObject, ValidationResult};
use crate::objects::all;
use crate::params::Params;
use crate::state::OnPremState;
use crate::token_request::request_token;
use ews::{FolderRef, Operation, Request, Response, Shape};
use s2s::entra::EntraClientAssertion;
use s2s::ids::EXCHANGE_APP_ID;
use store::HandshakeEvent;

const USER_AGENT: &str = "AMProbe/OAUTH/Exchange";
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The dedicated application as an AuthServer names it, and where to get its tokens.
struct Dedicated {
    app_id: String,
    realm: String,
    token_endpoint: String,
    trust_any: bool,
}

/// The enabled AuthServer naming the dedicated application. Its Entra v2 token endpoint: the
/// AuthServer's own when it is one (an AzureAD AuthServer), else the tenant's at the same
/// authority (an ACS AuthServer's endpoint takes S2S assertions, not client credentials).
async fn dedicated(state: &OnPremState) -> Result<Option<Dedicated>, OnPremError> {
    for a in all::<AuthServer>(&state.store).await? {
        let d = a.value;
        let app_id = d.application_identifier;
        if !d.enabled || app_id.is_empty() {
            continue;
        }
        let endpoint = d.token_issuing_endpoint;
        let realm = d.realm;
        let token_endpoint = if endpoint.contains("/oauth2/") {
            endpoint
        } else {
            let authority = endpoint.split('/').take(3).collect::<Vec<_>>().join("/");
            format!("{authority}/{realm}/oauth2/v2.0/token")
        };
        return Ok(Some(Dedicated {
            app_id,
            realm,
            token_endpoint,
            trust_any: d.trust_any_ssl_certificate,
        }));
    }
    Ok(None)
}

/// The EWS endpoint a target URI names (the URI itself, or EWS on the server it names).
fn ews_endpoint(target: &str) -> Result<String, OnPremError> {
    ews::autodiscover::ews_endpoint_of(target).ok_or_else(|| {
        OnPremError::InvalidArgument(format!(
            "TargetUri '{target}' is not an http(s) URI with a host."
        ))
    })
}

pub async fn test_oauth_connectivity(
    state: &OnPremState,
    p: &Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    crate::safety::check_parameters("Test-OAuthConnectivity", p)?;
    let service = p.required("Service")?;
    if !service.eq_ignore_ascii_case("EWS") {
        return Err(OnPremError::InvalidArgument(format!(
            "Service '{service}' is not supported here: use EWS."
        )));
    }
    let url = ews_endpoint(&p.required("TargetUri")?)?;
    let mailbox = p.required("Mailbox")?;
    let mut log = vec![
        format!("Client request ID: {}", uuid::Uuid::new_v4()),
        format!("Service: EWS. Target: {url}. Mailbox: {mailbox}."),
    ];
    let ok = probe(state, &url, &mailbox, &mut log).await?;
    Ok(vec![ValidationResult::ews_call(log, ok).into()])
}

async fn probe(
    state: &OnPremState,
    url: &str,
    mailbox: &str,
    log: &mut Vec<String>,
) -> Result<bool, OnPremError> {
    // The AuthServer's TrustAnySSLCertificate covers its own endpoint, as the target's here.
    let (token, impersonate, http) = match dedicated(state).await? {
        Some(app) => {
            let http = client(app.trust_any)?;
            let Some(token) = app_token(state, &http, &app, log).await? else {
                return Ok(false);
            };
            (token, true, http)
        }
        None => {
            let Some(acs) = shared::acs(state).await? else {
                log.push("[OAuthCredentials:Authenticate] no enabled AuthServer trusts ACS (00000001-…) and none names a dedicated Exchange hybrid application: run step 1 (New-AuthServer) first".into());
                return Ok(false);
            };
            let http = client(acs.trust_any)?;
            let Some(token) = shared::actor_token(state, &http, &acs, url, mailbox, log).await?
            else {
                return Ok(false);
            };
            (token, false, http)
        }
    };
    let mut request = Request::new(Operation::GetFolder(ews::GetFolder {
        shape: Shape::id_only(),
        folder_ids: vec![FolderRef::distinguished("inbox")],
    }));
    if impersonate {
        request.header.impersonation = Some(ews::ConnectingSid::SmtpAddress(mailbox.into()));
        log.push(format!(
            "[EWS] GetFolder inbox (IdOnly) at {url}, impersonating {mailbox}"
        ));
    } else {
        log.push(format!(
            "[EWS] GetFolder inbox (IdOnly) at {url}, acting as {mailbox}"
        ));
    }
    let resp = http
        .post(url)
        .header("user-agent", USER_AGENT)
        .header("content-type", "text/xml; charset=utf-8")
        .bearer_auth(&token)
        .body(request.to_xml())
        .send()
        .await;
    let resp = match resp {
        Ok(r) => r,
        Err(e) => {
            log.push(format!("[EWS] {url} cannot be reached: {e}"));
            return Ok(false);
        }
    };
    let status = resp.status().as_u16();
    let diagnostics = resp
        .headers()
        .get("x-ms-diagnostics")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp.text().await.unwrap_or_default();
    let verdict = match Response::parse(&body) {
        Ok(r) => match r.messages.first() {
            Some(m) if m.code == "NoError" => None,
            Some(m) => Some(format!(
                "ResponseCode {}: {}",
                m.code,
                m.text.as_deref().unwrap_or("")
            )),
            None => Some("an EWS response without messages".into()),
        },
        Err(Ok(f)) => Some(format!("fault {}: {}", f.code, f.message)),
        Err(Err(_)) => Some(format!(
            "HTTP {status}{}",
            diagnostics
                .map(|d| format!(" (x-ms-diagnostics: {d})"))
                .unwrap_or_default()
        )),
    };
    match verdict {
        None => {
            log.push("[EWS] ResponseCode NoError: the call under OAuth succeeded".into());
            Ok(true)
        }
        Some(why) => {
            log.push(format!("[EWS] refused: {why}"));
            Ok(false)
        }
    }
}

fn client(trust_any: bool) -> Result<reqwest::Client, OnPremError> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .danger_accept_invalid_certs(trust_any)
        .build()
        .map_err(|e| OnPremError::Internal(e.to_string()))
}

/// A v2 application token for Exchange (`00000002-…/.default`) as the dedicated application.
async fn app_token(
    state: &OnPremState,
    http: &reqwest::Client,
    app: &Dedicated,
    log: &mut Vec<String>,
) -> Result<Option<String>, OnPremError> {
    let (cert, key) = crate::outbound::current_auth_certificate(state).await?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let jti = uuid::Uuid::new_v4().to_string();
    let assertion = EntraClientAssertion {
        client_id: &app.app_id,
        token_endpoint: &app.token_endpoint,
        jti: &jti,
        not_before: now,
        expires: now + 600,
    }
    .sign(&key, &cert);
    let scope = format!("{EXCHANGE_APP_ID}/.default");
    log.push(format!(
        "[OAuthCredentials:Authenticate] requesting a token for {scope} from {} as the dedicated application {} (client assertion signed with the auth certificate {})",
        app.token_endpoint, app.app_id, cert.thumbprint()
    ));
    let started = std::time::Instant::now();
    let event = HandshakeEvent {
        direction: "outbound".into(),
        token_kind: "ClientAssertion".into(),
        issuer: app.app_id.clone(),
        audience: app.token_endpoint.clone(),
        nameid: format!("{}@{}", app.app_id, app.realm),
        digest: s2s::jwt::token_digest(&assertion),
        ..Default::default()
    };
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", app.app_id.as_str()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion.as_str()),
        ("scope", scope.as_str()),
    ];
    Ok(request_token(state, http, &app.token_endpoint, &form, event, started, log).await)
}
