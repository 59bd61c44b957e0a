//! Finding a user's EWS URL by Autodiscover (SOAP GetUserSettings), under the same S2S token as
//! the EWS call that follows, when the partner is configured with an Autodiscover URL instead of
//! a fixed EWS URL. Answers are kept per user for the life of the process.

use crate::PartnerError;
use ews::autodiscover::{GetUserSettingsRequest, GetUserSettingsResponse};

/// The settings a partner may take the EWS URL from.
pub const EWS_URL_SETTINGS: &[&str] = &["ExternalEwsUrl", "InternalEwsUrl"];

fn request(url: &str, mailbox: &str) -> String {
    GetUserSettingsRequest {
        requested_server_version: Some("Exchange2013".into()),
        to: Some(url.into()),
        mailboxes: vec![mailbox.into()],
        settings: EWS_URL_SETTINGS.iter().map(|s| s.to_string()).collect(),
    }
    .to_xml()
}

/// The value of `setting` for `mailbox`, from the GetUserSettings answer in `text`.
pub fn parse_setting(text: &str, setting: &str) -> Result<String, PartnerError> {
    let answer = GetUserSettingsResponse::parse(text)
        .map_err(|e| PartnerError::Unavailable(format!("Autodiscover answered no XML: {e}")))?;
    let user =
        answer.user_responses.into_iter().next().ok_or_else(|| {
            PartnerError::Unavailable("Autodiscover answered no UserResponse".into())
        })?;
    if user.error_code != "NoError" {
        return Err(PartnerError::EwsRefused {
            message: user.error_message,
            code: user.error_code,
        });
    }
    user.settings
        .into_iter()
        .find(|(name, _)| name == setting)
        .map(|(_, v)| v)
        .filter(|v| v.starts_with("http"))
        .ok_or_else(|| PartnerError::EwsRefused {
            code: "SettingIsNotAvailable".into(),
            message: format!("Autodiscover has no {setting} for this user"),
        })
}

/// Asks Autodiscover at `url` for `mailbox`'s EWS URL (`setting`), presenting `token`.
pub async fn ews_url(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    mailbox: &str,
    setting: &str,
) -> Result<String, PartnerError> {
    let resp = http
        .post(url)
        .header("content-type", "text/xml; charset=utf-8")
        .bearer_auth(token)
        .body(request(url, mailbox))
        .send()
        .await
        .map_err(|e| {
            PartnerError::Unavailable(format!("Autodiscover at {url} cannot be reached: {e}"))
        })?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| PartnerError::Unavailable(format!("Autodiscover answer cut short: {e}")))?;
    if status.as_u16() == 401 || status.as_u16() == 403 {
        return Err(PartnerError::EwsRefused {
            code: format!("Http{}", status.as_u16()),
            message: "Autodiscover refused the token".into(),
        });
    }
    if !status.is_success() {
        return Err(PartnerError::Unavailable(format!(
            "Autodiscover answered HTTP {status}"
        )));
    }
    parse_setting(&text, setting)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetUserSettingsResponseMessage xmlns="http://schemas.microsoft.com/exchange/2010/Autodiscover"><Response xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><ErrorCode>NoError</ErrorCode><UserResponses><UserResponse><ErrorCode>NoError</ErrorCode><UserSettings><UserSetting i:type="StringSetting"><Name>ExternalEwsUrl</Name><Value>https://mail.contoso.com/EWS/Exchange.asmx</Value></UserSetting><UserSetting i:type="StringSetting"><Name>InternalEwsUrl</Name><Value>http://127.0.0.1:8443/EWS/Exchange.asmx</Value></UserSetting></UserSettings></UserResponse></UserResponses></Response></GetUserSettingsResponseMessage></s:Body></s:Envelope>"#;

    #[test]
    fn takes_the_requested_setting() {
        assert_eq!(
            parse_setting(ANSWER, "ExternalEwsUrl").unwrap(),
            "https://mail.contoso.com/EWS/Exchange.asmx"
        );
        assert_eq!(
            parse_setting(ANSWER, "InternalEwsUrl").unwrap(),
            "http://127.0.0.1:8443/EWS/Exchange.asmx"
        );
        let bad = ANSWER.replace("<ErrorCode>NoError</ErrorCode><UserSettings>", "<ErrorCode>InvalidUser</ErrorCode><ErrorMessage>Invalid user</ErrorMessage><UserSettings>");
        assert_eq!(
            parse_setting(&bad, "InternalEwsUrl").unwrap_err().code(),
            "InvalidUser"
        );
        assert!(parse_setting("not xml", "InternalEwsUrl").is_err());
    }
}
