//! Who a validated token speaks for, and the answers that refuse a caller (the challenge,
//! impersonation denied, no such mailbox).

use super::context::fault;
use crate::trust::{TrustState, UserEntry};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use s2s::entra::ValidatedEntraToken;
use s2s::{BearerChallenge, OAuthError, ValidatedToken};
use std::sync::Arc;
use store::HandshakeEvent;

/// Who a validated token speaks for.
pub enum Principal {
    /// An S2S act-as or app-only token of a partner application.
    S2s(Box<ValidatedToken>),
    /// An Entra application token from the tenant of an AzureAD AuthServer.
    Entra(ValidatedEntraToken),
    /// An Entra user token (Hybrid Modern Authentication): the user acts as himself.
    User(s2s::user_token::ValidatedUserToken),
}

/// A validated token and what it resolved to.
pub struct Authenticated {
    pub principal: Principal,
    pub user: Option<UserEntry>,
    pub trust: Arc<TrustState>,
}

fn challenge(trust: &TrustState, error: bool) -> String {
    BearerChallenge {
        client_id: Some(trust.snapshot.service_name.clone()),
        trusted_issuers: trust.challenge_issuers.clone(),
        token_types: Some("app_asserted_user_v1 service_asserted_app_v1".into()),
        error: error.then(|| "invalid_token".to_string()),
        authorization_uri: trust.authorization_uri.clone(),
        ..Default::default()
    }
    .to_string()
}

/// 401 with Exchange's challenge (and, for a rejected token, the error and x-ms-diagnostics).
pub(crate) fn unauthorized(trust: &TrustState, e: Option<&OAuthError>) -> Response {
    let mut resp = (StatusCode::UNAUTHORIZED, "").into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&challenge(trust, e.is_some())) {
        h.insert(header::WWW_AUTHENTICATE, v);
    }
    if let Some(e) = e {
        if let Ok(v) = HeaderValue::from_str(&e.diagnostics().to_string()) {
            h.insert("x-ms-diagnostics", v);
        }
        *resp.status_mut() =
            StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::UNAUTHORIZED);
    }
    resp
}

/// What an accepted user token says, for its handshake event.
pub(crate) fn accepted_event_user(
    t: &s2s::user_token::ValidatedUserToken,
    user: &UserEntry,
    base: HandshakeEvent,
) -> HandshakeEvent {
    HandshakeEvent {
        nameid: format!("{}@{}", t.client_app_id, t.tenant_id),
        user: user.primary_smtp.clone(),
        ..base
    }
}

/// ErrorImpersonateUserDenied, as Exchange words it.
pub(crate) fn impersonation_denied() -> Box<Response> {
    Box::new(fault(
        ews::ResponseCode::ErrorImpersonateUserDenied,
        "The account does not have permission to impersonate the requested user.",
    ))
}

/// ErrorNonExistentMailbox for an address, as Exchange words it.
pub(crate) fn no_mailbox(address: &str) -> Box<Response> {
    Box::new(fault(
        ews::ResponseCode::ErrorNonExistentMailbox,
        &format!("The SMTP address has no mailbox associated with it: {address}"),
    ))
}
