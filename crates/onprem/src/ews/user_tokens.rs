//! Users' own Entra tokens at EWS and Autodiscover (Hybrid Modern Authentication): Exchange's
//! V1 user-token profile, taken while OAuth2ClientProfileEnabled is on, from the tenant of an
//! AzureAD AuthServer. The token's `onprem_sid` names the user, who then acts as himself.

use super::context::{Caller, fault};
use super::principal::{
    Authenticated, Principal, accepted_event_user, impersonation_denied, no_mailbox, unauthorized,
};
use crate::state::OnPremState;
use crate::trust::TrustState;
use axum::response::Response;
use ews::Request;
use s2s::user_token::{Authority, UserTokenPolicy, ValidatedUserToken, validate_user_token};
use s2s::{ErrorCode, OAuthError, TokenProfile};
use std::sync::Arc;
use store::HandshakeEvent;

/// A user token validated here for this host under the current trust (`key` as
/// [`s2s::ValidatedCache::key_of`] makes it): the same decision, without decoding or verifying
/// it again (a trust reload, as any change of a user makes, forgets them all).
pub fn cached(
    state: &OnPremState,
    trust: &Arc<TrustState>,
    key: &[u8; 32],
    sha: &[u8; 32],
    now: i64,
    started: std::time::Instant,
) -> Option<Authenticated> {
    let (decided_under, t, user) = state.validated_users.get(key, now)?;
    if !Arc::ptr_eq(&decided_under, trust) {
        return None;
    }
    let base = HandshakeEvent {
        token_kind: TokenProfile::AadV1.name().into(),
        issuer: t.issuer.clone(),
        audience: t.audience.clone(),
        digest: s2s::jwt::digest_of(sha),
        ..Default::default()
    };
    state.handshakes.record(HandshakeEvent {
        outcome: "accepted".into(),
        latency_us: started.elapsed().as_micros() as i64,
        ..accepted_event_user(&t, &user, base)
    });
    Some(Authenticated {
        principal: Principal::User(t),
        user: Some(user),
        trust: trust.clone(),
    })
}

/// Validates a user token for a request that reached `host` and resolves its user.
pub fn authenticate(
    state: &Arc<OnPremState>,
    trust: Arc<TrustState>,
    token: &str,
    sha: &[u8; 32],
    host: &str,
    now: i64,
    started: std::time::Instant,
) -> Result<Authenticated, Box<Response>> {
    let key = s2s::ValidatedCache::<()>::key_of(sha, host);
    let claims = s2s::Jwt::decode(token)
        .map(|j| j.claims)
        .unwrap_or_default();
    let base = HandshakeEvent {
        token_kind: TokenProfile::classify(&claims).name().into(),
        issuer: claims.iss.clone().unwrap_or_default(),
        audience: claims.aud.clone().unwrap_or_default(),
        user: claims.upn.clone().unwrap_or_default(),
        digest: s2s::jwt::digest_of(sha),
        ..Default::default()
    };
    let rejected = |e: OAuthError, base: HandshakeEvent| {
        state.handshakes.record(HandshakeEvent {
            outcome: "rejected".into(),
            error_code: Some(i64::from(e.code.code())),
            error: format!("{}: {}", e.code.name(), e.message),
            latency_us: started.elapsed().as_micros() as i64,
            ..base
        });
        Box::new(unauthorized(&trust, Some(&e)))
    };
    if !trust.oauth2_client_profile {
        let mut e = OAuthError::new(ErrorCode::TokenProfileNotApplicable, &[]);
        e.message.push_str(
            " User tokens are taken once Set-OrganizationConfig -OAuth2ClientProfileEnabled $true.",
        );
        return Err(rejected(e, base));
    }
    let scheme = if state.config.public_url.starts_with("https://") {
        "https"
    } else {
        "http"
    };
    let Some(request) = Authority::of_host(scheme, host) else {
        let e = OAuthError::new(
            ErrorCode::UnexpectedHostNameInAudience,
            &[host, &base.audience],
        );
        return Err(rejected(e, base));
    };
    let policy = UserTokenPolicy {
        request: &request,
        endpoint_grants: None,
    };
    let t = match validate_user_token(token, &trust.entra_issuers, &policy, now, 300) {
        Ok(t) => t,
        Err(e) => return Err(rejected(e, base)),
    };
    let found: Vec<_> = trust
        .users
        .iter()
        .filter(|u| !u.sid.is_empty() && u.sid.eq_ignore_ascii_case(&t.onprem_sid))
        .collect();
    let user = match found.as_slice() {
        [] => {
            return Err(rejected(
                OAuthError::new(ErrorCode::NoUserFoundWithGivenClaims, &[]),
                base,
            ));
        }
        [u] if u.disabled => {
            return Err(rejected(
                OAuthError::new(ErrorCode::UserAccountDisabled, &[]),
                base,
            ));
        }
        [u] => (*u).clone(),
        _ => {
            let e = OAuthError::new(ErrorCode::MoreThan1UserFoundWithGivenClaims, &[]);
            return Err(rejected(e, base));
        }
    };
    state.handshakes.record(HandshakeEvent {
        outcome: "accepted".into(),
        latency_us: started.elapsed().as_micros() as i64,
        ..accepted_event_user(&t, &user, base)
    });
    state
        .validated_users
        .insert(key, (trust.clone(), t.clone(), user.clone()), t.expires);
    Ok(Authenticated {
        principal: Principal::User(t),
        user: Some(user),
        trust,
    })
}

/// A user works on his own mailbox with every EWS method; impersonating another is refused.
pub fn authorize(
    a: &Authenticated,
    t: &ValidatedUserToken,
    request: &Request,
) -> Result<Caller, Box<Response>> {
    let Some(user) = a.user.clone() else {
        return Err(Box::new(fault(
            ews::ResponseCode::ErrorAccessDenied,
            "The token names no user.",
        )));
    };
    if let Some(sid) = &request.header.impersonation
        && !user.has_address(sid.value())
        && !user.sid.eq_ignore_ascii_case(sid.value())
    {
        return Err(impersonation_denied());
    }
    if !user.has_mailbox() {
        return Err(no_mailbox(&user.primary_smtp));
    }
    Ok(Caller {
        user: Some(user.clone()),
        mailbox: user,
        partner_application: t.client_app_id.clone(),
    })
}
