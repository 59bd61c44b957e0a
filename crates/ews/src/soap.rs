//! The SOAP envelope of EWS requests and responses, and faults.

use crate::EwsError;
use crate::xml::{self, Element, escape};

pub const NS_SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const NS_MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
pub const NS_TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
pub const NS_ERRORS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";

/// Requests larger than this are refused before parsing.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024 * 1024;

/// The RequestServerVersion values clients send; all are answered alike.
pub const KNOWN_VERSIONS: &[&str] = &[
    "Exchange2007",
    "Exchange2007_SP1",
    "Exchange2010",
    "Exchange2010_SP1",
    "Exchange2010_SP2",
    "Exchange2013",
    "Exchange2013_SP1",
    "Exchange2015",
    "Exchange2015_SP1",
    "Exchange2016",
    "V2015_10_05",
    "V2016_01_06",
    "V2017_04_14",
    "V2017_07_11",
    "V2017_10_09",
    "V2018_01_08",
];

/// Who an `ExchangeImpersonation` header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectingSid {
    PrimarySmtpAddress(String),
    SmtpAddress(String),
    PrincipalName(String),
    Sid(String),
}

impl ConnectingSid {
    pub fn value(&self) -> &str {
        match self {
            ConnectingSid::PrimarySmtpAddress(v)
            | ConnectingSid::SmtpAddress(v)
            | ConnectingSid::PrincipalName(v)
            | ConnectingSid::Sid(v) => v,
        }
    }
}

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The operation element (first child of the Body), e.g. `GetFolder`.
    pub operation: Element,
    pub server_version: Option<String>,
    pub impersonation: Option<ConnectingSid>,
    /// `ManagementRole/ApplicationRoles/Role` values.
    pub application_roles: Vec<String>,
    pub user_roles: Vec<String>,
}

impl Envelope {
    pub fn parse(body: &[u8]) -> Result<Envelope, EwsError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(EwsError::TooLarge(body.len(), MAX_REQUEST_BYTES));
        }
        let text = std::str::from_utf8(body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body))
            .map_err(|_| EwsError::Malformed("the request is not UTF-8".into()))?;
        let root = xml::parse(text)?;
        if root.ns != NS_SOAP || root.name != "Envelope" {
            return Err(EwsError::Malformed(
                "the root element is not a SOAP 1.1 Envelope".into(),
            ));
        }
        let body = root
            .child("Body")
            .ok_or_else(|| EwsError::Malformed("the envelope has no Body".into()))?;
        let operation = body
            .elements()
            .next()
            .cloned()
            .ok_or_else(|| EwsError::Malformed("the Body is empty".into()))?;
        let header = root.child("Header");
        let server_version = header
            .and_then(|h| h.child("RequestServerVersion"))
            .and_then(|v| v.attr("Version"))
            .map(str::to_string);
        if let Some(v) = &server_version
            && !KNOWN_VERSIONS.contains(&v.as_str())
        {
            return Err(EwsError::Malformed(format!(
                "the RequestServerVersion '{v}' is not valid"
            )));
        }
        let impersonation = header
            .and_then(|h| h.child("ExchangeImpersonation"))
            .and_then(|i| i.child("ConnectingSID"))
            .and_then(|c| {
                let pick = |n: &str| c.child_text(n).filter(|v| !v.is_empty());
                pick("PrimarySmtpAddress")
                    .map(ConnectingSid::PrimarySmtpAddress)
                    .or_else(|| pick("SmtpAddress").map(ConnectingSid::SmtpAddress))
                    .or_else(|| pick("PrincipalName").map(ConnectingSid::PrincipalName))
                    .or_else(|| pick("SID").map(ConnectingSid::Sid))
            });
        let roles = |kind: &str| -> Vec<String> {
            header
                .and_then(|h| h.child("ManagementRole"))
                .and_then(|m| m.child(kind))
                .map(|r| {
                    r.children_named("Role")
                        .map(|e| e.text().trim().to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Envelope {
            application_roles: roles("ApplicationRoles"),
            user_roles: roles("UserRoles"),
            operation,
            server_version,
            impersonation,
        })
    }
}

/// `t:ServerVersionInfo` for Exchange Server 2019-era builds.
pub fn server_version_info() -> &'static str {
    r#"<h:ServerVersionInfo xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types" MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6" Version="V2017_07_11"/>"#
}

/// A whole response envelope around `body` (already XML, using the `m:` and `t:` prefixes).
pub fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{NS_SOAP}"><s:Header>{}</s:Header><s:Body xmlns:m="{NS_MESSAGES}" xmlns:t="{NS_TYPES}">{body}</s:Body></s:Envelope>"#,
        server_version_info()
    )
}

/// The `m:{op}Response` element with its response messages.
pub fn response(op: &str, messages: &[String]) -> String {
    format!(
        "<m:{op}Response><m:ResponseMessages>{}</m:ResponseMessages></m:{op}Response>",
        messages.concat()
    )
}

/// A successful response message with `payload`.
pub fn success(op: &str, payload: &str) -> String {
    format!(
        r#"<m:{op}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>{payload}</m:{op}ResponseMessage>"#
    )
}

/// An error (or warning) response message.
pub fn error(op: &str, class: &str, code: &str, text: &str, payload: &str) -> String {
    format!(
        r#"<m:{op}ResponseMessage ResponseClass="{class}"><m:MessageText>{}</m:MessageText><m:ResponseCode>{code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>{payload}</m:{op}ResponseMessage>"#,
        escape(text)
    )
}

/// A SOAP fault (sent with HTTP 500), as Exchange shapes it.
pub fn fault(code: &str, message: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{NS_SOAP}"><s:Body><s:Fault><faultcode xmlns:a="{NS_TYPES}">a:{code}</faultcode><faultstring xml:lang="en-US">{m}</faultstring><detail><e:ResponseCode xmlns:e="{NS_ERRORS}">{code}</e:ResponseCode><e:Message xmlns:e="{NS_ERRORS}">{m}</e:Message></detail></s:Fault></s:Body></s:Envelope>"#,
        m = escape(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &str = r#"<?xml version='1.0' encoding='utf-8'?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header><t:RequestServerVersion Version="Exchange2016"/><t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>alice@contoso.com</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation><t:ManagementRole><t:ApplicationRoles><t:Role>ArchiveApplication</t:Role></t:ApplicationRoles></t:ManagementRole><t:TimeZoneContext><t:TimeZoneDefinition Id="UTC"/></t:TimeZoneContext></s:Header><s:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="root"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>"#;

    #[test]
    fn parses_headers_and_operation() {
        let e = Envelope::parse(REQ.as_bytes()).unwrap();
        assert_eq!(e.operation.name, "GetFolder");
        assert_eq!(e.operation.ns, NS_MESSAGES);
        assert_eq!(e.server_version.as_deref(), Some("Exchange2016"));
        assert_eq!(
            e.impersonation,
            Some(ConnectingSid::PrimarySmtpAddress(
                "alice@contoso.com".into()
            ))
        );
        assert_eq!(e.application_roles, vec!["ArchiveApplication".to_string()]);
    }

    #[test]
    fn refusals() {
        assert!(Envelope::parse(b"<x/>").is_err());
        assert!(Envelope::parse(REQ.replace("Exchange2016", "Exchange1999").as_bytes()).is_err());
        assert!(Envelope::parse(&vec![b' '; MAX_REQUEST_BYTES + 1]).is_err());
        let f = fault("ErrorSchemaValidation", "bad <thing>");
        assert!(f.starts_with("<?xml"));
        assert!(f.contains("bad &lt;thing&gt;"));
        let parsed = crate::xml::parse(&f).unwrap();
        assert_eq!(
            parsed
                .child("Body")
                .unwrap()
                .child("Fault")
                .unwrap()
                .child_text("faultcode")
                .as_deref(),
            Some("a:ErrorSchemaValidation")
        );
        let env = envelope(&response(
            "GetFolder",
            &[error("GetFolder", "Error", "ErrorFolderNotFound", "x", "")],
        ));
        assert!(crate::xml::parse(&env).is_ok());
    }
}
