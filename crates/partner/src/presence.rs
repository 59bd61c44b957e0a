//! Presence, the call that runbook step 5 makes possible: on-premises Exchange asks for a user's
//! presence with an actor token it signs itself (`iss` = `nameid` = 00000002-…@<tenant>,
//! `aud` = 00000004-…/<this host>@<tenant>). The partner trusts such a token only when its
//! signing certificate is a Verify key credential of the partner's own service principal in the
//! cloud directory, valid now: the keys are read from the directory with a Graph token of the
//! partner's own (never a tenant administrator's credential), kept in memory, read again every
//! five minutes, and at once (at most every two seconds) when a token names an unknown key.
//! Every decision is a handshake event in the partner's store (`hybrid trace --role partner`).

use crate::PartnerError;
use crate::admin_types::{PartnerUser, SetPresence};
use crate::kinds::KIND_USER;
use crate::state::{AppState, PartnerState, Settings};
use crate::tokens::TokenSource;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use s2s::graph::SelectedKeyCredentials;
use s2s::ids::{AAD_GRAPH_APP_ID, EXCHANGE_APP_ID};
use s2s::validate::{IssuerKey, IssuerKind, PartnerApplicationTrust, TrustSnapshot, TrustedIssuer};
use s2s::{ErrorCode, OAuthError, RequestContext, Validator};
use store::HandshakeEvent;

/// Presence decisions kept in the store (the oldest go first).
const HANDSHAKES_KEPT: i64 = 10_000;

pub const AVAILABILITIES: &[&str] = &["Available", "Busy", "DoNotDisturb", "Away", "Offline"];
const ON_PREMISES: &str = "Exchange (on-premises)";

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The directory's base URL: the token endpoint's scheme and authority.
fn directory_base(token_endpoint: &str) -> (String, String) {
    let (scheme, rest) = token_endpoint
        .split_once("://")
        .unwrap_or(("https", token_endpoint));
    let authority = rest.split('/').next().unwrap_or("").to_string();
    (format!("{scheme}://{authority}"), authority)
}

impl PartnerState {
    /// Thumbprints of the Verify certificates on this service's own principal, valid now.
    pub async fn registered_thumbprints(&self) -> Result<Vec<String>, PartnerError> {
        let (s, sp) = own_principal(self).await?;
        Ok(snapshot(&s, &sp, now()).issuers[0]
            .keys
            .iter()
            .map(|k| k.thumbprint.clone())
            .collect())
    }
}

/// The Verify keys on this partner's own service principal, as a trust configuration with one
/// self-signing issuer: on-premises Exchange (00000002-…) in the tenant's realm.
async fn read_trust(state: &PartnerState) -> Result<TrustSnapshot, PartnerError> {
    let (s, sp) = own_principal(state).await?;
    Ok(snapshot(&s, &sp, now()))
}

/// This service's own service principal with its key values, read with its own Graph token.
async fn own_principal(
    state: &PartnerState,
) -> Result<(Settings, SelectedKeyCredentials), PartnerError> {
    let s = state.settings().await?;
    let (base, authority) = directory_base(&s.token_endpoint);
    let src = TokenSource {
        tenant: s.tenant_id.clone(),
        token_endpoint: s.token_endpoint.clone(),
        client_app_id: s.client_app_id.clone(),
    };
    let resource = format!("{AAD_GRAPH_APP_ID}/{authority}@{}", s.tenant_id);
    let token = state
        .tokens
        .actor_token(&src, &state.signing(), &resource)
        .await?;
    let url = format!(
        "{base}/v1.0/servicePrincipals(appId='{}')?$select=keyCredentials",
        s.client_app_id
    );
    let resp = state
        .ews
        .http()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .map_err(|e| {
            PartnerError::Unavailable(format!("the directory at {base} cannot be reached: {e}"))
        })?;
    if !resp.status().is_success() {
        state.tokens.forget(&resource);
        return Err(PartnerError::Unavailable(format!(
            "the directory refused to list this service's keys (HTTP {})",
            resp.status().as_u16()
        )));
    }
    let sp: SelectedKeyCredentials = resp
        .json()
        .await
        .map_err(|e| PartnerError::Unavailable(format!("the directory answered no JSON: {e}")))?;
    Ok((s, sp))
}

fn snapshot(s: &Settings, sp: &SelectedKeyCredentials, now: i64) -> TrustSnapshot {
    let keys = sp
        .key_credentials
        .iter()
        .filter(|k| k.is_verify_certificate() && k.is_valid_at(now))
        .filter_map(|k| STANDARD.decode(k.key.as_deref()?).ok())
        .filter_map(|der| crypto::Certificate::from_der_or_pem(&der).ok())
        .filter_map(|c| {
            Some(IssuerKey {
                x5t: c.x5t().to_string(),
                thumbprint: c.thumbprint().to_string(),
                key: c.public_key().ok()?.clone(),
            })
        })
        .collect();
    TrustSnapshot {
        service_name: s.client_app_id.clone(),
        issuers: vec![TrustedIssuer {
            kind: IssuerKind::PartnerApplication {
                name: ON_PREMISES.into(),
            },
            id: EXCHANGE_APP_ID.into(),
            realm: Some(s.tenant_id.clone()),
            keys,
        }],
        partner_applications: vec![PartnerApplicationTrust {
            name: ON_PREMISES.into(),
            application_identifier: EXCHANGE_APP_ID.into(),
            realm: Some(s.tenant_id.clone()),
            use_auth_server: false,
            enabled: true,
            accept_security_identifier_information: false,
        }],
        local_realms: vec![s.tenant_id.clone()],
    }
}

/// `GET /s2s/presence/{user}`: the user's availability, for a validated on-premises token.
pub async fn get_presence(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(user): Path<String>,
) -> Result<Response, PartnerError> {
    let state = &a.state;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let req = RequestContext {
        host,
        published_host: None,
        now: now(),
    };
    let mut result = Validator::default().validate(
        token,
        &req,
        &*state
            .peer_trust
            .get(false, async || read_trust(state).await)
            .await?,
    );
    if matches!(&result, Err(e) if e.code == ErrorCode::NoCertificateFound) {
        result = Validator::default().validate(
            token,
            &req,
            &*state
                .peer_trust
                .get(true, async || read_trust(state).await)
                .await?,
        );
    }
    let digest = s2s::jwt::token_digest(token);
    let mut event = describe(token, &digest, &user);
    let validated = match result {
        Ok(v) => v,
        Err(e) => {
            tracing::info!(token = %digest, code = e.code.code(), "presence request refused");
            event.outcome = "rejected".into();
            event.error_code = Some(e.code.code() as i64);
            event.error = format!("{}: {}", e.code.name(), e.message);
            record(state, event);
            return Ok(refused(&e));
        }
    };
    tracing::info!(token = %digest, issuer = %validated.issuer, "presence request accepted");
    event.outcome = "accepted".into();
    record(state, event);
    let u = state.user(&user).await?;
    Ok(axum::Json(crate::mailbox_presence::presence(state, &u).await).into_response())
}

/// `GET /api/users/{user}/presence` (operator): the presence the service shows for the user.
pub async fn show_presence(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(user): Path<String>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let u = a.state.user(&user).await?;
    Ok(axum::Json(crate::mailbox_presence::presence(&a.state, &u).await).into_response())
}

/// What a presence token claims (read without trusting it), as a handshake event.
fn describe(token: &str, digest: &str, user: &str) -> HandshakeEvent {
    let claims = s2s::Jwt::decode(token).map(|j| j.claims).ok();
    let claim =
        |f: fn(&s2s::Claims) -> Option<String>| claims.as_ref().and_then(f).unwrap_or_default();
    HandshakeEvent {
        at_ms: store::now_ms(),
        direction: "inbound".into(),
        token_kind: claims
            .as_ref()
            .map(|c| s2s::TokenProfile::classify(c).name().to_string())
            .unwrap_or_else(|| "unreadable".into()),
        issuer: claim(|c| c.iss.clone()),
        audience: claim(|c| c.aud.clone()),
        nameid: claim(|c| c.nameid.clone()),
        user: user.to_string(),
        digest: digest.to_string(),
        ..Default::default()
    }
}

/// Stores the event off the request path (a failed write is a warning, never a failed request).
fn record(state: &PartnerState, event: HandshakeEvent) {
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.handshakes().append(&[event], HANDSHAKES_KEPT).await {
            tracing::warn!("handshake event not stored: {e}");
        }
    });
}

/// `GET /admin/handshakes?after=SEQ&limit=N` (operator): the presence decisions, oldest first.
pub async fn handshakes(
    State(a): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let after = q.get("after").and_then(|v| v.parse().ok()).unwrap_or(0);
    let limit = q
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100i64)
        .clamp(1, 1000);
    let events = a.state.store.handshakes().after(after, limit).await?;
    Ok(axum::Json(store::HandshakePage { events }).into_response())
}

fn refused(e: &OAuthError) -> Response {
    let mut resp = (
        StatusCode::UNAUTHORIZED,
        axum::Json(s2s::api_error::ErrorBody::new(
            e.code.name().to_string(),
            e.message.clone(),
        )),
    )
        .into_response();
    let h = resp.headers_mut();
    if let Ok(v) = e.diagnostics().to_string().parse() {
        h.insert("x-ms-diagnostics", v);
    }
    if let Ok(v) = "Bearer error=\"invalid_token\"".parse() {
        h.insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// `PUT /api/users/{user}/presence` with `{"availability": …}` (operator).
pub async fn set_presence(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(user): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let v: SetPresence = serde_json::from_slice(&body).map_err(|e| {
        PartnerError::BadRequest(format!(
            "the request body is not {{\"availability\": …}}: {e}"
        ))
    })?;
    let wanted = v.availability.as_str();
    let Some(availability) = AVAILABILITIES
        .iter()
        .find(|x| x.eq_ignore_ascii_case(wanted))
    else {
        return Err(PartnerError::BadRequest(format!(
            "availability must be one of {}",
            AVAILABILITIES.join(", ")
        )));
    };
    let dir = a.state.store.directory();
    let found = a.state.user(&user).await?;
    let obj = dir
        .find(KIND_USER, "", &found.sip)
        .await?
        .ok_or_else(|| PartnerError::NotFound(format!("user '{user}'")))?;
    let changed = PartnerUser {
        availability: Some(availability.to_string()),
        ..found
    };
    let data = serde_json::to_value(&changed).map_err(|e| PartnerError::Internal(e.to_string()))?;
    dir.update(&obj, &changed.sip, data).await?;
    Ok(axum::Json(changed).into_response())
}
