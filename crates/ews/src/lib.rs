//! Exchange Web Services, the whole wire format and no I/O: a strict, bounded XML reader;
//! typed requests ([`Request`], one [`Operation`] per operation) and responses ([`Response`],
//! [`Fault`]) that both servers and clients use; Autodiscover both ways; and one writer for
//! every document.

pub mod attachment;
pub mod autodiscover;
pub mod availability;
pub mod code;
pub mod delegate;
pub mod fault;
pub mod message;
pub mod notification;
pub mod operations;
pub mod persona;
pub mod request;
pub mod response;
pub mod rules;
pub mod soap;
pub mod sync;
pub mod timezone;
pub mod types;
pub mod writer;
pub mod xml;

#[cfg(test)]
mod fixtures;

pub use attachment::{Attachment, AttachmentContent, AttachmentId};
pub use code::ResponseCode;
pub use delegate::{DelegatePermissions, DelegateUser, UserId};
pub use fault::Fault;
pub use message::{Payload, ResponseClass, ResponseMessage, RootFolder};
pub use notification::{
    Event, EventSubject, EventType, Notification, StreamingEvents, SubscriptionStatus,
};
pub use operations::*;
pub use persona::{People, Persona};
pub use request::{ConnectingSid, Header, Request};
pub use response::Response;
pub use rules::{Rule, RuleOperation, RuleOperationError, RuleValidationError};
pub use soap::{NS_MESSAGES, NS_SOAP, NS_TYPES};
pub use sync::{SyncAnswer, SyncChange};
pub use timezone::{Period, TimeZoneDefinition, Transition, TransitionTarget, TransitionsGroup};
pub use types::*;
pub use xml::{Element, Node};

/// Why a document could not be read. Both are answered as Exchange answers them: a fault
/// with ErrorSchemaValidation (and HTTP 413 for a body over the bound, at the HTTP layer).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum EwsError {
    #[error("{0}")]
    Malformed(String),
    #[error("the request is {0} bytes; the limit is {1}")]
    TooLarge(usize, usize),
}

impl EwsError {
    pub fn code(&self) -> ResponseCode {
        match self {
            EwsError::Malformed(_) | EwsError::TooLarge(..) => ResponseCode::ErrorSchemaValidation,
        }
    }
}
