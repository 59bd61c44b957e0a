//! EWS requests: the SOAP envelope and header (RequestServerVersion, ExchangeImpersonation,
//! ManagementRole) around one typed [`Operation`] (see [`crate::operations`]), parsed from the
//! bounded reader and written by clients through the same types.

use crate::EwsError;
use crate::operations::Operation;
use crate::soap::{KNOWN_VERSIONS, MAX_REQUEST_BYTES, NS_MESSAGES, NS_SOAP, NS_TYPES};
use crate::types::bad;
use crate::writer::Writer;
use crate::xml::{self, Element};

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

    fn element_name(&self) -> &'static str {
        match self {
            ConnectingSid::PrimarySmtpAddress(_) => "t:PrimarySmtpAddress",
            ConnectingSid::SmtpAddress(_) => "t:SmtpAddress",
            ConnectingSid::PrincipalName(_) => "t:PrincipalName",
            ConnectingSid::Sid(_) => "t:SID",
        }
    }
}

/// The SOAP header of a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub server_version: Option<String>,
    pub impersonation: Option<ConnectingSid>,
    /// `ManagementRole/ApplicationRoles/Role` values.
    pub application_roles: Vec<String>,
    pub user_roles: Vec<String>,
    /// `TimeZoneContext/TimeZoneDefinition/@Id`.
    pub time_zone: Option<String>,
}

impl Header {
    fn parse(h: Option<&Element>) -> Result<Header, EwsError> {
        let Some(h) = h else {
            return Ok(Header::default());
        };
        let server_version = h
            .child("RequestServerVersion")
            .and_then(|v| v.attr("Version"))
            .map(str::to_string);
        if let Some(v) = &server_version
            && !KNOWN_VERSIONS.contains(&v.as_str())
        {
            return Err(bad(format!("the RequestServerVersion '{v}' is not valid")));
        }
        let impersonation = h
            .child("ExchangeImpersonation")
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
            h.child("ManagementRole")
                .and_then(|m| m.child(kind))
                .map(|r| {
                    r.children_named("Role")
                        .map(|e| e.text().trim().to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Header {
            server_version,
            impersonation,
            application_roles: roles("ApplicationRoles"),
            user_roles: roles("UserRoles"),
            time_zone: h
                .child("TimeZoneContext")
                .and_then(|t| t.child("TimeZoneDefinition"))
                .and_then(|d| d.attr("Id"))
                .map(str::to_string),
        })
    }

    fn write(&self, w: &mut Writer) {
        w.open("s:Header", &[]);
        if let Some(v) = &self.server_version {
            w.empty("t:RequestServerVersion", &[("Version", v)]);
        }
        if let Some(sid) = &self.impersonation {
            w.open("t:ExchangeImpersonation", &[]);
            w.open("t:ConnectingSID", &[]);
            w.leaf(sid.element_name(), sid.value());
            w.close("t:ConnectingSID");
            w.close("t:ExchangeImpersonation");
        }
        if !self.application_roles.is_empty() || !self.user_roles.is_empty() {
            w.open("t:ManagementRole", &[]);
            for (name, roles) in [
                ("t:UserRoles", &self.user_roles),
                ("t:ApplicationRoles", &self.application_roles),
            ] {
                if roles.is_empty() {
                    continue;
                }
                w.open(name, &[]);
                for r in roles {
                    w.leaf("t:Role", r);
                }
                w.close(name);
            }
            w.close("t:ManagementRole");
        }
        if let Some(tz) = &self.time_zone {
            w.open("t:TimeZoneContext", &[]);
            w.empty("t:TimeZoneDefinition", &[("Id", tz)]);
            w.close("t:TimeZoneContext");
        }
        w.close("s:Header");
    }
}

/// A whole request: header and operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub header: Header,
    pub operation: Operation,
}

impl Request {
    /// A request with the server version Hybrid's own clients send.
    pub fn new(operation: Operation) -> Request {
        Request {
            header: Header {
                server_version: Some("Exchange2016".into()),
                ..Header::default()
            },
            operation,
        }
    }

    /// Parses a request body: bounded, UTF-8 (a BOM is allowed), a SOAP 1.1 envelope.
    pub fn parse(body: &[u8]) -> Result<Request, EwsError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(EwsError::TooLarge(body.len(), MAX_REQUEST_BYTES));
        }
        let text = std::str::from_utf8(body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body))
            .map_err(|_| bad("the request is not UTF-8"))?;
        let root = xml::parse(text)?;
        if root.ns != NS_SOAP || root.name != "Envelope" {
            return Err(bad("the root element is not a SOAP 1.1 Envelope"));
        }
        // One Header at most, one Body, one operation in it: a message that carries two could
        // be read as either, so it is read as neither.
        if root.children_named("Header").count() > 1 || root.children_named("Body").count() != 1 {
            return Err(bad(
                "the envelope must have one Body and at most one Header",
            ));
        }
        let body = root
            .child("Body")
            .ok_or_else(|| bad("the envelope has no Body"))?;
        let mut ops = body.elements();
        let op = ops.next().ok_or_else(|| bad("the Body is empty"))?;
        if ops.next().is_some() {
            return Err(bad("the Body carries more than one operation"));
        }
        Ok(Request {
            header: Header::parse(root.child("Header"))?,
            operation: Operation::parse(op)?,
        })
    }

    /// The request as a client sends it.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::document();
        w.open(
            "s:Envelope",
            &[
                ("xmlns:s", NS_SOAP),
                ("xmlns:m", NS_MESSAGES),
                ("xmlns:t", NS_TYPES),
            ],
        );
        self.header.write(&mut w);
        w.open("s:Body", &[]);
        self.operation.write(&mut w);
        w.close("s:Body");
        w.close("s:Envelope");
        w.finish()
    }
}
