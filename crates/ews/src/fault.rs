//! SOAP faults, as Exchange shapes them: the code in the types namespace and again in the
//! detail, with its message.

use crate::code::ResponseCode;
use crate::soap::{NS_ERRORS, NS_SOAP, NS_TYPES};
use crate::writer::Writer;
use crate::xml::Element;

/// A SOAP fault (sent with HTTP 500), as Exchange shapes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: String,
    pub message: String,
}

impl Fault {
    pub fn new(code: ResponseCode, message: impl Into<String>) -> Fault {
        Fault {
            code: code.as_str().into(),
            message: message.into(),
        }
    }

    pub fn to_xml(&self) -> String {
        let mut w = Writer::document();
        w.open("s:Envelope", &[("xmlns:s", NS_SOAP)]);
        w.open("s:Body", &[]);
        w.open("s:Fault", &[]);
        w.leaf_with(
            "faultcode",
            &[("xmlns:a", NS_TYPES)],
            &format!("a:{}", self.code),
        );
        w.leaf_with("faultstring", &[("xml:lang", "en-US")], &self.message);
        w.open("detail", &[]);
        w.leaf_with("e:ResponseCode", &[("xmlns:e", NS_ERRORS)], &self.code);
        w.leaf_with("e:Message", &[("xmlns:e", NS_ERRORS)], &self.message);
        w.close("detail");
        w.close("s:Fault");
        w.close("s:Body");
        w.close("s:Envelope");
        w.finish()
    }

    pub(crate) fn from_element(f: &Element) -> Fault {
        let detail_code = f.child("detail").and_then(|d| d.child_text("ResponseCode"));
        let code = detail_code.unwrap_or_else(|| {
            let c = f.child_text("faultcode").unwrap_or_default();
            c.rsplit(':').next().unwrap_or("").to_string()
        });
        Fault {
            code,
            message: f.child_text("faultstring").unwrap_or_default(),
        }
    }
}
