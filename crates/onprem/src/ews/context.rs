//! What every EWS operation works with: who is calling on which mailbox (the request's
//! context), and how a mailbox outcome becomes a response message, a refusal or a fault.

use crate::state::OnPremState;
use crate::trust::UserEntry;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ews::{Fault, ResponseCode, ResponseMessage};
use mailbox::{Mailbox, MailboxError};

/// Who is calling and on whose mailbox.
pub struct Caller {
    /// The user the token acts for (None for app-only tokens).
    pub user: Option<UserEntry>,
    /// The mailbox the request works on.
    pub mailbox: UserEntry,
    pub partner_application: String,
}

pub fn xml_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// A SOAP fault (HTTP 500, XML declaration first, no `Connection: close`).
pub fn fault(code: ResponseCode, message: &str) -> Response {
    xml_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        Fault::new(code, message).to_xml(),
    )
}

/// The EWS response code a mailbox refusal is answered with.
pub(crate) fn response_code(e: &MailboxError) -> ResponseCode {
    use MailboxError as E;
    match e {
        E::FolderNotFound(_) => ResponseCode::ErrorFolderNotFound,
        E::ItemNotFound => ResponseCode::ErrorItemNotFound,
        E::Immutable(_) | E::InvalidOperation(_) => ResponseCode::ErrorInvalidOperation,
        E::Conflict(_) => ResponseCode::ErrorIrresolvableConflict,
        E::InvalidRequest(_) | E::InvalidConfigurationName(_) => ResponseCode::ErrorInvalidRequest,
        E::InvalidPropertySet(_) => ResponseCode::ErrorInvalidPropertySet,
        E::PropertyUpdate(_) => ResponseCode::ErrorPropertyUpdate,
        E::UnsupportedPathForQuery(_) => ResponseCode::ErrorUnsupportedPathForQuery,
        E::UnsupportedPathForSort(_) => ResponseCode::ErrorUnsupportedPathForSortGroup,
        E::UnsupportedQueryFilter(_) => ResponseCode::ErrorUnsupportedQueryFilter,
        E::DuplicateConfiguration(_) => ResponseCode::ErrorItemSave,
        E::FolderExists(_) => ResponseCode::ErrorFolderExists,
        E::DeleteDistinguishedFolder => ResponseCode::ErrorDeleteDistinguishedFolder,
        E::MoveDistinguishedFolder => ResponseCode::ErrorMoveDistinguishedFolder,
        E::ObjectTypeChanged => ResponseCode::ErrorObjectTypeChanged,
        E::MoveCopyFailed(_) => ResponseCode::ErrorMoveCopyFailed,
        E::CannotEmptyFolder => ResponseCode::ErrorCannotEmptyFolder,
        E::ArchiveMailboxNotEnabled => ResponseCode::ErrorArchiveMailboxNotEnabled,
        E::OccurrenceOutOfRange => ResponseCode::ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange,
        E::OccurrenceDeleted => ResponseCode::ErrorCalendarOccurrenceIsDeletedFromRecurrence,
        E::InvalidScheduledOofDuration => ResponseCode::ErrorInvalidScheduledOofDuration,
        E::InvalidSyncStateData => ResponseCode::ErrorInvalidSyncStateData,
        E::NoPublicFolderReplicaAvailable => ResponseCode::ErrorNoPublicFolderReplicaAvailable,
        E::AttachmentSizeLimitExceeded(_) => ResponseCode::ErrorAttachmentSizeLimitExceeded,
        E::InvalidAttachmentId => ResponseCode::ErrorInvalidAttachmentId,
        E::InvalidIdMalformed => ResponseCode::ErrorInvalidIdMalformed,
        E::InvalidRecipients(_) => ResponseCode::ErrorInvalidRecipients,
        E::InvalidChangeKey => ResponseCode::ErrorInvalidChangeKey,
        E::Store(_) => ResponseCode::ErrorInternalServerError,
    }
}

/// A per-message outcome: refusals become error messages; a store failure fails the request.
pub(crate) fn message(
    r: Result<ews::Payload, MailboxError>,
) -> Result<ResponseMessage, MailboxError> {
    match r {
        Ok(p) => Ok(ResponseMessage::success(p)),
        Err(e) if e.is_internal() => Err(e),
        Err(e) => Ok(ResponseMessage::error(response_code(&e), e.to_string())),
    }
}

/// One request's view: the server, the caller, and the caller's mailbox.
pub(crate) struct Context<'a> {
    pub state: &'a OnPremState,
    pub c: &'a Caller,
    pub mbox: Mailbox,
}

impl Context<'_> {
    /// The folder a request names, in the caller's mailbox; a DistinguishedFolderId naming
    /// another mailbox is refused as Exchange refuses it.
    pub fn folder(
        &self,
        r: &ews::FolderRef,
    ) -> Result<&store::FolderRow, (ews::ResponseCode, String)> {
        if let ews::FolderRef::Distinguished(d) = r
            && let Some(addr) = &d.mailbox
            && !self.c.mailbox.has_address(addr)
        {
            let trust = self.state.trust();
            return Err(match trust.user_by_address(addr) {
                Some(u) if u.has_mailbox() => (
                    ews::ResponseCode::ErrorAccessDenied,
                    format!("Access is denied. Check credentials and try again. (mailbox {addr})"),
                ),
                _ => (
                    ews::ResponseCode::ErrorNonExistentMailbox,
                    format!("The SMTP address has no mailbox associated with it: {addr}"),
                ),
            });
        }
        self.mbox
            .resolve(&super::drafts::folder(r))
            .map_err(|e| (response_code(&e), e.to_string()))
    }
}

/// A sync operation's outcome: a refusal still carries an (empty) sync state and change list,
/// which clients read from every sync message.
pub(crate) fn sync_message(
    r: Result<ews::Payload, MailboxError>,
    empty: ews::Payload,
) -> Result<ResponseMessage, MailboxError> {
    let mut m = message(r)?;
    if m.is_error() {
        m.payload = empty;
    }
    Ok(m)
}

impl Context<'_> {
    /// The folder a request must name in `element` (ToFolderId, SyncFolderId, ...): found, or
    /// the refusal.
    pub fn required_folder(
        &self,
        r: Option<&ews::FolderRef>,
        element: &str,
    ) -> Result<store::FolderRow, (ews::ResponseCode, String)> {
        match r.map(|f| self.folder(f)) {
            Some(Ok(f)) => Ok(f.clone()),
            Some(Err(e)) => Err(e),
            None => Err((
                ews::ResponseCode::ErrorInvalidRequest,
                format!("{element} is missing."),
            )),
        }
    }
}

/// A refusal as a response message.
pub(crate) fn refusal((code, text): (ews::ResponseCode, String)) -> ResponseMessage {
    ResponseMessage::error(code, text)
}
