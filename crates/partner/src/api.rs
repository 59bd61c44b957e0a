//! The partner's own API handlers: settings, users, the connectivity test, greetings and
//! delegates (each a function of the state).

use crate::PartnerError;
use crate::admin_types::{Delegate, Delegates, GreetingSaved, NewUser, PartnerUser, UserList};
use crate::ewsclient::{self};
use crate::kinds::*;
use crate::state::{AppState, Settings};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use std::collections::HashMap;
use store::NewObject;

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, PartnerError> {
    serde_json::from_slice(body)
        .map_err(|e| PartnerError::BadRequest(format!("the request body is not valid: {e}")))
}

pub(crate) async fn put_settings(
    State(a): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let s: Settings = parse(&body)?;
    let url = |u: &str| u.starts_with("http://") || u.starts_with("https://");
    let ews_ok = if s.ews_url.is_empty() {
        s.autodiscover_url.as_deref().is_some_and(url)
    } else {
        url(&s.ews_url)
    };
    if !matches!(
        s.edition.to_ascii_lowercase().as_str(),
        "" | "sfb" | "teams"
    ) {
        return Err(PartnerError::BadRequest(format!(
            "edition '{}' is not sfb or teams",
            s.edition
        )));
    }
    if s2s::Audience::parse(&s.resource).is_none()
        || !ews_ok
        || !url(&s.token_endpoint)
        || !crate::autodiscover::EWS_URL_SETTINGS.contains(&s.ews_url_setting.as_str())
    {
        return Err(PartnerError::BadRequest(
            "resource must be app/host@realm; tokenEndpoint and ewsUrl (or, without it, autodiscoverUrl) must be http(s) URLs; ewsUrlSetting is ExternalEwsUrl or InternalEwsUrl".into(),
        ));
    }
    a.state.discovered.lock().expect("discovered").clear();
    let dir = a.state.store.directory();
    let data = serde_json::to_value(&s).map_err(|e| PartnerError::Internal(e.to_string()))?;
    match dir.find(KIND_SETTINGS, "", "settings").await? {
        Some(obj) => {
            dir.update(&obj, "settings", data).await?;
        }
        None => {
            dir.create(NewObject::new(KIND_SETTINGS, "", "settings", data))
                .await?;
        }
    }
    Ok(axum::Json(s).into_response())
}

pub(crate) async fn test_oauth_connectivity(
    State(a): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let t: crate::connectivity::ConnectivityTest = parse(&body)?;
    let node = crate::connectivity::run(&a.state, &t).await?;
    Ok(axum::Json(node).into_response())
}

pub(crate) async fn get_settings(
    State(a): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    Ok(axum::Json(a.state.settings().await?).into_response())
}

pub(crate) async fn new_user(
    State(a): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let u: NewUser = parse(&body)?;
    let sip = u.sip.trim_start_matches("sip:").to_ascii_lowercase();
    if !sip.contains('@') || !u.smtp.contains('@') {
        return Err(PartnerError::BadRequest(
            "sip and smtp must be addresses".into(),
        ));
    }
    let user = PartnerUser {
        smtp: u.smtp.to_ascii_lowercase(),
        display_name: u.display_name.unwrap_or_else(|| sip.clone()),
        sip,
        availability: None,
    };
    let data =
        serde_json::to_value(&user).map_err(|e| PartnerError::Internal(format!("a user: {e}")))?;
    a.state
        .store
        .directory()
        .create(NewObject::new(KIND_USER, "", &user.sip, data))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(user)).into_response())
}

pub(crate) async fn list_users(
    State(a): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let users = a
        .state
        .store
        .directory()
        .list(KIND_USER, Some(""))
        .await?
        .into_iter()
        .filter_map(|u| serde_json::from_value::<PartnerUser>(u.data).ok())
        .collect();
    Ok(axum::Json(UserList { users }).into_response())
}

/// `Um.CustomGreetings.External` (the voicemail greeting) or `.Oof` (the away greeting).
fn greeting_name(q: &HashMap<String, String>) -> Result<&'static str, PartnerError> {
    match q.get("kind").map(|k| k.to_ascii_lowercase()).as_deref() {
        None | Some("external") => Ok("Um.CustomGreetings.External"),
        Some("oof") => Ok("Um.CustomGreetings.Oof"),
        Some(other) => Err(PartnerError::BadRequest(format!(
            "kind '{other}' is not External or Oof"
        ))),
    }
}

pub(crate) async fn set_greeting(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(user): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    if body.len() < 12 || &body[..4] != b"RIFF" || &body[8..12] != b"WAVE" {
        return Err(PartnerError::BadRequest(
            "a greeting is a WAV file (RIFF/WAVE)".into(),
        ));
    }
    let name = greeting_name(&q)?;
    let s = a.state.settings().await?.for_greeting(name);
    let u = a.state.user(&user).await?;
    let data = STANDARD.encode(&body);
    let update = ewsclient::user_configuration("UpdateUserConfiguration", name, Some(&data));
    let created = match a.state.ews_call(&s, &u, &update).await {
        Ok(_) => false,
        Err(PartnerError::EwsRefused { code, .. }) if code == "ErrorItemNotFound" => {
            a.state
                .ews_call(
                    &s,
                    &u,
                    &ewsclient::user_configuration("CreateUserConfiguration", name, Some(&data)),
                )
                .await?;
            true
        }
        Err(e) => return Err(e),
    };
    tracing::info!(user = %u.smtp, greeting = name, bytes = body.len(), created, "voicemail greeting set");
    Ok(axum::Json(GreetingSaved {
        user: u.smtp.clone(),
        name: name.to_string(),
        bytes: body.len(),
        created,
    })
    .into_response())
}

pub(crate) async fn get_greeting(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(user): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let m = greeting_call(&a, &user, greeting_name(&q)?, "GetUserConfiguration").await?;
    let data = match &m.payload {
        ews::Payload::UserConfiguration(c) => c.binary_data.clone().unwrap_or_default(),
        _ => String::new(),
    };
    let bytes = STANDARD
        .decode(data)
        .map_err(|e| PartnerError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "audio/wav")], bytes).into_response())
}

pub(crate) async fn delete_greeting(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(user): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    greeting_call(&a, &user, greeting_name(&q)?, "DeleteUserConfiguration").await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The user's delegates, read as the calendar reads them (GetDelegate; as Teams Scheduler in the
/// Teams edition): `[{smtp, displayName, calendar}]`.
pub(crate) async fn get_delegates(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(user): Path<String>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let s = a.state.settings().await?.for_calendar();
    let u = a.state.user(&user).await?;
    let smtp = u.smtp.clone();
    let (messages, app) = (
        a.state
            .ews_call_all(&s, &u, &ewsclient::get_delegates(&smtp))
            .await?,
        s.client_app_id.clone(),
    );
    let delegates = messages
        .iter()
        .filter_map(|m| match &m.payload {
            ews::Payload::DelegateUser(d) => Some(Delegate {
                smtp: d.user_id.primary_smtp_address.clone(),
                display_name: d.user_id.display_name.clone(),
                calendar: d.permissions.as_ref().and_then(|p| p.calendar.clone()),
            }),
            _ => None,
        })
        .collect();
    Ok(axum::Json(Delegates {
        user: smtp.to_string(),
        application: app.to_string(),
        delegates,
    })
    .into_response())
}

/// Get- or DeleteUserConfiguration of a greeting; a missing one is NotFound.
async fn greeting_call(
    a: &AppState,
    user: &str,
    name: &str,
    op: &str,
) -> Result<ews::ResponseMessage, PartnerError> {
    let s = a.state.settings().await?.for_greeting(name);
    let u = a.state.user(user).await?;
    a.state
        .ews_call(&s, &u, &ewsclient::user_configuration(op, name, None))
        .await
        .map_err(|e| match e {
            PartnerError::EwsRefused { code, .. } if code == "ErrorItemNotFound" => {
                PartnerError::NotFound(format!("the {name} greeting of {user}"))
            }
            other => other,
        })
}
