//! EWS response codes (`m:ResponseCode`, and a fault's code) this server answers with, as
//! Exchange spells them. A client reading a response keeps whatever code it finds; the server
//! only writes these.

macro_rules! response_codes {
    ($($code:ident,)*) => {
        /// One EWS response code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ResponseCode {
            $($code,)*
        }

        impl ResponseCode {
            /// The code as the wire spells it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ResponseCode::$code => stringify!($code),)*
                }
            }

            /// The code a response carries, if it is one this crate names.
            pub fn parse(text: &str) -> Option<ResponseCode> {
                match text {
                    $(stringify!($code) => Some(ResponseCode::$code),)*
                    _ => None,
                }
            }
        }
    };
}

response_codes! {
    NoError,
    ErrorAccessDenied,
    ErrorArchiveMailboxNotEnabled,
    ErrorAttachmentSizeLimitExceeded,
    ErrorCalendarEndDateIsEarlierThanStartDate,
    ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange,
    ErrorCalendarOccurrenceIsDeletedFromRecurrence,
    ErrorCannotEmptyFolder,
    ErrorDelegateAlreadyExists,
    ErrorDelegateCannotAddOwner,
    ErrorDelegateNoUser,
    ErrorDeleteDistinguishedFolder,
    ErrorExceededConnectionCount,
    ErrorExceededSubscriptionCount,
    ErrorFolderExists,
    ErrorFolderNotFound,
    ErrorImpersonateUserDenied,
    ErrorInboxRulesValidationError,
    ErrorInternalServerError,
    ErrorInternalServerTransientError,
    ErrorInvalidAttachmentId,
    ErrorInvalidChangeKey,
    ErrorInvalidExchangeImpersonationHeaderData,
    ErrorInvalidIdMalformed,
    ErrorInvalidOperation,
    ErrorInvalidPullSubscriptionId,
    ErrorInvalidPushSubscriptionUrl,
    ErrorInvalidPropertySet,
    ErrorInvalidRecipients,
    ErrorInvalidRequest,
    ErrorInvalidScheduledOofDuration,
    ErrorInvalidSmtpAddress,
    ErrorInvalidSubscription,
    ErrorInvalidSubscriptionRequest,
    ErrorInvalidSyncStateData,
    ErrorInvalidTimeInterval,
    ErrorInvalidUserSid,
    ErrorInvalidValueForProperty,
    ErrorInvalidWatermark,
    ErrorIrresolvableConflict,
    ErrorItemNotFound,
    ErrorItemSave,
    ErrorMailRecipientNotFound,
    ErrorMissedNotificationEvents,
    ErrorMissingInformationReferenceItemId,
    ErrorMoveCopyFailed,
    ErrorMoveDistinguishedFolder,
    ErrorNameResolutionMultipleResults,
    ErrorNameResolutionNoResults,
    ErrorNoPublicFolderReplicaAvailable,
    ErrorNonExistentMailbox,
    ErrorNotDelegate,
    ErrorObjectTypeChanged,
    ErrorPropertyUpdate,
    ErrorProxyRequestProcessingFailed,
    ErrorSchemaValidation,
    ErrorServerBusy,
    ErrorSubscriptionAccessDenied,
    ErrorSubscriptionNotFound,
    ErrorTimeIntervalTooBig,
    ErrorTimeZone,
    ErrorUnsupportedPathForQuery,
    ErrorUnsupportedPathForSortGroup,
    ErrorUnsupportedQueryFilter,
}

impl std::fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_as_written() {
        for code in [ResponseCode::NoError, ResponseCode::ErrorItemNotFound] {
            assert_eq!(ResponseCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(
            ResponseCode::ErrorSchemaValidation.to_string(),
            "ErrorSchemaValidation"
        );
        assert_eq!(ResponseCode::parse("ErrorNotAThing"), None);
    }
}
