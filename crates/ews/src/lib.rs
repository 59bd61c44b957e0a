//! Exchange Web Services over SOAP: a strict, bounded XML layer, the envelope (headers
//! RequestServerVersion, ExchangeImpersonation, ManagementRole), response envelopes with
//! ServerVersionInfo, and faults shaped as Exchange sends them. No storage, no HTTP.

pub mod soap;
pub mod xml;

pub use soap::{Envelope, NS_MESSAGES, NS_SOAP, NS_TYPES};
pub use xml::{Element, Node};

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum EwsError {
    #[error("{0}")]
    Malformed(String),
    #[error("the request is {0} bytes; the limit is {1}")]
    TooLarge(usize, usize),
}

impl EwsError {
    pub fn code(&self) -> &'static str {
        match self {
            EwsError::Malformed(_) => "ErrorSchemaValidation",
            EwsError::TooLarge(..) => "ErrorSchemaValidation",
        }
    }
}
