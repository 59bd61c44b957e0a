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

/// GetMailTips: for each recipient, what a sender should know. A recipient of the organization
/// is one mailbox; an address outside it is external and restricted, since this server
/// delivers only to its own mailboxes.
pub fn mail_tips(
    state: &crate::server::OnPremState,
    recipients: &[EmailAddress],
) -> Vec<ResponseMessage> {
    let trust = state.trust();
    recipients
        .iter()
        .map(|r| {
            let inside = trust
                .user_by_address(&r.email_address)
                .is_some_and(|u| u.has_mailbox());
            ResponseMessage::success(Payload::MailTips(ews::MailTips {
                recipient: EmailAddress {
                    name: None,
                    email_address: r.email_address.clone(),
                    routing_type: "SMTP".into(),
                    mailbox_type: String::new(),
                },
                out_of_office: None,
                mailbox_full: false,
                max_message_size: ews::soap::MAX_REQUEST_BYTES as i64,
                total_member_count: 1,
                external_member_count: i64::from(!inside),
                delivery_restricted: !inside,
                is_moderated: false,
                invalid_recipient: false,
            }))
        })
        .collect()
}

/// GetDelegate: this server keeps no delegates, so every named user is answered as Exchange
/// answers a user who is not one (or who does not exist, or whose SID is malformed).
pub fn delegates(
    state: &crate::server::OnPremState,
    user_ids: &[ews::UserId],
) -> Vec<ResponseMessage> {
    let trust = state.trust();
    user_ids
        .iter()
        .map(|u| {
            let found = match (&u.sid, &u.primary_smtp_address) {
                (Some(sid), _) if !is_sid(sid) => {
                    return ResponseMessage::error(
                        "ErrorInvalidUserSid",
                        format!("'{sid}' is not a valid security identifier."),
                    );
                }
                (Some(sid), _) => trust.users.iter().any(|x| x.sid.eq_ignore_ascii_case(sid)),
                (None, Some(a)) => trust.user_by_address(a).is_some(),
                (None, None) => false,
            };
            if found {
                ResponseMessage::error(
                    "ErrorNotDelegate",
                    "The user is not a delegate of this mailbox.",
                )
            } else {
                ResponseMessage::error(
                    "ErrorDelegateNoUser",
                    "The delegate does not map to a user in the directory.",
                )
            }
        })
        .collect()
}

/// `S-1-` followed by numbers separated by dashes.
fn is_sid(s: &str) -> bool {
    s.strip_prefix("S-1-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .split('-')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// GetServiceConfiguration: the organization's mail tips (its accepted domains are internal)
/// and unified messaging (on: this server plays greetings on the phone for the partner).
/// Configurations this server does not keep (ProtectionRules, PolicyNudges, SharePointURLs)
/// are answered as not available.
pub fn service_configuration(
    state: &crate::server::OnPremState,
    requested: &[String],
) -> Vec<ResponseMessage> {
    let unknown: Vec<&String> = requested
        .iter()
        .filter(|r| !matches!(r.as_str(), "MailTips" | "UnifiedMessagingConfiguration"))
        .collect();
    if !unknown.is_empty() {
        return vec![ResponseMessage::error(
            "ErrorInvalidOperation",
            format!(
                "The configuration {} is not available on this server.",
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )];
    }
    let trust = state.trust();
    let mut domains: Vec<String> = trust
        .snapshot
        .local_realms
        .iter()
        .filter(|r| r.contains('.'))
        .map(|r| r.to_ascii_lowercase())
        .collect();
    domains.sort();
    domains.dedup();
    let wants = |n: &str| requested.iter().any(|r| r == n);
    vec![ResponseMessage::success(Payload::ServiceConfiguration(
        ews::ServiceConfiguration {
            mail_tips: wants("MailTips").then_some(ews::MailTipsConfiguration {
                enabled: true,
                max_recipients_per_request: 50,
                max_message_size: ews::soap::MAX_REQUEST_BYTES as i64,
                large_audience_threshold: 25,
                show_external_recipient_count: true,
                internal_domains: domains,
            }),
            unified_messaging: wants("UnifiedMessagingConfiguration").then(|| {
                ews::UnifiedMessagingConfiguration {
                    um_enabled: true,
                    play_on_phone_dial_string: String::new(),
                    play_on_phone_enabled: true,
                }
            }),
        },
    ))]
}
