use store::StoreError;

/// Why a mailbox operation was refused, each with the EWS response code Exchange answers.
#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    #[error("The specified folder could not be found in the store.{}", .0.as_ref().map(|i| format!(" ({i})")).unwrap_or_default())]
    FolderNotFound(Option<String>),
    #[error("The specified object was not found in the store.")]
    ItemNotFound,
    #[error("The item is immutable: it was archived and cannot be {0}.")]
    Immutable(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("{0}")]
    InvalidOperation(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidPropertySet(String),
    #[error("{0}")]
    PropertyUpdate(String),
    #[error("The property '{0}' can't be used in a restriction here.")]
    UnsupportedPathForQuery(String),
    #[error("The property '{0}' can't be used to sort here.")]
    UnsupportedPathForSort(String),
    #[error("{0}")]
    UnsupportedQueryFilter(String),
    #[error("A user configuration named '{0}' already exists in this folder.")]
    DuplicateConfiguration(String),
    #[error("'{0}' is not a valid user configuration name.")]
    InvalidConfigurationName(String),
    #[error("A folder with the specified name already exists. Could not create folder '{0}'.")]
    FolderExists(String),
    #[error("Distinguished folders cannot be deleted.")]
    DeleteDistinguishedFolder,
    #[error("Distinguished folders cannot be moved.")]
    MoveDistinguishedFolder,
    #[error("The folder class of a folder cannot be changed.")]
    ObjectTypeChanged,
    #[error("{0}")]
    MoveCopyFailed(&'static str),
    #[error("{0}")]
    InvalidRecipients(String),
    #[error("Id is malformed.")]
    InvalidIdMalformed,
    #[error("The change key is invalid.")]
    InvalidChangeKey,
    #[error("The attachment is {0} bytes; the limit is {limit} bytes.", limit = crate::props::MAX_ATTACHMENT_BYTES)]
    AttachmentSizeLimitExceeded(usize),
    #[error("The attachment id is not valid or the attachment does not exist.")]
    InvalidAttachmentId,
    #[error("The sync state is not valid or has expired; synchronize again without it.")]
    InvalidSyncStateData,
    #[error("There are no public folder servers available.")]
    NoPublicFolderReplicaAvailable,
    #[error(
        "The scheduled automatic-reply window must start before it ends, and end in the future."
    )]
    InvalidScheduledOofDuration,
    #[error("The occurrence index is out of the recurrence's range.")]
    OccurrenceOutOfRange,
    #[error("The occurrence was deleted from the recurrence.")]
    OccurrenceDeleted,
    #[error("The folder cannot be emptied.")]
    CannotEmptyFolder,
    #[error(
        "The mailbox has no archive mailbox; an administrator enables one with Enable-Mailbox -Archive."
    )]
    ArchiveMailboxNotEnabled,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl MailboxError {
    /// The EWS ResponseCode.
    pub fn code(&self) -> &'static str {
        match self {
            MailboxError::FolderNotFound(_) => "ErrorFolderNotFound",
            MailboxError::ItemNotFound => "ErrorItemNotFound",
            MailboxError::Immutable(_) | MailboxError::InvalidOperation(_) => {
                "ErrorInvalidOperation"
            }
            MailboxError::Conflict(_) => "ErrorIrresolvableConflict",
            MailboxError::InvalidRequest(_) | MailboxError::InvalidConfigurationName(_) => {
                "ErrorInvalidRequest"
            }
            MailboxError::InvalidPropertySet(_) => "ErrorInvalidPropertySet",
            MailboxError::PropertyUpdate(_) => "ErrorPropertyUpdate",
            MailboxError::UnsupportedPathForQuery(_) => "ErrorUnsupportedPathForQuery",
            MailboxError::UnsupportedPathForSort(_) => "ErrorUnsupportedPathForSortGroup",
            MailboxError::UnsupportedQueryFilter(_) => "ErrorUnsupportedQueryFilter",
            MailboxError::DuplicateConfiguration(_) => "ErrorItemSave",
            MailboxError::FolderExists(_) => "ErrorFolderExists",
            MailboxError::DeleteDistinguishedFolder => "ErrorDeleteDistinguishedFolder",
            MailboxError::MoveDistinguishedFolder => "ErrorMoveDistinguishedFolder",
            MailboxError::ObjectTypeChanged => "ErrorObjectTypeChanged",
            MailboxError::MoveCopyFailed(_) => "ErrorMoveCopyFailed",
            MailboxError::CannotEmptyFolder => "ErrorCannotEmptyFolder",
            MailboxError::ArchiveMailboxNotEnabled => "ErrorArchiveMailboxNotEnabled",
            MailboxError::OccurrenceOutOfRange => {
                "ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange"
            }
            MailboxError::OccurrenceDeleted => "ErrorCalendarOccurrenceIsDeletedFromRecurrence",
            MailboxError::InvalidScheduledOofDuration => "ErrorInvalidScheduledOofDuration",
            MailboxError::InvalidSyncStateData => "ErrorInvalidSyncStateData",
            MailboxError::NoPublicFolderReplicaAvailable => "ErrorNoPublicFolderReplicaAvailable",
            MailboxError::AttachmentSizeLimitExceeded(_) => "ErrorAttachmentSizeLimitExceeded",
            MailboxError::InvalidAttachmentId => "ErrorInvalidAttachmentId",
            MailboxError::InvalidIdMalformed => "ErrorInvalidIdMalformed",
            MailboxError::InvalidRecipients(_) => "ErrorInvalidRecipients",
            MailboxError::InvalidChangeKey => "ErrorInvalidChangeKey",
            MailboxError::Store(_) => "ErrorInternalServerError",
        }
    }

    /// A failure of the store itself, not of the request.
    pub fn is_internal(&self) -> bool {
        matches!(self, MailboxError::Store(_))
    }
}
