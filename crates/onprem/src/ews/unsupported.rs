//! What this server answers for an operation it does not run: Exchange's own operations are
//! refused as such (ErrorInvalidOperation); anything else is not an EWS request at all
//! (ErrorInvalidRequest), as Exchange answers it.

use super::context::fault;
use axum::response::Response;
use ews::ResponseCode;

/// Exchange Server's EWS operations that this server does not run.
const NOT_RUN_HERE: &[&str] = &[
    "AddDistributionGroupToImList",
    "AddImContactToGroup",
    "AddImGroup",
    "AddNewImContactToGroup",
    "AddNewTelUriContactToGroup",
    "ApplyConversationAction",
    "CreateManagedFolder",
    "DisableApp",
    "DisconnectPhoneCall",
    "EnableApp",
    "FindConversation",
    "FindMessageTrackingReport",
    "GetAppManifests",
    "GetAppMarketplaceUrl",
    "GetClientAccessToken",
    "GetConversationItems",
    "GetDiscoverySearchConfiguration",
    "GetHoldOnMailboxes",
    "GetImItemList",
    "GetImItems",
    "GetMessageTrackingReport",
    "GetNonIndexableItemDetails",
    "GetNonIndexableItemStatistics",
    "GetPasswordExpirationDate",
    "GetPhoneCallInformation",
    "GetReminders",
    "GetSharingFolder",
    "GetSharingMetadata",
    "GetUserPhoto",
    "GetUserRetentionPolicyTags",
    "InstallApp",
    "PerformReminderAction",
    "PlayOnPhone",
    "RefreshSharingFolder",
    "RemoveContactFromImList",
    "RemoveDistributionGroupFromImList",
    "RemoveImContactFromGroup",
    "RemoveImGroup",
    "SearchMailboxes",
    "SetHoldOnMailboxes",
    "SetImGroup",
    "SetImListMigrationCompleted",
    "UninstallApp",
];

/// The fault for the operation `name` of `namespace`.
pub(super) fn refuse(name: &str, namespace: &str) -> Response {
    if namespace == ews::NS_MESSAGES && NOT_RUN_HERE.contains(&name) {
        fault(
            ResponseCode::ErrorInvalidOperation,
            &format!("The operation '{name}' is not supported by this server."),
        )
    } else {
        fault(
            ResponseCode::ErrorInvalidRequest,
            &format!("The request is invalid: '{name}' is not an EWS operation."),
        )
    }
}
