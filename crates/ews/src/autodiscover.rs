//! Autodiscover, both ways: SOAP `GetUserSettings` (autodiscover.svc) and POX
//! (autodiscover.xml) requests and responses.

use crate::EwsError;
use crate::soap::NS_SOAP;
use crate::types::bad;
use crate::writer::Writer;
use crate::xml::{self, Element};

pub const NS_AUTODISCOVER: &str = "http://schemas.microsoft.com/exchange/2010/Autodiscover";
pub const NS_ADDRESSING: &str = "http://www.w3.org/2005/08/addressing";
pub const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub const NS_POX_REQUEST: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
pub const NS_POX_RESPONSE: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
pub const NS_POX_OUTLOOK: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";
pub const ACTION_GET_USER_SETTINGS: &str =
    "http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettings";

/// The EWS schema versions this server names in `EwsSupportedSchemas`.
pub const EWS_SUPPORTED_SCHEMAS: &str = "Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, Exchange2013, Exchange2013_SP1, Exchange2016";

/// Autodiscover v2 (`/autodiscover/autodiscover.json`), anonymous as Exchange serves it: the
/// URL of one protocol for a mailbox, `{"Protocol":"EWS","Url":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutodiscoverV2 {
    pub protocol: String,
    pub url: String,
}

/// An Autodiscover v2 refusal: `{"ErrorCode":…,"ErrorMessage":…}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutodiscoverV2Error {
    pub error_code: String,
    pub error_message: String,
}

/// What an Autodiscover v2 request asks: the mailbox (from `Email=` or the
/// `/autodiscover.json/v1.0/<address>` form) and the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutodiscoverV2Request {
    pub email: String,
    pub protocol: String,
}

impl AutodiscoverV2Request {
    /// From the request path (any case) and its query string; None when the path is not an
    /// Autodiscover v2 one. A missing address or protocol is an empty string.
    pub fn parse(path: &str, query: Option<&str>) -> Option<Self> {
        const BASE: &str = "/autodiscover/autodiscover.json";
        let lower = path.to_ascii_lowercase();
        let rest = lower.strip_prefix(BASE)?;
        let mut email = match rest {
            "" | "/" => String::new(),
            r if r.starts_with("/v1.0/") => {
                percent_encoding::percent_decode_str(&path[BASE.len() + 6..])
                    .decode_utf8_lossy()
                    .into_owned()
            }
            _ => return None,
        };
        let mut protocol = String::new();
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match k.to_ascii_lowercase().as_str() {
                "email" if email.is_empty() => email = v.into_owned(),
                "protocol" => protocol = v.into_owned(),
                _ => {}
            }
        }
        Some(AutodiscoverV2Request { email, protocol })
    }
}

impl AutodiscoverV2 {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl AutodiscoverV2Error {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The EWS endpoint a target URI names, as Test-OAuthConnectivity takes it: the URI itself when
/// it names Exchange.asmx, else `<scheme>://<authority>/EWS/Exchange.asmx` (a metadata or OWA URL
/// names the server). None for anything but an http(s) URI with a host.
pub fn ews_endpoint_of(target: &str) -> Option<String> {
    if target.to_ascii_lowercase().ends_with("/exchange.asmx") {
        return Some(target.to_string());
    }
    let (scheme, rest) = target
        .split_once("://")
        .filter(|(s, _)| matches!(s.to_ascii_lowercase().as_str(), "http" | "https"))?;
    let authority = rest.split('/').next().filter(|a| !a.is_empty())?;
    Some(format!("{scheme}://{authority}/EWS/Exchange.asmx"))
}

fn parse_root(body: &[u8]) -> Result<Element, EwsError> {
    if body.len() > crate::soap::MAX_REQUEST_BYTES {
        return Err(EwsError::TooLarge(
            body.len(),
            crate::soap::MAX_REQUEST_BYTES,
        ));
    }
    let text = std::str::from_utf8(body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body))
        .map_err(|_| bad("the request is not UTF-8"))?;
    xml::parse(text)
}

/// `GetUserSettingsRequestMessage`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetUserSettingsRequest {
    pub requested_server_version: Option<String>,
    pub to: Option<String>,
    pub mailboxes: Vec<String>,
    pub settings: Vec<String>,
}

impl GetUserSettingsRequest {
    /// Parses a SOAP envelope; None when its body is not a GetUserSettings request.
    pub fn parse(body: &[u8]) -> Result<Option<GetUserSettingsRequest>, EwsError> {
        let env = parse_root(body)?;
        if env.ns != NS_SOAP || env.name != "Envelope" {
            return Err(bad("the root element is not a SOAP 1.1 Envelope"));
        }
        let header = env.child("Header");
        let Some(request) = env
            .child("Body")
            .and_then(|b| b.child("GetUserSettingsRequestMessage"))
            .and_then(|m| m.child("Request"))
        else {
            return Ok(None);
        };
        Ok(Some(GetUserSettingsRequest {
            requested_server_version: header.and_then(|h| h.child_text("RequestedServerVersion")),
            to: header.and_then(|h| h.child_text("To")),
            mailboxes: request
                .child("Users")
                .into_iter()
                .flat_map(|u| u.children_named("User"))
                .map(|u| u.child_text("Mailbox").unwrap_or_default())
                .collect(),
            settings: request
                .child("RequestedSettings")
                .into_iter()
                .flat_map(|r| r.children_named("Setting"))
                .map(|s| s.text().trim().to_string())
                .collect(),
        }))
    }

    pub fn to_xml(&self) -> String {
        let mut w = Writer::document();
        w.open(
            "soap:Envelope",
            &[
                ("xmlns:soap", NS_SOAP),
                ("xmlns:a", NS_AUTODISCOVER),
                ("xmlns:wsa", NS_ADDRESSING),
            ],
        );
        w.open("soap:Header", &[]);
        w.opt_leaf(
            "a:RequestedServerVersion",
            self.requested_server_version.as_deref(),
        );
        w.leaf("wsa:Action", ACTION_GET_USER_SETTINGS);
        w.opt_leaf("wsa:To", self.to.as_deref());
        w.close("soap:Header");
        w.open("soap:Body", &[]);
        w.open("a:GetUserSettingsRequestMessage", &[]);
        w.open("a:Request", &[]);
        w.open("a:Users", &[]);
        for m in &self.mailboxes {
            w.open("a:User", &[]);
            w.leaf("a:Mailbox", m);
            w.close("a:User");
        }
        w.close("a:Users");
        w.open("a:RequestedSettings", &[]);
        for s in &self.settings {
            w.leaf("a:Setting", s);
        }
        w.close("a:RequestedSettings");
        w.close("a:Request");
        w.close("a:GetUserSettingsRequestMessage");
        w.close("soap:Body");
        w.close("soap:Envelope");
        w.finish()
    }
}

/// One `UserResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserResponse {
    pub error_code: String,
    pub error_message: String,
    /// `(Name, Value)` of each `StringSetting`.
    pub settings: Vec<(String, String)>,
}

/// `GetUserSettingsResponseMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUserSettingsResponse {
    pub user_responses: Vec<UserResponse>,
}

impl GetUserSettingsResponse {
    pub fn to_xml(&self) -> String {
        let mut w = Writer::document();
        w.open(
            "s:Envelope",
            &[("xmlns:s", NS_SOAP), ("xmlns:a", NS_ADDRESSING)],
        );
        w.open("s:Header", &[]);
        w.leaf_with(
            "a:Action",
            &[("s:mustUnderstand", "1")],
            &format!("{ACTION_GET_USER_SETTINGS}Response"),
        );
        w.open("h:ServerVersionInfo", &[("xmlns:h", NS_AUTODISCOVER)]);
        for (n, v) in [
            ("h:MajorVersion", "15"),
            ("h:MinorVersion", "1"),
            ("h:MajorBuildNumber", "2507"),
            ("h:MinorBuildNumber", "6"),
            ("h:Version", "Exchange2016"),
        ] {
            w.leaf(n, v);
        }
        w.close("h:ServerVersionInfo");
        w.close("s:Header");
        w.open("s:Body", &[]);
        w.open(
            "GetUserSettingsResponseMessage",
            &[("xmlns", NS_AUTODISCOVER)],
        );
        w.open("Response", &[("xmlns:i", NS_XSI)]);
        w.leaf("ErrorCode", "NoError");
        w.empty("ErrorMessage", &[]);
        w.open("UserResponses", &[]);
        for u in &self.user_responses {
            w.open("UserResponse", &[]);
            w.leaf("ErrorCode", &u.error_code);
            w.leaf("ErrorMessage", &u.error_message);
            w.empty("RedirectTarget", &[("i:nil", "true")]);
            w.empty("UserSettingErrors", &[]);
            if u.settings.is_empty() {
                w.empty("UserSettings", &[]);
            } else {
                w.open("UserSettings", &[]);
                for (name, value) in &u.settings {
                    w.open("UserSetting", &[("i:type", "StringSetting")]);
                    w.leaf("Name", name);
                    w.leaf("Value", value);
                    w.close("UserSetting");
                }
                w.close("UserSettings");
            }
            w.close("UserResponse");
        }
        w.close("UserResponses");
        w.close("Response");
        w.close("GetUserSettingsResponseMessage");
        w.close("s:Body");
        w.close("s:Envelope");
        w.finish()
    }

    pub fn parse(text: &str) -> Result<GetUserSettingsResponse, EwsError> {
        let env = xml::parse(text)?;
        let response = env
            .child("Body")
            .and_then(|b| b.child("GetUserSettingsResponseMessage"))
            .and_then(|m| m.child("Response"))
            .ok_or_else(|| bad("no GetUserSettingsResponseMessage"))?;
        Ok(GetUserSettingsResponse {
            user_responses: response
                .child("UserResponses")
                .into_iter()
                .flat_map(|u| u.children_named("UserResponse"))
                .map(|u| UserResponse {
                    error_code: u.child_text("ErrorCode").unwrap_or_default(),
                    error_message: u.child_text("ErrorMessage").unwrap_or_default(),
                    settings: u
                        .child("UserSettings")
                        .into_iter()
                        .flat_map(|s| s.children_named("UserSetting"))
                        .map(|s| {
                            (
                                s.child_text("Name").unwrap_or_default(),
                                s.child_text("Value").unwrap_or_default(),
                            )
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}

/// A POX Autodiscover request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoxRequest {
    pub email_address: String,
}

impl PoxRequest {
    pub fn parse(body: &[u8]) -> Result<PoxRequest, EwsError> {
        let root = parse_root(body)?;
        let email = root
            .child("Request")
            .and_then(|q| q.child_text("EMailAddress"))
            .unwrap_or_default();
        Ok(PoxRequest {
            email_address: email,
        })
    }

    pub fn to_xml(&self) -> String {
        let mut w = Writer::document();
        w.open("Autodiscover", &[("xmlns", NS_POX_REQUEST)]);
        w.open("Request", &[]);
        w.leaf("EMailAddress", &self.email_address);
        w.leaf("AcceptableResponseSchema", NS_POX_OUTLOOK);
        w.close("Request");
        w.close("Autodiscover");
        w.finish()
    }
}

/// A POX Autodiscover answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoxResponse {
    Settings {
        display_name: String,
        smtp_address: String,
        external_ews_url: String,
        internal_ews_url: String,
    },
    Error {
        time: String,
        code: String,
        message: String,
    },
}

impl PoxResponse {
    pub fn to_xml(&self) -> String {
        let mut w = Writer::document();
        w.open("Autodiscover", &[("xmlns", NS_POX_RESPONSE)]);
        match self {
            PoxResponse::Error {
                time,
                code,
                message,
            } => {
                w.open("Response", &[]);
                w.open("Error", &[("Time", time), ("Id", "1")]);
                w.leaf("ErrorCode", code);
                w.leaf("Message", message);
                w.empty("DebugData", &[]);
                w.close("Error");
                w.close("Response");
            }
            PoxResponse::Settings {
                display_name,
                smtp_address,
                external_ews_url,
                internal_ews_url,
            } => {
                w.open("Response", &[("xmlns", NS_POX_OUTLOOK)]);
                w.open("User", &[]);
                w.leaf("DisplayName", display_name);
                w.leaf("AutoDiscoverSMTPAddress", smtp_address);
                w.close("User");
                w.open("Account", &[]);
                w.leaf("AccountType", "email");
                w.leaf("Action", "settings");
                for (kind, url) in [("EXPR", external_ews_url), ("EXCH", internal_ews_url)] {
                    w.open("Protocol", &[]);
                    w.leaf("Type", kind);
                    w.leaf("EwsUrl", url);
                    w.close("Protocol");
                }
                w.close("Account");
                w.close("Response");
            }
        }
        w.close("Autodiscover");
        w.finish()
    }

    pub fn parse(text: &str) -> Result<PoxResponse, EwsError> {
        let root = xml::parse(text)?;
        let response = root
            .child("Response")
            .ok_or_else(|| bad("the answer has no Response"))?;
        if let Some(e) = response.child("Error") {
            return Ok(PoxResponse::Error {
                time: e.attr("Time").unwrap_or("").into(),
                code: e.child_text("ErrorCode").unwrap_or_default(),
                message: e.child_text("Message").unwrap_or_default(),
            });
        }
        let user = response.child("User");
        let url = |kind: &str| {
            response
                .child("Account")
                .into_iter()
                .flat_map(|a| a.children_named("Protocol"))
                .find(|p| p.child_text("Type").as_deref() == Some(kind))
                .and_then(|p| p.child_text("EwsUrl"))
                .unwrap_or_default()
        };
        Ok(PoxResponse::Settings {
            display_name: user
                .and_then(|u| u.child_text("DisplayName"))
                .unwrap_or_default(),
            smtp_address: user
                .and_then(|u| u.child_text("AutoDiscoverSMTPAddress"))
                .unwrap_or_default(),
            external_ews_url: url("EXPR"),
            internal_ews_url: url("EXCH"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autodiscover_v2_requests_in_both_forms() {
        let q = AutodiscoverV2Request::parse(
            "/autodiscover/autodiscover.json",
            Some("Email=alice%40contoso.com&Protocol=EWS"),
        )
        .unwrap();
        assert_eq!(
            (q.email.as_str(), q.protocol.as_str()),
            ("alice@contoso.com", "EWS")
        );
        let p = AutodiscoverV2Request::parse(
            "/AutoDiscover/autodiscover.json/v1.0/bob@contoso.com",
            Some("Protocol=ews"),
        )
        .unwrap();
        assert_eq!(
            (p.email.as_str(), p.protocol.as_str()),
            ("bob@contoso.com", "ews")
        );
        assert!(AutodiscoverV2Request::parse("/autodiscover/autodiscover.xml", None).is_none());
        assert_eq!(
            AutodiscoverV2 {
                protocol: "EWS".into(),
                url: "https://x/EWS/Exchange.asmx".into()
            }
            .to_json(),
            r#"{"Protocol":"EWS","Url":"https://x/EWS/Exchange.asmx"}"#
        );
        let encoded = AutodiscoverV2Request::parse(
            "/autodiscover/autodiscover.json/v1.0/alice%40contoso.com",
            None,
        )
        .unwrap();
        assert_eq!(
            (encoded.email.as_str(), encoded.protocol.as_str()),
            ("alice@contoso.com", "")
        );
    }

    #[test]
    fn the_ews_endpoint_of_a_target() {
        assert_eq!(
            ews_endpoint_of("https://mail.contoso.com/metadata/json/1").as_deref(),
            Some("https://mail.contoso.com/EWS/Exchange.asmx")
        );
        assert_eq!(
            ews_endpoint_of("http://127.0.0.1:8443/EWS/Exchange.asmx").as_deref(),
            Some("http://127.0.0.1:8443/EWS/Exchange.asmx")
        );
        for bad in ["ftp://x/", "https:///x", "mail.contoso.com"] {
            assert_eq!(ews_endpoint_of(bad), None, "{bad}");
        }
    }
}
