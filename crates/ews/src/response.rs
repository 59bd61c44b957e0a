//! EWS responses: an `m:{Op}Response` with one response message per input, each with its class,
//! code, text and typed payload; and SOAP faults. Servers write them, clients read them, through
//! the same types.

use crate::EwsError;
use crate::code::ResponseCode;
use crate::fault::Fault;
use crate::message::ResponseMessage;
use crate::operations::ResponseForm;
use crate::soap::{NS_MESSAGES, NS_SOAP, NS_TYPES};
use crate::types::*;
use crate::writer::Writer;
use crate::xml;

/// The build this server reports in `t:ServerVersionInfo` (Exchange Server 2016/2019-era).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersionInfo {
    pub major: u32,
    pub minor: u32,
    pub major_build: u32,
    pub minor_build: u32,
    pub version: String,
}

impl Default for ServerVersionInfo {
    fn default() -> Self {
        ServerVersionInfo {
            major: 15,
            minor: 1,
            major_build: 2507,
            minor_build: 6,
            version: "V2017_07_11".into(),
        }
    }
}

/// A whole response: the operation's name and its messages, in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub operation: String,
    pub server_version: ServerVersionInfo,
    pub messages: Vec<ResponseMessage>,
    /// GetDelegate's `m:DeliverMeetingRequests`.
    pub deliver_meeting_requests: Option<String>,
}

impl Response {
    pub fn new(operation: &str, messages: Vec<ResponseMessage>) -> Response {
        Response {
            operation: operation.into(),
            server_version: ServerVersionInfo::default(),
            messages,
            deliver_meeting_requests: None,
        }
    }

    pub fn to_xml(&self) -> String {
        self.write("s:Envelope", &[("xmlns:s", NS_SOAP)])
    }

    /// The form of each envelope of a GetStreamingEvents stream: an unprefixed `Envelope` root,
    /// as Exchange writes them (ews-javascript-api and the EWS Managed API cut the stream into
    /// documents at `<Envelope` and `</Envelope>`).
    pub fn to_streaming_xml(&self) -> String {
        self.write("Envelope", &[("xmlns", NS_SOAP), ("xmlns:s", NS_SOAP)])
    }

    fn write(&self, envelope: &str, attrs: &[(&str, &str)]) -> String {
        let mut w = Writer::document();
        w.open(envelope, attrs);
        w.open("s:Header", &[]);
        let v = &self.server_version;
        let (a, b, c, d) = (
            v.major.to_string(),
            v.minor.to_string(),
            v.major_build.to_string(),
            v.minor_build.to_string(),
        );
        w.empty(
            "h:ServerVersionInfo",
            &[
                ("xmlns:h", NS_TYPES),
                ("MajorVersion", &a),
                ("MinorVersion", &b),
                ("MajorBuildNumber", &c),
                ("MinorBuildNumber", &d),
                ("Version", &v.version),
            ],
        );
        w.close("s:Header");
        w.open("s:Body", &[("xmlns:m", NS_MESSAGES), ("xmlns:t", NS_TYPES)]);
        let name = format!("m:{}Response", self.operation);
        match ResponseForm::of(&self.operation) {
            ResponseForm::Availability => {
                w.open(&name, &[]);
                if let Some(m) = self.messages.first() {
                    m.write_availability(&mut w);
                }
            }
            ResponseForm::FreeBusy => {
                w.open(&name, &[]);
                w.open("m:FreeBusyResponseArray", &[]);
                for m in &self.messages {
                    w.open("m:FreeBusyResponse", &[]);
                    m.write_availability(&mut w);
                    w.close("m:FreeBusyResponse");
                }
                w.close("m:FreeBusyResponseArray");
            }
            ResponseForm::Single if !self.messages.is_empty() => {
                let m = &self.messages[0];
                w.open(&name, &[("ResponseClass", m.class.name())]);
                m.write_content(&mut w);
            }
            ResponseForm::Named(element) => {
                let named = format!("m:{element}");
                let m = self.messages.first().cloned().unwrap_or_else(|| {
                    ResponseMessage::error(ResponseCode::ErrorInternalServerError, "no answer")
                });
                w.open(&named, &[("ResponseClass", m.class.name())]);
                m.write_content(&mut w);
                w.close(&named);
                w.close("s:Body");
                w.close(envelope);
                return w.finish();
            }
            ResponseForm::Wrapped(inner) => self.write_wrapped(&mut w, &name, inner),
            ResponseForm::Messages | ResponseForm::Single => {
                w.open(&name, &[]);
                w.open("m:ResponseMessages", &[]);
                for m in &self.messages {
                    m.write(&mut w, &self.operation);
                }
                w.close("m:ResponseMessages");
            }
        }
        w.close(&name);
        w.close("s:Body");
        w.close(envelope);
        w.finish()
    }

    /// A class and code of the operation's own around messages of the type `inner` names.
    fn write_wrapped(&self, w: &mut Writer, name: &str, inner: &str) {
        w.open(name, &[("ResponseClass", "Success")]);
        w.leaf("m:ResponseCode", "NoError");
        if !self.messages.is_empty() {
            w.open("m:ResponseMessages", &[]);
            let el = format!("m:{inner}");
            for m in &self.messages {
                w.open(&el, &[("ResponseClass", m.class.name())]);
                m.write_content(w);
                w.close(&el);
            }
            w.close("m:ResponseMessages");
        }
        w.opt_leaf(
            "m:DeliverMeetingRequests",
            self.deliver_meeting_requests.as_deref(),
        );
    }

    /// Reads a response envelope; a SOAP fault comes back as `Err(Ok(fault))`.
    pub fn parse(text: &str) -> Result<Response, Result<Fault, EwsError>> {
        let root = xml::parse(text).map_err(Err)?;
        let body = root
            .child("Body")
            .ok_or_else(|| Err(bad("the response has no SOAP Body")))?;
        if let Some(f) = body.child("Fault") {
            return Err(Ok(Fault::from_element(f)));
        }
        let resp = body
            .elements()
            .next()
            .ok_or_else(|| Err(bad("the response Body is empty")))?;
        let operation = resp
            .name
            .strip_suffix("ResponseMessage")
            .or_else(|| resp.name.strip_suffix("Response"))
            .ok_or_else(|| Err(bad(format!("'{}' is not an EWS response", resp.name))))?
            .to_string();
        let v = root
            .child("Header")
            .and_then(|h| h.child("ServerVersionInfo"));
        let num = |n: &str| {
            v.and_then(|v| v.attr(n))
                .and_then(|x| x.parse().ok())
                .unwrap_or(0)
        };
        Ok(Response {
            server_version: ServerVersionInfo {
                major: num("MajorVersion"),
                minor: num("MinorVersion"),
                major_build: num("MajorBuildNumber"),
                minor_build: num("MinorBuildNumber"),
                version: v.and_then(|v| v.attr("Version")).unwrap_or("").to_string(),
            },
            deliver_meeting_requests: resp.child_text("DeliverMeetingRequests"),
            messages: match ResponseForm::of(&operation) {
                ResponseForm::Availability => vec![ResponseMessage::parse_availability(resp)],
                ResponseForm::FreeBusy => resp
                    .child("FreeBusyResponseArray")
                    .into_iter()
                    .flat_map(|a| a.children_named("FreeBusyResponse"))
                    .map(ResponseMessage::parse_availability)
                    .collect(),
                ResponseForm::Single | ResponseForm::Named(_) => {
                    vec![ResponseMessage::parse(resp)]
                }
                ResponseForm::Messages | ResponseForm::Wrapped(_) => resp
                    .child("ResponseMessages")
                    .into_iter()
                    .flat_map(|m| m.elements())
                    .map(ResponseMessage::parse)
                    .collect(),
            },
            operation,
        })
    }
}
