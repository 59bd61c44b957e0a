//! Autodiscover: SOAP GetUserSettings (/autodiscover/autodiscover.svc) and POX
//! (/autodiscover/autodiscover.xml), answering the EWS URLs for known users, behind the same
//! S2S authentication as EWS.

use super::context::xml_response;
use super::inbound;
use crate::state::OnPremState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ews::autodiscover::{
    EWS_SUPPORTED_SCHEMAS, GetUserSettingsRequest, GetUserSettingsResponse, PoxRequest,
    PoxResponse, UserResponse,
};
use std::sync::Arc;

/// The EWS URLs: the organization's published one, and this server's own.
async fn urls(state: &OnPremState) -> (String, String) {
    let external = crate::objects::organization(&state.store)
        .await
        .map(|o| o.ews_url)
        .unwrap_or_default();
    (
        external,
        format!("{}/EWS/Exchange.asmx", state.config.public_url),
    )
}

pub async fn soap(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(resp) = inbound::authenticate(&state, &headers).await {
        return resp;
    }
    let request = match GetUserSettingsRequest::parse(&body) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return super::context::fault(
                ews::ResponseCode::ErrorInvalidOperation,
                "Only GetUserSettings is supported.",
            );
        }
        Err(_) => {
            return super::context::fault(
                ews::ResponseCode::ErrorSchemaValidation,
                "The request is not a SOAP envelope.",
            );
        }
    };
    let (external, internal) = urls(&state).await;
    let trust = state.trust();
    let user_responses = request
        .mailboxes
        .iter()
        .map(
            |address| match trust.user_by_address(address).filter(|u| u.has_mailbox()) {
                None => UserResponse {
                    error_code: "InvalidUser".into(),
                    error_message: format!("Invalid user: '{address}'"),
                    settings: Vec::new(),
                },
                Some(u) => UserResponse {
                    error_code: "NoError".into(),
                    error_message: "No error.".into(),
                    settings: request
                        .settings
                        .iter()
                        .filter_map(|name| {
                            let value = match name.as_str() {
                                "ExternalEwsUrl" => external.clone(),
                                "InternalEwsUrl" => internal.clone(),
                                "AutoDiscoverSMTPAddress" => u.primary_smtp.clone(),
                                "UserDisplayName" => u.display_name.clone(),
                                "EwsSupportedSchemas" => EWS_SUPPORTED_SCHEMAS.into(),
                                _ => return None,
                            };
                            Some((name.clone(), value))
                        })
                        .collect(),
                },
            },
        )
        .collect();
    xml_response(
        StatusCode::OK,
        GetUserSettingsResponse { user_responses }.to_xml(),
    )
}

pub async fn pox(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(resp) = inbound::authenticate(&state, &headers).await {
        return resp;
    }
    let address = PoxRequest::parse(&body)
        .map(|r| r.email_address)
        .unwrap_or_default();
    let trust = state.trust();
    let (external, internal) = urls(&state).await;
    let answer = match trust.user_by_address(&address).filter(|u| u.has_mailbox()) {
        None => PoxResponse::Error {
            time: crate::objects::now_text(),
            code: "500".into(),
            message: "The email address can't be found.".into(),
        },
        Some(u) => PoxResponse::Settings {
            display_name: u.display_name.clone(),
            smtp_address: u.primary_smtp.clone(),
            external_ews_url: external,
            internal_ews_url: internal,
        },
    };
    xml_response(StatusCode::OK, answer.to_xml())
}

/// Autodiscover v2, anonymous as Exchange answers it: the EWS URL (or the Autodiscover v1 URL)
/// of a mailbox of the organization; 404 for an address that is not one, 400 for another
/// protocol.
pub async fn json_v2(
    state: &OnPremState,
    request: ews::autodiscover::AutodiscoverV2Request,
) -> Response {
    use ews::autodiscover::{AutodiscoverV2, AutodiscoverV2Error};
    let refuse = |status: StatusCode, code: &str, message: String| {
        let body = AutodiscoverV2Error {
            error_code: code.into(),
            error_message: message,
        };
        json_response(status, body.to_json())
    };
    let known = state
        .trust()
        .user_by_address(&request.email)
        .is_some_and(|u| u.has_mailbox());
    if request.email.is_empty() || !known {
        return refuse(
            StatusCode::NOT_FOUND,
            "InvalidUser",
            format!(
                "No mailbox of this organization has the address '{}'.",
                request.email
            ),
        );
    }
    let (external, _) = urls(state).await;
    let (protocol, url) = match request.protocol.to_ascii_lowercase().as_str() {
        "ews" => ("EWS", external),
        "autodiscoverv1" => {
            let base = external
                .split("/EWS/")
                .next()
                .unwrap_or(&external)
                .to_string();
            (
                "AutodiscoverV1",
                format!("{base}/autodiscover/autodiscover.xml"),
            )
        }
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "ProtocolNotSupported",
                format!(
                    "The protocol '{}' is not supported; ask for EWS or AutodiscoverV1.",
                    request.protocol
                ),
            );
        }
    };
    json_response(
        StatusCode::OK,
        AutodiscoverV2 {
            protocol: protocol.into(),
            url,
        }
        .to_json(),
    )
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}
