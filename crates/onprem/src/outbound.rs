//! Calls from this organization to the partner service: an actor token signed with the current
//! auth certificate (`iss` = `nameid` = <ServiceName>@<tenant realm>, `aud` =
//! 00000004-…/<partner host>@<tenant realm>), as Exchange does for the Outlook/OWA presence
//! integration. Every call is an outbound handshake event.

use crate::OnPremError;
use crate::model::AuthServer;
use crate::objects::all;
use crate::state::OnPremState;
use s2s::api_error::ErrorBody;
use s2s::ids::{ACS_APP_ID, Audience, PrincipalId, SKYPE_APP_ID};
use s2s::presence::Presence;
use s2s::token::SelfIssuedActor;
use store::HandshakeEvent;

/// Lifetime of a self-issued token, as Exchange issues them.
const LIFETIME: i64 = 3600;

/// The realm tokens to the cloud name: the tenant of the ACS auth server (its realm is the
/// tenant id), else the organization's own realm.
async fn outbound_realm(state: &OnPremState) -> Result<String, OnPremError> {
    for a in all::<AuthServer>(&state.store).await? {
        let d = a.value;
        if d.enabled && d.issuer_identifier.eq_ignore_ascii_case(ACS_APP_ID) && !d.realm.is_empty()
        {
            return Ok(d.realm);
        }
    }
    Ok(state.trust().realm.clone())
}

/// AuthConfig's current certificate and its private key: what this organization signs with.
pub(crate) async fn current_auth_certificate(
    state: &OnPremState,
) -> Result<(crypto::Certificate, crypto::RsaPrivateKey), OnPremError> {
    let config = crate::objects::auth_config(&state.store).await?.value;
    let thumbprint = config.current_certificate_thumbprint;
    let obj = crate::certs::by_thumbprint(&state.store, &thumbprint).await?;
    let (cert, key) = crate::certs::load(&obj.value)?;
    let key = key.ok_or_else(|| {
        OnPremError::InvalidArgument(format!(
            "The auth certificate {thumbprint} has no private key on this server."
        ))
    })?;
    Ok((cert, key))
}

/// A self-issued actor token for `audience_host` at the partner, and its audience.
async fn actor_token(
    state: &OnPremState,
    partner_host: &str,
) -> Result<(String, String), OnPremError> {
    let service = crate::objects::auth_config(&state.store)
        .await?
        .value
        .service_name;
    let (cert, key) = current_auth_certificate(state).await?;
    let realm = outbound_realm(state).await?;
    let issuer = PrincipalId::new(&service, &realm);
    let audience = Audience::new(SKYPE_APP_ID, partner_host, &realm);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let token = SelfIssuedActor {
        issuer: &issuer,
        audience: &audience,
        not_before: now,
        expires: now + LIFETIME,
    }
    .sign(&key, &cert);
    Ok((token, audience.to_string()))
}

/// Asks the partner at `partner_url` for `user`'s presence.
pub async fn presence(
    state: &OnPremState,
    user: &str,
    partner_url: &str,
) -> Result<Presence, OnPremError> {
    let base = partner_url.trim_end_matches('/');
    let host = base
        .split_once("://")
        .map(|(_, r)| r.split('/').next().unwrap_or(""))
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            OnPremError::InvalidArgument(format!(
                "PartnerUrl '{partner_url}' is not an http(s) URL."
            ))
        })?;
    let started = std::time::Instant::now();
    let (token, audience) = actor_token(state, host).await?;
    let claims = s2s::Jwt::decode(&token).map(|j| j.claims).ok();
    let mut event = HandshakeEvent {
        direction: "outbound".into(),
        token_kind: "S2SAppOnly".into(),
        issuer: claims
            .as_ref()
            .and_then(|c| c.iss.clone())
            .unwrap_or_default(),
        nameid: claims
            .as_ref()
            .and_then(|c| c.nameid.clone())
            .unwrap_or_default(),
        audience,
        user: user.to_string(),
        digest: s2s::jwt::token_digest(&token),
        ..Default::default()
    };
    let url = format!("{base}/s2s/presence/{}", urlencode(user));
    let resp = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await;
    event.latency_us = started.elapsed().as_micros() as i64;
    let outcome = match resp {
        Err(e) => Err(OnPremError::Unavailable(format!(
            "the partner at {base} cannot be reached: {e}"
        ))),
        Ok(r) => {
            let status = r.status();
            let diagnostics = r
                .headers()
                .get("x-ms-diagnostics")
                .and_then(|v| v.to_str().ok())
                .map(String::from);
            let text = r.text().await.unwrap_or_default();
            if status.is_success() {
                serde_json::from_str::<Presence>(&text).map_err(|e| {
                    OnPremError::PartnerRefused(format!(
                        "the partner's presence answer is not readable: {e}"
                    ))
                })
            } else {
                let body: ErrorBody = serde_json::from_str(&text).unwrap_or_default();
                let code = Some(body.error.code)
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| "Error".into());
                let reason = diagnostics.unwrap_or(body.error.message);
                Err(OnPremError::PartnerRefused(format!(
                    "the partner refused ({} {code}): {reason}",
                    status.as_u16()
                )))
            }
        }
    };
    match &outcome {
        Ok(_) => event.outcome = "accepted".into(),
        Err(e) => {
            event.outcome = "rejected".into();
            event.error = e.to_string();
        }
    }
    state.handshakes.record(event);
    outcome
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'@' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
