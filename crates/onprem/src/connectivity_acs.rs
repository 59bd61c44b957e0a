//! Test-OAuthConnectivity's shared-mode path: an ACS actor token as Exchange (00000002-…),
//! got with the assertion grant signed by the auth certificate (the key step 1 uploads to
//! 00000002-…), wrapped in an unsigned outer token naming the mailbox.

use crate::OnPremError;
use crate::model::AuthServer;
use crate::objects::all;
use crate::state::OnPremState;
use crate::token_request::request_token;
use s2s::ids::{ACS_APP_ID, Audience, EXCHANGE_APP_ID, PrincipalId};
use s2s::token::{ClientAssertion, OuterToken, UserContext};
use store::HandshakeEvent;

/// The enabled ACS AuthServer of step 1: where ACS issues tokens, and for which realm.
pub(crate) struct Acs {
    realm: String,
    token_endpoint: String,
    pub(crate) trust_any: bool,
}

pub(crate) async fn acs(state: &OnPremState) -> Result<Option<Acs>, OnPremError> {
    for a in all::<AuthServer>(&state.store).await? {
        let d = a.value;
        if !d.enabled
            || !d.issuer_identifier.eq_ignore_ascii_case(ACS_APP_ID)
            || d.token_issuing_endpoint.is_empty()
        {
            continue;
        }
        return Ok(Some(Acs {
            realm: d.realm,
            token_endpoint: d.token_issuing_endpoint,
            trust_any: d.trust_any_ssl_certificate,
        }));
    }
    Ok(None)
}

/// A URL's authority (host and port): ACS's assertion audience names its endpoint so.
fn authority(url: &str) -> &str {
    url.split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or("")
}

/// The host of a URL (no port), lower-cased.
fn host_of(url: &str) -> String {
    let authority = authority(url);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority.split(':').next().unwrap_or(authority),
    };
    host.to_ascii_lowercase()
}

/// The host the token names: the target's, but an address or `localhost` is a server reached
/// directly, not a name the token service knows; then the organization's published EWS host
/// (the servicePrincipalName step 1 adds), as the partner's tokens name it.
fn resource_host(state: &OnPremState, target: &str) -> String {
    let host = host_of(target);
    let direct = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok();
    let published = state.trust().ews_host.clone();
    if direct && !published.is_empty() {
        published
    } else {
        host
    }
}

/// An outer token for `mailbox` around an ACS actor token of Exchange for the target's host.
pub(crate) async fn actor_token(
    state: &OnPremState,
    http: &reqwest::Client,
    acs: &Acs,
    target: &str,
    mailbox: &str,
    log: &mut Vec<String>,
) -> Result<Option<String>, OnPremError> {
    let (cert, key) = crate::outbound::current_auth_certificate(state).await?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let jti = uuid::Uuid::new_v4().to_string();
    let client = PrincipalId::new(EXCHANGE_APP_ID, &acs.realm);
    let assertion = ClientAssertion {
        client: &client,
        audience: &Audience::new(ACS_APP_ID, authority(&acs.token_endpoint), &acs.realm),
        not_before: now,
        expires: now + 600,
        jti: Some(&jti),
    }
    .sign(&key, &cert);
    let resource =
        Audience::new(EXCHANGE_APP_ID, &resource_host(state, target), &acs.realm).to_string();
    log.push(format!(
        "[OAuthCredentials:Authenticate] requesting an actor token for resource {resource} from {} as {client} (assertion signed with the auth certificate {})",
        acs.token_endpoint,
        cert.thumbprint()
    ));
    let started = std::time::Instant::now();
    let event = HandshakeEvent {
        direction: "outbound".into(),
        token_kind: "ClientAssertion".into(),
        issuer: client.to_string(),
        audience: acs.token_endpoint.clone(),
        nameid: client.to_string(),
        digest: s2s::jwt::token_digest(&assertion),
        ..Default::default()
    };
    let form = [
        ("grant_type", "http://oauth.net/grant_type/jwt/1.0/bearer"),
        ("assertion", assertion.as_str()),
        ("resource", resource.as_str()),
    ];
    let endpoint = acs.token_endpoint.as_str();
    let Some(actor) = request_token(state, http, endpoint, &form, event, started, log).await else {
        return Ok(None);
    };
    let Some(audience) = Audience::parse(&resource) else {
        return Ok(None);
    };
    let user = UserContext {
        smtp: Some(mailbox.to_string()),
        ..Default::default()
    };
    let outer = OuterToken {
        actor_token: &actor,
        audience: &audience,
        issuer: &client,
        not_before: now,
        expires: now + 3600,
        user: &user,
    }
    .encode();
    log.push(format!(
        "[OAuthCredentials:Authenticate] outer token {} (unsigned): iss={client} aud={resource} smtp={mailbox}",
        s2s::jwt::token_digest(&outer)
    ));
    Ok(Some(outer))
}
