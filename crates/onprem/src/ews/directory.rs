//! Questions about the organization rather than a mailbox: room lists and rooms, distribution
//! groups (ExpandDL) and searchable mailboxes. The directory holds users only, so room lists
//! are empty, a named room list or group resolves to nothing, and discovery search is for a
//! role no partner application holds.

use ews::{EmailAddress, Payload, ResponseMessage};

pub fn room_lists() -> Vec<ResponseMessage> {
    vec![ResponseMessage::success(Payload::RoomLists(Vec::new()))]
}

pub fn rooms(room_list: &EmailAddress) -> Vec<ResponseMessage> {
    vec![no_results(&room_list.email_address)]
}

pub fn expand_dl(group: &EmailAddress) -> Vec<ResponseMessage> {
    vec![no_results(&group.email_address)]
}

pub fn searchable_mailboxes() -> Vec<ResponseMessage> {
    vec![ResponseMessage::error(
        "ErrorAccessDenied",
        "The caller does not have the Mailbox Search role needed to list searchable mailboxes.",
    )]
}

fn no_results(address: &str) -> ResponseMessage {
    ResponseMessage::error(
        "ErrorNameResolutionNoResults",
        format!(
            "No results were found. ({address} is not a distribution group or room list of this organization)"
        ),
    )
}
