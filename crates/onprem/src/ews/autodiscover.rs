//! Autodiscover: SOAP GetUserSettings (/autodiscover/autodiscover.svc) and POX
//! (/autodiscover/autodiscover.xml), answering the EWS URLs for known users, behind the same
//! S2S authentication as EWS.

use super::auth;
use super::xml_response;
use crate::objects::text;
use crate::server::OnPremState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use ews::xml::escape;
use std::sync::Arc;

const NS_AUTODISCOVER: &str = "http://schemas.microsoft.com/exchange/2010/Autodiscover";
const NS_POX_RESPONSE: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
const NS_POX_OUTLOOK: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

/// The EWS URLs: the organization's published one, and this server's own.
async fn urls(state: &OnPremState) -> (String, String) {
    let external = crate::org::organization(&state.store)
        .await
        .map(|o| text(&o, "EwsUrl").to_string())
        .unwrap_or_default();
    (
        external,
        format!("{}/EWS/Exchange.asmx", state.config.public_url),
    )
}

fn setting(name: &str, value: &str) -> String {
    format!(
        r#"<UserSetting i:type="StringSetting"><Name>{name}</Name><Value>{}</Value></UserSetting>"#,
        escape(value)
    )
}

pub async fn soap(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(resp) = auth::authenticate(&state, &headers).await {
        return resp;
    }
    let Ok(env) = std::str::from_utf8(&body)
        .map_err(|_| ())
        .and_then(|t| ews::xml::parse(t).map_err(|_| ()))
    else {
        return super::fault(
            "ErrorSchemaValidation",
            "The request is not a SOAP envelope.",
        );
    };
    let request = env
        .child("Body")
        .and_then(|b| b.child("GetUserSettingsRequestMessage"))
        .and_then(|m| m.child("Request"));
    let Some(request) = request else {
        return super::fault(
            "ErrorInvalidOperation",
            "Only GetUserSettings is supported.",
        );
    };
    let requested: Vec<String> = request
        .child("RequestedSettings")
        .map(|r| {
            r.children_named("Setting")
                .map(|s| s.text().trim().to_string())
                .collect()
        })
        .unwrap_or_default();
    let (external, internal) = urls(&state).await;
    let trust = state.trust();
    let mut responses = String::new();
    for user in request
        .child("Users")
        .into_iter()
        .flat_map(|u| u.children_named("User"))
    {
        let address = user.child_text("Mailbox").unwrap_or_default();
        match trust.user_by_address(&address).filter(|u| u.has_mailbox()) {
            None => responses.push_str(&format!(
                r#"<UserResponse><ErrorCode>InvalidUser</ErrorCode><ErrorMessage>Invalid user: '{}'</ErrorMessage><RedirectTarget i:nil="true"/><UserSettingErrors/><UserSettings/></UserResponse>"#,
                escape(&address)
            )),
            Some(u) => {
                let mut settings = String::new();
                for name in &requested {
                    let value = match name.as_str() {
                        "ExternalEwsUrl" => Some(external.clone()),
                        "InternalEwsUrl" => Some(internal.clone()),
                        "AutoDiscoverSMTPAddress" => Some(u.primary_smtp.clone()),
                        "UserDisplayName" => Some(u.display_name.clone()),
                        "EwsSupportedSchemas" => Some("Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, Exchange2013, Exchange2013_SP1, Exchange2016".into()),
                        _ => None,
                    };
                    if let Some(v) = value {
                        settings.push_str(&setting(name, &v));
                    }
                }
                responses.push_str(&format!(
                    r#"<UserResponse><ErrorCode>NoError</ErrorCode><ErrorMessage>No error.</ErrorMessage><RedirectTarget i:nil="true"/><UserSettingErrors/><UserSettings>{settings}</UserSettings></UserResponse>"#
                ));
            }
        }
    }
    let body = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header><a:Action s:mustUnderstand="1">http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettingsResponse</a:Action><h:ServerVersionInfo xmlns:h="{NS_AUTODISCOVER}"><h:MajorVersion>15</h:MajorVersion><h:MinorVersion>1</h:MinorVersion><h:MajorBuildNumber>2507</h:MajorBuildNumber><h:MinorBuildNumber>6</h:MinorBuildNumber><h:Version>Exchange2016</h:Version></h:ServerVersionInfo></s:Header><s:Body><GetUserSettingsResponseMessage xmlns="{NS_AUTODISCOVER}"><Response xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><ErrorCode>NoError</ErrorCode><ErrorMessage/><UserResponses>{responses}</UserResponses></Response></GetUserSettingsResponseMessage></s:Body></s:Envelope>"#
    );
    xml_response(StatusCode::OK, body)
}

pub async fn pox(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(resp) = auth::authenticate(&state, &headers).await {
        return resp;
    }
    let address = std::str::from_utf8(&body)
        .ok()
        .and_then(|t| ews::xml::parse(t).ok())
        .and_then(|r| {
            r.child("Request")
                .and_then(|q| q.child_text("EMailAddress"))
        })
        .unwrap_or_default();
    let trust = state.trust();
    let (external, internal) = urls(&state).await;
    let body = match trust.user_by_address(&address).filter(|u| u.has_mailbox()) {
        None => format!(
            r#"<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="{NS_POX_RESPONSE}"><Response><Error Time="{}" Id="1"><ErrorCode>500</ErrorCode><Message>The email address can't be found.</Message><DebugData/></Error></Response></Autodiscover>"#,
            crate::objects::now_text()
        ),
        Some(u) => format!(
            r#"<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="{NS_POX_RESPONSE}"><Response xmlns="{NS_POX_OUTLOOK}"><User><DisplayName>{}</DisplayName><AutoDiscoverSMTPAddress>{}</AutoDiscoverSMTPAddress></User><Account><AccountType>email</AccountType><Action>settings</Action><Protocol><Type>EXPR</Type><EwsUrl>{}</EwsUrl></Protocol><Protocol><Type>EXCH</Type><EwsUrl>{}</EwsUrl></Protocol></Account></Response></Autodiscover>"#,
            escape(&u.display_name),
            escape(&u.primary_smtp),
            escape(&external),
            escape(&internal)
        ),
    };
    xml_response(StatusCode::OK, body)
}
