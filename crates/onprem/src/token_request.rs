//! One token request of on-premises Test-OAuthConnectivity: posted, recorded as an outbound
//! handshake event, and described in the cmdlet's log (the token's digest and deciding claims,
//! never the token).

use crate::state::OnPremState;
use s2s::token_answer::TokenAnswer;
use store::HandshakeEvent;

/// Posts a token request, records it as an outbound handshake event (`event`, completed with
/// the outcome and latency) and says in `log` what came back: the token (described, never
/// shown) or the service's refusal.
pub(crate) async fn request_token(
    state: &OnPremState,
    http: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
    mut event: HandshakeEvent,
    started: std::time::Instant,
    log: &mut Vec<String>,
) -> Option<String> {
    let answer = match http.post(endpoint).form(form).send().await {
        Ok(r) => {
            let status = r.status();
            let v: TokenAnswer = r.json().await.unwrap_or_default();
            Ok((status, v))
        }
        Err(e) => Err(e.to_string()),
    };
    event.latency_us = started.elapsed().as_micros() as i64;
    let token = match answer {
        Ok((
            s,
            TokenAnswer {
                access_token: Some(token),
                ..
            },
        )) if s.is_success() => {
            describe(&token, log);
            event.outcome = "accepted".into();
            Some(token)
        }
        Ok((s, v)) => {
            let why = format!("HTTP {}: {} {}", s.as_u16(), v.error, v.error_description);
            log.push(format!("[OAuthCredentials:Authenticate] refused: {why}"));
            event.outcome = "rejected".into();
            event.error = why;
            None
        }
        Err(e) => {
            log.push(format!(
                "[OAuthCredentials:Authenticate] {endpoint} cannot be reached: {e}"
            ));
            event.outcome = "rejected".into();
            event.error = e;
            None
        }
    };
    state.handshakes.record(event);
    token
}

/// The token's digest and the claims that decide the call (read, not trusted: the target
/// checks); the claims a token does not carry (ACS's have no `ver` or `roles`) are left out.
pub(crate) fn describe(token: &str, log: &mut Vec<String>) {
    let claims: DecidingClaims = s2s::jwt::split(token)
        .ok()
        .and_then(|(_, p, _)| s2s::jwt::decode_json(p, "payload").ok())
        .unwrap_or_default();
    let client = if claims.azp.is_empty() {
        claims.appid
    } else {
        claims.azp
    };
    let fields = [
        ("ver", claims.ver),
        ("iss", claims.iss),
        ("nameid", claims.nameid),
        ("aud", claims.aud),
        ("azp", client),
        ("roles", claims.roles.join(",")),
    ];
    let shown: Vec<String> = fields
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    log.push(format!(
        "[OAuthCredentials:Authenticate] token {}: {}",
        s2s::jwt::token_digest(token),
        shown.join(" ")
    ));
}

/// The claims `describe` shows, from an ACS or an Entra token.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct DecidingClaims {
    ver: String,
    iss: String,
    nameid: String,
    aud: String,
    azp: String,
    appid: String,
    roles: Vec<String>,
}
