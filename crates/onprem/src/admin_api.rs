//! The on-premises admin API (organization, cmdlets, presence, handshakes), the role's own
//! metadata document and its metrics: each handler a function of the state.

use crate::cmdlets::Outcome;
use crate::error::OnPremError;
use crate::model::api::{
    CmdletRequest, CmdletResponse, HandshakesResponse, NewOrganizationRequest,
    NewOrganizationResponse, PresenceRequest,
};
use crate::state::OnPremState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

fn body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, OnPremError> {
    serde_json::from_slice(body)
        .map_err(|e| OnPremError::InvalidArgument(format!("The request body is not valid: {e}")))
}

pub(crate) async fn new_organization(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OnPremError> {
    if !state.authenticate_change(&headers)? {
        return Err(OnPremError::Forbidden(
            "Creating the organization needs the server operator credential.".into(),
        ));
    }
    let b: NewOrganizationRequest = self::body(&body)?;
    let req = crate::org::NewOrganization {
        name: b.name,
        domain: b.domain_name,
        ews_url: b.ews_url,
    };
    let (org, credential) = crate::org::create(&state.store, &req).await?;
    state.reload().await?;
    let cfg = crate::objects::auth_config(&state.store).await?.value;
    let out = NewOrganizationResponse {
        organization: org,
        current_certificate_thumbprint: cfg.current_certificate_thumbprint,
        admin_credential: credential,
    };
    Ok((StatusCode::CREATED, axum::Json(out)).into_response())
}

/// The newest handshake events after `after` (a sequence number), oldest first.
pub(crate) async fn handshakes(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, OnPremError> {
    if state.authenticate(&headers)? {
        return Err(OnPremError::Forbidden(
            "Use the organization admin credential.".into(),
        ));
    }
    let after = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let limit = q
        .get("limit")
        .and_then(|a| a.parse().ok())
        .unwrap_or(100i64)
        .clamp(1, 1000);
    let events = state.store.handshakes().after(after, limit).await?;
    Ok(axum::Json(HandshakesResponse { events }).into_response())
}

/// `POST /admin/presence`: a user's presence from the partner, over the self-issued path.
pub(crate) async fn presence(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OnPremError> {
    if state.authenticate_change(&headers)? {
        return Err(OnPremError::Forbidden(
            "Use the organization admin credential.".into(),
        ));
    }
    let b: PresenceRequest = self::body(&body)?;
    let v = crate::outbound::presence(&state, &b.identity, &b.partner_url).await?;
    Ok(axum::Json(v).into_response())
}

pub(crate) async fn cmdlet(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OnPremError> {
    if state.authenticate_change(&headers)? {
        return Err(OnPremError::Forbidden("The operator credential creates the organization; use the organization admin credential for cmdlets.".into()));
    }
    if body.len() > crate::params::MAX_REQUEST_BYTES {
        return Err(OnPremError::InvalidArgument(format!(
            "The cmdlet request is {} bytes; at most {} are accepted.",
            body.len(),
            crate::params::MAX_REQUEST_BYTES
        )));
    }
    let b: CmdletRequest = self::body(&body)?;
    crate::params::check_bounds(&b.cmdlet, &b.parameters)?;
    // The one cmdlet that makes calls of its own: it needs the server, not only the store.
    let outcome = if b.cmdlet.eq_ignore_ascii_case("Test-OAuthConnectivity") {
        let p = crate::params::Params::new("Test-OAuthConnectivity", b.parameters);
        Outcome::Ran(crate::connectivity::test_oauth_connectivity(&state, &p).await?)
    } else {
        crate::cmdlets::call(&state.store, &b.cmdlet, b.parameters).await?
    };
    let output = match outcome {
        Outcome::WhatIf(line) => {
            let out = CmdletResponse::<()> {
                output: Vec::new(),
                what_if: vec![line],
            };
            return Ok(axum::Json(out).into_response());
        }
        Outcome::Ran(output) => output,
    };
    if crate::safety::changes(&b.cmdlet) {
        tracing::info!(cmdlet = %b.cmdlet, "ran");
        state.reload().await?;
    } else {
        tracing::debug!(cmdlet = %b.cmdlet, "ran");
    }
    let out = CmdletResponse {
        output,
        what_if: Vec::new(),
    };
    Ok(axum::Json(out).into_response())
}

/// The organization's metadata document (Exchange/1.0): issuer `<ServiceName>@<realm>`, the
/// current and previous auth certificates (not the next one), this URL as its location.
pub(crate) async fn metadata(
    State(state): State<Arc<OnPremState>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, OnPremError> {
    let cfg = crate::objects::auth_config(&state.store).await?.value;
    let org = crate::objects::organization(&state.store).await?;
    let trust = state.trust();
    let mut certs = Vec::new();
    for t in [
        &cfg.current_certificate_thumbprint,
        &cfg.previous_certificate_thumbprint,
    ] {
        if t.is_empty() {
            continue;
        }
        if let Ok(obj) = crate::certs::by_thumbprint(&state.store, t).await {
            let (c, _) = crate::certs::load(&obj.value)?;
            if c.is_valid_at(time::OffsetDateTime::now_utc()) {
                certs.push(c);
            }
        }
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let location = format!("http://{host}{}", uri.path());
    let refs: Vec<&crypto::Certificate> = certs.iter().collect();
    let doc = s2s::MetadataDocument::exchange(
        &format!("_{}", org.guid),
        &cfg.service_name,
        &trust.realm,
        &location,
        &refs,
    );
    Ok((
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        doc.to_json(s2s::metadata::MetadataFlavor::Exchange),
    )
        .into_response())
}

/// `GET /metrics`.
pub(crate) async fn metrics(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
) -> Result<Response, OnPremError> {
    state.authenticate(&headers)?;
    let config = crate::objects::auth_config(&state.store).await?.value;
    let now = time::OffsetDateTime::now_utc();
    state
        .metrics
        .telemetry
        .set_change_feed_lag_ms(state.store.change_feed_lag_ms());
    state.metrics.clear_certificate_days();
    for (which, thumbprint) in [
        ("current", &config.current_certificate_thumbprint),
        ("next", &config.next_certificate_thumbprint),
        ("previous", &config.previous_certificate_thumbprint),
    ] {
        if thumbprint.is_empty() {
            continue;
        }
        let Ok(obj) = crate::certs::by_thumbprint(&state.store, thumbprint).await else {
            continue;
        };
        let ends = time::OffsetDateTime::parse(
            &obj.value.not_after,
            &time::format_description::well_known::Rfc3339,
        );
        if let Ok(ends) = ends {
            state.metrics.set_certificate_days(
                which,
                thumbprint.clone(),
                (ends - now).as_seconds_f64() / 86_400.0,
            );
        }
    }
    Ok(state.metrics.telemetry.response())
}
