//! One token request of on-premises Test-OAuthConnectivity: posted, recorded as an outbound
//! handshake event, and described in the cmdlet's log (the token's digest and deciding claims,
//! never the token).

use crate::state::OnPremState;
use serde_json::Value;
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
            let v: Value = r.json().await.unwrap_or(Value::Null);
            Ok((status, v))
        }
        Err(e) => Err(e.to_string()),
    };
    event.latency_us = started.elapsed().as_micros() as i64;
    let token = match answer {
        Ok((s, v)) if s.is_success() && v["access_token"].is_string() => {
            let token = v["access_token"].as_str().unwrap_or_default().to_string();
            describe(&token, log);
            event.outcome = "accepted".into();
            Some(token)
        }
        Ok((s, v)) => {
            let why = format!(
                "HTTP {}: {} {}",
                s.as_u16(),
                v["error"].as_str().unwrap_or(""),
                v["error_description"].as_str().unwrap_or("")
            );
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
    let claims: Value = s2s::jwt::split(token)
        .ok()
        .and_then(|(_, p, _)| s2s::jwt::decode_json(p, "payload").ok())
        .unwrap_or(Value::Null);
    let c = |k: &str| claims[k].as_str().unwrap_or("").to_string();
    let roles = claims["roles"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let client = if c("azp").is_empty() {
        c("appid")
    } else {
        c("azp")
    };
    let fields = [
        ("ver", c("ver")),
        ("iss", c("iss")),
        ("nameid", c("nameid")),
        ("aud", c("aud")),
        ("azp", client),
        ("roles", roles),
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
