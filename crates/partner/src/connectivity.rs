//! Test-OAuthConnectivity, run where Skype for Business Online's calls start: an empty Bearer
//! to on-premises EWS for its challenge, an ACS actor token for the EWS host, then a GetFolder of
//! the mailbox's inbox under that token, as the cmdlet does. Every step goes into the result's
//! `Detail` (token digests and claims, never tokens).

use crate::PartnerError;
use crate::state::{PartnerState, Settings};
use crate::tokens::TokenSource;
use s2s::connectivity::ValidationResult;
use s2s::ids::{ACS_APP_ID, Audience, EXCHANGE_APP_ID, PrincipalId};
use s2s::token::{OuterToken, UserContext};
use serde::{Deserialize, Serialize};

/// The cmdlet's parameters.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConnectivityTest {
    pub service: String,
    #[serde(default)]
    pub target_uri: Option<String>,
    #[serde(default)]
    pub mailbox: Option<String>,
    #[serde(default)]
    pub app_only: bool,
    #[serde(default)]
    pub use_cached_token: bool,
}

const USER_AGENT: &str = "AMProbe/OAUTH/Exchange";

/// The EWS endpoint a target URI names (the URI itself, or EWS on the server it names).
fn ews_endpoint(target: &str) -> Result<String, PartnerError> {
    ews::autodiscover::ews_endpoint_of(target).ok_or_else(|| {
        PartnerError::BadRequest(format!(
            "TargetUri '{target}' is not an http(s) URI with a host."
        ))
    })
}

/// The resource to ask for: the configured one when the target is the configured EWS, else the
/// target's host in the tenant's realm.
fn resource_for(s: &Settings, url: &str, explicit_target: bool) -> String {
    if !explicit_target || url.eq_ignore_ascii_case(&s.ews_url) {
        return s.resource.clone();
    }
    let host = url
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.split(':').next())
        .unwrap_or("");
    format!("{EXCHANGE_APP_ID}/{host}@{}", s.tenant_id)
}

pub async fn run(
    state: &PartnerState,
    t: &ConnectivityTest,
) -> Result<ValidationResult, PartnerError> {
    if !t.service.eq_ignore_ascii_case("EWS") {
        return Err(PartnerError::BadRequest(format!(
            "Service '{}' is not supported here: use EWS",
            t.service
        )));
    }
    let mailbox = t.mailbox.as_deref().filter(|m| !m.is_empty());
    if mailbox.is_none() {
        return Err(PartnerError::BadRequest(
            "Mailbox is required: the EWS test reads that mailbox's inbox".into(),
        ));
    }
    let s = state.settings().await?;
    let mut log = Log::default();
    log.line(format!("Client request ID: {}", uuid::Uuid::new_v4()));
    let url = match &t.target_uri {
        Some(u) => ews_endpoint(u)?,
        None => discover(state, &s, mailbox.unwrap_or(""), &mut log).await?,
    };
    log.line(format!(
        "Service: EWS. Target: {url}. Mailbox: {}.",
        mailbox.unwrap_or("")
    ));
    let ok = probe(state, &s, &url, mailbox.unwrap_or(""), t, &mut log).await;
    Ok(ValidationResult::ews_call(log.0, ok))
}

/// The configured EWS URL, or the mailbox's from Autodiscover (logged).
async fn discover(
    state: &PartnerState,
    s: &Settings,
    mailbox: &str,
    log: &mut Log,
) -> Result<String, PartnerError> {
    if !s.ews_url.is_empty() {
        return Ok(s.ews_url.clone());
    }
    let user = crate::admin_types::PartnerUser {
        smtp: mailbox.to_string(),
        ..Default::default()
    };
    let token = state.token_for(s, &user).await?;
    let url = state.ews_url(s, mailbox, &token).await?;
    log.line(format!(
        "[Autodiscover] {} at {}: {url}",
        s.ews_url_setting,
        s.autodiscover_url.as_deref().unwrap_or("")
    ));
    Ok(url)
}

#[derive(Default)]
struct Log(Vec<String>);

impl Log {
    fn line(&mut self, l: String) {
        self.0.push(l);
    }
}

/// The three steps; false at the first that fails (each failure explained in the log).
async fn probe(
    state: &PartnerState,
    s: &Settings,
    url: &str,
    mailbox: &str,
    t: &ConnectivityTest,
    log: &mut Log,
) -> bool {
    challenge(state, s, url, log).await;
    let resource = resource_for(s, url, t.target_uri.is_some());
    let Some(actor) = actor_token(state, s, &resource, t.use_cached_token, log).await else {
        return false;
    };
    let (token, impersonate) = if t.app_only {
        log.line("[OAuthCredentials:Authenticate] app-only: the actor token itself, impersonating the mailbox".into());
        (actor, Some(mailbox))
    } else {
        match outer_token(s, &actor, mailbox, log) {
            Some(outer) => (outer, None),
            None => return false,
        }
    };
    get_inbox(state, url, &token, impersonate, log).await
}

async fn challenge(state: &PartnerState, s: &Settings, url: &str, log: &mut Log) {
    log.line("[OAuthCredentials:Authenticate] sending an empty Bearer to get the challenge".into());
    let resp = state
        .ews
        .http()
        .post(url)
        .header("authorization", "Bearer")
        .header("user-agent", USER_AGENT)
        .header("content-type", "text/xml; charset=utf-8")
        .send()
        .await;
    let header = resp.as_ref().ok().and_then(|r| {
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    match (resp, header) {
        (Err(e), _) => log.line(format!(
            "[OAuthCredentials:Authenticate] {url} cannot be reached: {e}"
        )),
        (Ok(r), None) => log.line(format!(
            "[OAuthCredentials:Authenticate] no Bearer challenge from '{url}' (HTTP {})",
            r.status().as_u16()
        )),
        (Ok(_), Some(h)) => {
            log.line(format!(
                "[OAuthCredentials:Authenticate] challenge from '{url}' received: {h}"
            ));
            let wanted = format!("{ACS_APP_ID}@{}", s.tenant_id);
            let trusted = s2s::BearerChallenge::parse(&h)
                .map(|c| c.trusted_issuers)
                .unwrap_or_default();
            if trusted.iter().any(|i| {
                i.eq_ignore_ascii_case(&wanted)
                    || i.eq_ignore_ascii_case(&format!("{ACS_APP_ID}@*"))
            }) {
                log.line(format!("[OAuthCredentials:Authenticate] the target trusts the token service of realm {}", s.tenant_id));
            } else {
                log.line(format!("[OAuthCredentials:Authenticate] warning: {wanted} is not among the target's trusted issuers (run hybrid doctor)"));
            }
        }
    }
}

async fn actor_token(
    state: &PartnerState,
    s: &Settings,
    resource: &str,
    use_cached: bool,
    log: &mut Log,
) -> Option<String> {
    if !use_cached {
        state.tokens.forget(resource);
    }
    log.line(format!(
        "[OAuthCredentials:Authenticate] requesting an actor token for resource {resource} from {}",
        s.token_endpoint
    ));
    let src = TokenSource {
        tenant: s.tenant_id.clone(),
        token_endpoint: s.token_endpoint.clone(),
        client_app_id: s.client_app_id.clone(),
    };
    match state
        .tokens
        .actor_token(&src, &state.signing(), resource)
        .await
    {
        Ok(token) => {
            let claims = s2s::Jwt::decode(&token).map(|j| j.claims).ok();
            let c = |f: fn(&s2s::Claims) -> Option<String>| {
                claims.as_ref().and_then(f).unwrap_or_default()
            };
            log.line(format!(
                "[OAuthCredentials:Authenticate] actor token {}: iss={} nameid={} aud={}",
                s2s::jwt::token_digest(&token),
                c(|x| x.iss.clone()),
                c(|x| x.nameid.clone()),
                c(|x| x.aud.clone()),
            ));
            Some(token)
        }
        Err(e) => {
            log.line(format!(
                "[OAuthCredentials:Authenticate] [{}] {e}",
                e.code()
            ));
            None
        }
    }
}

fn outer_token(s: &Settings, actor: &str, mailbox: &str, log: &mut Log) -> Option<String> {
    let aud = s2s::Jwt::decode(actor)
        .ok()
        .and_then(|j| j.claims.aud)
        .as_deref()
        .and_then(Audience::parse);
    let Some(aud) = aud else {
        log.line("[OAuthCredentials:Authenticate] the actor token has no audience".into());
        return None;
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let user = UserContext {
        smtp: Some(mailbox.to_string()),
        ..Default::default()
    };
    let issuer = PrincipalId::new(&s.client_app_id, &s.tenant_id);
    let outer = OuterToken {
        actor_token: actor,
        audience: &aud,
        issuer: &issuer,
        not_before: now,
        expires: now + 3600,
        user: &user,
    }
    .encode();
    log.line(format!(
        "[OAuthCredentials:Authenticate] outer token {} (unsigned): iss={issuer} aud={aud} smtp={mailbox}",
        s2s::jwt::token_digest(&outer)
    ));
    Some(outer)
}

async fn get_inbox(
    state: &PartnerState,
    url: &str,
    token: &str,
    impersonate: Option<&str>,
    log: &mut Log,
) -> bool {
    let op = crate::ewsclient::get_folder("inbox", impersonate);
    log.line(format!("[EWS] GetFolder inbox (IdOnly) at {url}"));
    match state.ews.call_as(url, token, &op, USER_AGENT).await {
        Ok(_) => {
            log.line("[EWS] ResponseCode NoError: the call under OAuth succeeded".into());
            true
        }
        Err(e) => {
            log.line(format!("[EWS] refused: [{}] {e}", e.code()));
            false
        }
    }
}
