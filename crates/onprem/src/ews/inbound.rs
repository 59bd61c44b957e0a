//! Inbound S2S on EWS: the challenge, token validation, user resolution, and RBAC by the
//! partner application's linked account.

use super::context::{Caller, fault};
use super::principal::{Authenticated, Principal, impersonation_denied, no_mailbox, unauthorized};
use crate::state::OnPremState;
use crate::trust::{TrustState, UserEntry};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ews::{ConnectingSid, Request};
use s2s::entra::{EntraAudience, ValidatedEntraToken};
use s2s::{ErrorCode, OAuthError, RequestContext, TokenProfile, ValidatedToken, Validator};
use std::sync::Arc;
use store::HandshakeEvent;

fn request_host(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Validates the bearer token and resolves its user.
pub async fn authenticate(
    state: &Arc<OnPremState>,
    headers: &HeaderMap,
) -> Result<Authenticated, Response> {
    let started = std::time::Instant::now();
    let trust = state.trust();
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => "",
    };
    if token.is_empty() {
        if !trust.oauth2_client_profile && headers.contains_key("x-user-identity") {
            return Err(oauth_not_available(&trust));
        }
        state.handshakes.record(HandshakeEvent {
            outcome: "challenged".into(),
            error: "no bearer token: challenge sent".into(),
            ..Default::default()
        });
        return Err(unauthorized(&trust, None));
    }
    let sha = s2s::jwt::token_sha256(token);
    let digest = s2s::jwt::digest_of(&sha);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let host = request_host(headers);
    // A token this server has validated for this host since its trust last changed: the same
    // decision, without decoding it again (every decision is still traced).
    let key = s2s::ValidatedCache::<()>::key_of(&sha, &host);
    if let Some((decided_under, validated, user)) = state.validated.get(&key, now)
        && Arc::ptr_eq(&decided_under, &trust)
    {
        state.handshakes.record(HandshakeEvent {
            outcome: "accepted".into(),
            latency_us: started.elapsed().as_micros() as i64,
            digest,
            ..accepted_event(&validated, user.as_ref())
        });
        return Ok(Authenticated {
            principal: Principal::S2s(Box::new(validated)),
            user,
            trust,
        });
    }
    if !trust.entra_issuers.is_empty() {
        use crate::ews::user_tokens;
        if let Some(done) = user_tokens::cached(state, &trust, &key, &sha, now, started) {
            return Ok(done);
        }
        if is_user_token(token) {
            return user_tokens::authenticate(state, trust, token, &sha, &host, now, started)
                .map_err(|r| *r);
        }
    }
    if !trust.entra_issuers.is_empty() && is_entra(token) {
        return authenticate_entra(state, trust, token, &host, now, started).map_err(|r| *r);
    }
    let validator = Validator::default();
    let cache = Some(&state.actor_cache);
    // The request reaches this server at its own address or at the organization's published
    // EWS host (behind a load balancer, as Exchange usually is): either is the audience host,
    // checked in one pass.
    let published =
        (!trust.ews_host.is_empty() && trust.ews_host != host).then_some(trust.ews_host.as_str());
    let result = validator.validate_with_cache(
        token,
        &RequestContext {
            host: &host,
            published_host: published,
            now,
        },
        &trust.snapshot,
        cache,
    );
    let rejected = |e: &OAuthError, base: HandshakeEvent| {
        state.handshakes.record(HandshakeEvent {
            outcome: "rejected".into(),
            error_code: Some(i64::from(e.code.code())),
            error: format!("{}: {}", e.code.name(), e.message),
            latency_us: started.elapsed().as_micros() as i64,
            digest: digest.clone(),
            ..base
        });
    };
    let validated = match result {
        Ok(v) => v,
        Err(e) => {
            rejected(&e, describe(token));
            if e.refresh_metadata
                && let Some(issuer) = s2s::Jwt::decode(token).ok().and_then(|j| issuer_of(&j))
            {
                let state = state.clone();
                tokio::spawn(async move {
                    crate::refresh::after_signature_failure(&state, &issuer).await;
                });
            }
            return Err(unauthorized(&trust, Some(&e)));
        }
    };
    let user = match &validated.user_lookup {
        None => None,
        Some(lookup) => {
            let found = trust.find_users(lookup);
            let missing = match found.len() {
                0 => Some(ErrorCode::NoUserFoundWithGivenClaims),
                1 => None,
                _ => Some(ErrorCode::MoreThan1UserFoundWithGivenClaims),
            };
            if let Some(code) = missing {
                let e = OAuthError::new(code, &[]);
                rejected(&e, accepted_event(&validated, None));
                return Err(unauthorized(&trust, Some(&e)));
            }
            Some(found[0].clone())
        }
    };
    state.handshakes.record(HandshakeEvent {
        outcome: "accepted".into(),
        latency_us: started.elapsed().as_micros() as i64,
        digest: digest.clone(),
        ..accepted_event(&validated, user.as_ref())
    });
    state.validated.insert(
        key,
        (trust.clone(), validated.clone(), user.clone()),
        validated.expires,
    );
    Ok(Authenticated {
        principal: Principal::S2s(Box::new(validated)),
        user,
        trust,
    })
}

/// An Entra token with delegated scopes: a user's. Only the V1 profile is taken; a v2 one is
/// refused by the user path before anything else is read of it (2020).
fn is_user_token(token: &str) -> bool {
    s2s::Jwt::decode(token).is_ok_and(|j| {
        matches!(
            TokenProfile::classify(&j.claims),
            TokenProfile::AadV1 | TokenProfile::AadV2
        ) && j.claims.scp.is_some()
    })
}

/// The answer to an empty Bearer naming a user while OAuth2ClientProfileEnabled is off.
fn oauth_not_available(trust: &TrustState) -> Response {
    let mut resp = unauthorized(trust, None);
    resp.headers_mut().insert(
        "x-ms-diagnostics",
        HeaderValue::from_static(
            "4001001;reason=\"FlightingNotEnabled\";error_category=\"oauth_not_available\"",
        ),
    );
    resp
}

/// A token Entra issued (`ver` 1.0 or 2.0), as opposed to an S2S token.
fn is_entra(token: &str) -> bool {
    s2s::Jwt::decode(token).is_ok_and(|j| {
        matches!(
            TokenProfile::classify(&j.claims),
            TokenProfile::AadV1 | TokenProfile::AadV2
        )
    })
}

/// An Entra application token: signed by the tenant of an AzureAD AuthServer, for this
/// service (its application id, or the https URL of this host or the published EWS host).
fn authenticate_entra(
    state: &Arc<OnPremState>,
    trust: Arc<TrustState>,
    token: &str,
    host: &str,
    now: i64,
    started: std::time::Instant,
) -> Result<Authenticated, Box<Response>> {
    let hosts = [host, trust.ews_host.as_str()];
    let audience = EntraAudience {
        app_id: &trust.snapshot.service_name,
        hosts: &hosts,
    };
    let digest = s2s::jwt::token_digest(token);
    let claims = s2s::Jwt::decode(token)
        .map(|j| j.claims)
        .unwrap_or_default();
    let base = HandshakeEvent {
        token_kind: TokenProfile::classify(&claims).name().into(),
        issuer: claims.iss.clone().unwrap_or_default(),
        audience: claims.aud.clone().unwrap_or_default(),
        latency_us: started.elapsed().as_micros() as i64,
        digest,
        ..Default::default()
    };
    match s2s::entra::validate_app_token(token, &trust.entra_issuers, &audience, now, 300) {
        Ok(t) => {
            state.handshakes.record(HandshakeEvent {
                outcome: "accepted".into(),
                nameid: format!("{}@{}", t.client_app_id, t.tenant_id),
                ..base
            });
            Ok(Authenticated {
                principal: Principal::Entra(t),
                user: None,
                trust,
            })
        }
        Err(e) => {
            state.handshakes.record(HandshakeEvent {
                outcome: "rejected".into(),
                error_code: Some(i64::from(e.code.code())),
                error: format!("{}: {}", e.code.name(), e.message),
                ..base
            });
            let server = claims.iss.as_deref().and_then(|iss| {
                trust
                    .entra_issuers
                    .iter()
                    .find(|i| i.issuers.iter().any(|x| x.eq_ignore_ascii_case(iss)))
                    .map(|i| i.name.clone())
            });
            if e.refresh_metadata
                && let Some(name) = server
            {
                let state = state.clone();
                tokio::spawn(async move {
                    crate::refresh::after_signature_failure(&state, &name).await;
                });
            }
            Err(Box::new(unauthorized(&trust, Some(&e))))
        }
    }
}

/// What an accepted token says, for its handshake event.
fn accepted_event(v: &ValidatedToken, user: Option<&UserEntry>) -> HandshakeEvent {
    HandshakeEvent {
        token_kind: v.profile.name().into(),
        issuer: v.issuer.clone(),
        audience: v.audience.to_string(),
        nameid: format!("{}@{}", v.application_id, v.realm),
        user: user.map(|u| u.primary_smtp.clone()).unwrap_or_default(),
        ..Default::default()
    }
}

/// What a rejected token claims (decoded without trusting it), for its handshake event.
fn describe(token: &str) -> HandshakeEvent {
    let Ok(outer) = s2s::Jwt::decode(token) else {
        return HandshakeEvent {
            token_kind: "unreadable".into(),
            ..Default::default()
        };
    };
    let kind = s2s::TokenProfile::classify(&outer.claims)
        .name()
        .to_string();
    let actor = outer
        .claims
        .actortoken
        .as_deref()
        .and_then(|a| s2s::Jwt::decode(a).ok());
    let ac = actor.as_ref().map(|a| &a.claims).unwrap_or(&outer.claims);
    HandshakeEvent {
        token_kind: kind,
        issuer: ac.iss.clone().unwrap_or_default(),
        audience: ac.aud.clone().unwrap_or_default(),
        nameid: ac.nameid.clone().unwrap_or_default(),
        user: outer
            .claims
            .smtp
            .clone()
            .or(outer.claims.upn.clone())
            .unwrap_or_default(),
        ..Default::default()
    }
}

/// The issuer id of an actor (or app-only) token, to refresh its metadata.
fn issuer_of(outer: &s2s::Jwt<'_>) -> Option<String> {
    let actor_iss = match &outer.claims.actortoken {
        Some(a) => s2s::Jwt::decode(a).ok()?.claims.iss,
        None => outer.claims.iss.clone(),
    };
    s2s::PrincipalId::parse_issuer(&actor_iss?).map(|p| p.app_id)
}

fn forbidden(code: &str, message: &str) -> Response {
    let body = format!("{code}: {message}");
    let mut resp = (StatusCode::FORBIDDEN, body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{};reason=\"{}\";error_category=\"invalid_user\"",
        2_000_005, message
    )) {
        resp.headers_mut().insert("x-ms-diagnostics", v);
    }
    resp
}

/// The application permission of Office 365 Exchange Online that opens every mailbox through
/// ExchangeImpersonation.
const FULL_ACCESS_AS_APP: &str = "full_access_as_app";

/// RBAC, and the mailbox the request works on: by the linked account's roles for a partner
/// application, by the granted application permission for an Entra application.
pub fn authorize(a: &Authenticated, request: &Request) -> Result<Caller, Box<Response>> {
    match &a.principal {
        Principal::S2s(t) => authorize_partner(a, t, request),
        Principal::Entra(t) => authorize_entra(a, t, request),
        Principal::User(t) => crate::ews::user_tokens::authorize(a, t, request),
    }
}

/// An Entra application holding `full_access_as_app` works on the mailbox its
/// ExchangeImpersonation header names, with every EWS method, as in Exchange Online.
fn authorize_entra(
    a: &Authenticated,
    t: &ValidatedEntraToken,
    request: &Request,
) -> Result<Caller, Box<Response>> {
    let app = t.client_app_id.clone();
    if !t.roles.iter().any(|r| r == FULL_ACCESS_AS_APP) {
        return Err(Box::new(fault(
            ews::ResponseCode::ErrorAccessDenied,
            &format!(
                "The application '{app}' holds no {FULL_ACCESS_AS_APP} permission on Office 365 Exchange Online (grant it with admin consent)."
            ),
        )));
    }
    let env = &request.header;
    let Some(sid) = &env.impersonation else {
        if request.operation.name() == "ConvertId" {
            return Ok(Caller {
                user: None,
                mailbox: UserEntry::default(),
                partner_application: app,
            });
        }
        return Err(Box::new(fault(
            ews::ResponseCode::ErrorInvalidExchangeImpersonationHeaderData,
            "ExchangeImpersonation SOAP header must be present for this type of OAuth token.",
        )));
    };
    Ok(Caller {
        user: None,
        mailbox: impersonated(a, sid)?,
        partner_application: app,
    })
}

/// The mailbox an ExchangeImpersonation header names.
fn impersonated(a: &Authenticated, sid: &ConnectingSid) -> Result<UserEntry, Box<Response>> {
    let target = match sid {
        ConnectingSid::Sid(s) => a.trust.users.iter().find(|u| u.sid.eq_ignore_ascii_case(s)),
        other => a.trust.user_by_address(other.value()),
    };
    match target {
        Some(t) if t.has_mailbox() => Ok(t.clone()),
        _ => Err(Box::new(fault(
            ews::ResponseCode::ErrorNonExistentMailbox,
            &format!(
                "The SMTP address has no mailbox associated with it: {}",
                sid.value()
            ),
        ))),
    }
}

/// The voicemail configurations Cloud Voicemail works with (greetings: Um.CustomGreetings.*).
fn is_voicemail_configuration(name: &ews::UserConfigurationName) -> bool {
    name.name.starts_with("Um.")
}

fn names_only_voicemail(folders: &[ews::FolderRef]) -> bool {
    !folders.is_empty()
        && folders.iter().all(|f| {
            matches!(f, ews::FolderRef::Distinguished(d) if d.id.eq_ignore_ascii_case("voicemail"))
        })
}

/// Cloud Voicemail (the Teams edition's partner application without a linked account): the
/// voicemail operations of its service and nothing else, for the user an act-as token names
/// or, app-only, the mailbox ExchangeImpersonation names: the Um.* user configurations
/// (greetings) of the mailbox, GetUserOofSettings (which greeting plays), and GetFolder,
/// FindItem and CreateItem in the Voice Mail folder.
fn authorize_cloud_voicemail(
    a: &Authenticated,
    app: &str,
    request: &Request,
) -> Result<Caller, Box<Response>> {
    use ews::Operation as O;
    let allowed = match &request.operation {
        O::ConvertId(_) | O::GetUserOofSettings(_) => true,
        O::GetUserConfiguration(ews::GetUserConfiguration { name, .. })
        | O::DeleteUserConfiguration(ews::DeleteUserConfiguration { name }) => {
            is_voicemail_configuration(name)
        }
        O::CreateUserConfiguration(c) | O::UpdateUserConfiguration(c) => {
            is_voicemail_configuration(&c.name)
        }
        O::GetFolder(ews::GetFolder { folder_ids, .. }) => names_only_voicemail(folder_ids),
        O::FindItem(f) => names_only_voicemail(&f.parent_folder_ids),
        O::CreateItem(ews::CreateItem {
            saved_item_folder_id: Some(f),
            ..
        }) => names_only_voicemail(std::slice::from_ref(f)),
        _ => false,
    };
    if !allowed {
        return Err(Box::new(fault(
            ews::ResponseCode::ErrorAccessDenied,
            &format!(
                "The partner application '{app}' (Cloud Voicemail) may use the voicemail operations only: Um.* user configurations, GetUserOofSettings, and the Voice Mail folder; '{}' is not one of them.",
                request.operation.name()
            ),
        )));
    }
    let mailbox = match (&a.user, &request.header.impersonation) {
        (_, Some(sid)) => impersonated(a, sid)?,
        (Some(u), None) => u.clone(),
        (None, None) if request.operation.name() == "ConvertId" => UserEntry::default(),
        (None, None) => {
            return Err(Box::new(fault(
                ews::ResponseCode::ErrorInvalidExchangeImpersonationHeaderData,
                "ExchangeImpersonation SOAP header must be present for this type of OAuth token.",
            )));
        }
    };
    Ok(Caller {
        user: a.user.clone(),
        mailbox,
        partner_application: app.to_string(),
    })
}

fn authorize_partner(
    a: &Authenticated,
    token: &ValidatedToken,
    request: &Request,
) -> Result<Caller, Box<Response>> {
    let env = &request.header;
    let app = &token.partner_application;
    let roles = match a.trust.linked_roles.get(app) {
        Some(Some(r)) => r.clone(),
        _ if token
            .application_id
            .eq_ignore_ascii_case(s2s::ids::CLOUD_VOICEMAIL_APP_ID) =>
        {
            return authorize_cloud_voicemail(a, app, request);
        }
        _ => {
            return Err(Box::new(forbidden(
                "InvalidOAuthLinkedAccountException",
                &format!("The partner application '{app}' has no linked account."),
            )));
        }
    };
    let op = request.operation.name();
    let wanted = env
        .application_roles
        .first()
        .map(String::as_str)
        .unwrap_or("UserApplication");
    // Role entries decide: the methods of the account's roles of the wanted type (a custom
    // role such as the Teams edition's TeamsSchedulerRole holds fewer than its parent).
    let by_entries = |role_type: &str| {
        roles
            .iter()
            .filter(|r| r.role_type == role_type)
            .any(|r| r.methods.iter().any(|x| x == op))
    };
    let built_in = |role_type: &str| {
        a.trust
            .role_methods
            .get(role_type)
            .is_some_and(|m| m.iter().any(|x| x == op))
    };
    let impersonates = roles
        .iter()
        .any(|r| r.role_type == "ApplicationImpersonation");
    // The version probe (ConvertId of a dummy id) is answered for any accepted token: it
    // reads no mailbox, and clients send it before anything else, impersonating or not.
    if op == "ConvertId" && a.user.is_none() && env.impersonation.is_none() {
        return Ok(Caller {
            user: None,
            mailbox: UserEntry::default(),
            partner_application: app.clone(),
        });
    }
    // An app-only token acts for the user its ExchangeImpersonation header names, when the
    // linked account holds ApplicationImpersonation (exchangelib's usual OAuth pattern).
    let app_only_impersonation = a.user.is_none() && env.impersonation.is_some() && impersonates;
    match wanted {
        "UserApplication" | "ArchiveApplication" => {
            if a.user.is_none() && !app_only_impersonation {
                return Err(Box::new(fault(
                    ews::ResponseCode::ErrorAccessDenied,
                    &format!(
                        "The {wanted} role needs a user context (an act-as token, or ExchangeImpersonation with the ApplicationImpersonation role); this token is app-only."
                    ),
                )));
            }
            let by_impersonation = app_only_impersonation && wanted == "UserApplication";
            let holds_wanted = roles.iter().any(|r| r.role_type == wanted);
            if !by_impersonation && !holds_wanted {
                return Err(Box::new(fault(
                    ews::ResponseCode::ErrorAccessDenied,
                    &format!(
                        "The account of partner application '{app}' has no {wanted} role assigned."
                    ),
                )));
            }
            // Impersonating without a role of the wanted type: the built-in role's methods.
            let granted = if holds_wanted {
                by_entries(wanted)
            } else {
                built_in(wanted)
            };
            if !granted {
                return Err(Box::new(fault(
                    ews::ResponseCode::ErrorAccessDenied,
                    &format!("The {wanted} role does not grant '{op}'."),
                )));
            }
        }
        other => {
            return Err(Box::new(fault(
                ews::ResponseCode::ErrorAccessDenied,
                &format!("The application role '{other}' is not supported."),
            )));
        }
    }
    let user = a.user.clone();
    let mut mailbox = user.clone().unwrap_or_default();
    if let Some(sid) = &env.impersonation {
        if !impersonates {
            return Err(impersonation_denied());
        }
        mailbox = impersonated(a, sid)?;
    }
    if !mailbox.has_mailbox() {
        return Err(no_mailbox(&mailbox.primary_smtp));
    }
    Ok(Caller {
        user,
        mailbox,
        partner_application: app.clone(),
    })
}
