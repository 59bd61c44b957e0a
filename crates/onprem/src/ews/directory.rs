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
        ews::ResponseCode::ErrorAccessDenied,
        "The caller does not have the Mailbox Search role needed to list searchable mailboxes.",
    )]
}

fn no_results(address: &str) -> ResponseMessage {
    ResponseMessage::error(
        ews::ResponseCode::ErrorNameResolutionNoResults,
        format!(
            "No results were found. ({address} is not a distribution group or room list of this organization)"
        ),
    )
}

/// GetMailTips: for each recipient, what a sender should know. A recipient of the organization
/// is one mailbox; an address outside it is external and restricted, since this server
/// delivers only to its own mailboxes.
pub fn mail_tips(
    state: &crate::state::OnPremState,
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

/// The directory user a delegate `t:UserId` names, or the message refusing it.
fn delegate_user<'t>(
    trust: &'t crate::trust::TrustState,
    u: &ews::UserId,
) -> Result<&'t crate::trust::UserEntry, Box<ResponseMessage>> {
    let found = match (&u.sid, &u.primary_smtp_address) {
        (Some(sid), _) if !is_sid(sid) => {
            return Err(Box::new(ResponseMessage::error(
                ews::ResponseCode::ErrorInvalidUserSid,
                format!("'{sid}' is not a valid security identifier."),
            )));
        }
        (Some(sid), _) => trust.users.iter().find(|x| x.sid.eq_ignore_ascii_case(sid)),
        (None, Some(a)) => trust.user_by_address(a),
        (None, None) => None,
    };
    found.ok_or_else(|| {
        Box::new(ResponseMessage::error(
            ews::ResponseCode::ErrorDelegateNoUser,
            "The delegate does not map to a user in the directory.",
        ))
    })
}

fn not_delegate() -> ResponseMessage {
    ResponseMessage::error(
        ews::ResponseCode::ErrorNotDelegate,
        "The user is not a delegate of this mailbox.",
    )
}

/// A stored delegate as `t:DelegateUser`, its permissions when asked for.
fn delegate_message(d: &mailbox::StoredDelegate, with_permissions: bool) -> ResponseMessage {
    let mut p = ews::DelegatePermissions::default();
    for (folder, level) in &d.levels {
        let slot = match folder.as_str() {
            "Calendar" => &mut p.calendar,
            "Tasks" => &mut p.tasks,
            "Inbox" => &mut p.inbox,
            "Contacts" => &mut p.contacts,
            "Notes" => &mut p.notes,
            _ => &mut p.journal,
        };
        *slot = Some(level.clone());
    }
    ResponseMessage::success(ews::Payload::DelegateUser(ews::DelegateUser {
        user_id: ews::UserId {
            sid: Some(d.sid.clone()),
            primary_smtp_address: Some(d.smtp.clone()),
            display_name: Some(d.display_name.clone()),
            distinguished_user: None,
        },
        permissions: with_permissions.then_some(p),
        receive_copies_of_meeting_messages: Some(d.receive_copies_of_meeting_messages),
        view_private_items: Some(d.view_private_items),
    }))
}

fn same_user(d: &mailbox::StoredDelegate, u: &crate::trust::UserEntry) -> bool {
    d.sid.eq_ignore_ascii_case(&u.sid) || d.smtp.eq_ignore_ascii_case(&u.primary_smtp)
}

/// GetDelegate: the named delegates (every one when none is named).
pub fn get_delegates(
    state: &crate::state::OnPremState,
    stored: &mailbox::StoredDelegates,
    user_ids: &[ews::UserId],
    with_permissions: bool,
) -> Vec<ResponseMessage> {
    if user_ids.is_empty() {
        return stored
            .users
            .iter()
            .map(|d| delegate_message(d, with_permissions))
            .collect();
    }
    let trust = state.trust();
    user_ids
        .iter()
        .map(|u| match delegate_user(&trust, u) {
            Err(m) => *m,
            Ok(user) => stored
                .users
                .iter()
                .find(|d| same_user(d, user))
                .map(|d| delegate_message(d, with_permissions))
                .unwrap_or_else(not_delegate),
        })
        .collect()
}

const LEVELS: &[&str] = &["None", "Editor", "Reviewer", "Author", "Custom"];

/// The levels a request gives, checked; Custom is kept as it is set elsewhere.
fn levels(
    p: Option<&ews::DelegatePermissions>,
) -> Result<Vec<(String, String)>, Box<ResponseMessage>> {
    let mut out = Vec::new();
    for (folder, level) in p.map(|p| p.levels()).unwrap_or_default() {
        let Some(known) = LEVELS.iter().find(|l| l.eq_ignore_ascii_case(level)) else {
            return Err(Box::new(ResponseMessage::error(
                ews::ResponseCode::ErrorInvalidValueForProperty,
                format!(
                    "'{level}' is not a delegate permission level (None, Editor, Reviewer, Author)."
                ),
            )));
        };
        out.push((folder.to_string(), known.to_string()));
    }
    Ok(out)
}

/// AddDelegate (`update` false) or UpdateDelegate: one message per delegate, the stored list
/// changed for those that succeed.
pub fn add_or_update_delegates(
    state: &crate::state::OnPremState,
    owner: &crate::trust::UserEntry,
    stored: &mut mailbox::StoredDelegates,
    users: &[ews::DelegateUser],
    update: bool,
) -> Vec<ResponseMessage> {
    let trust = state.trust();
    users
        .iter()
        .map(|du| {
            let user = match delegate_user(&trust, &du.user_id) {
                Ok(u) => u,
                Err(m) => return *m,
            };
            if user.guid == owner.guid {
                return ResponseMessage::error(
                    ews::ResponseCode::ErrorDelegateCannotAddOwner,
                    "The owner of the mailbox can't be its own delegate.",
                );
            }
            let given = match levels(du.permissions.as_ref()) {
                Ok(l) => l,
                Err(m) => return *m,
            };
            let at = stored.users.iter().position(|d| same_user(d, user));
            let d = match (at, update) {
                (Some(_), false) => {
                    return ResponseMessage::error(
                        ews::ResponseCode::ErrorDelegateAlreadyExists,
                        "The user is already a delegate of this mailbox.",
                    );
                }
                (None, true) => return not_delegate(),
                (Some(i), true) => &mut stored.users[i],
                (None, false) => {
                    stored.users.push(mailbox::StoredDelegate {
                        sid: user.sid.clone(),
                        smtp: user.primary_smtp.clone(),
                        display_name: user.display_name.clone(),
                        levels: ["Calendar", "Tasks", "Inbox", "Contacts", "Notes", "Journal"]
                            .iter()
                            .map(|f| (f.to_string(), "None".to_string()))
                            .collect(),
                        ..Default::default()
                    });
                    stored.users.last_mut().expect("just added")
                }
            };
            for (folder, level) in given {
                match d.levels.iter_mut().find(|(f, _)| *f == folder) {
                    Some(slot) => slot.1 = level,
                    None => d.levels.push((folder, level)),
                }
            }
            if let Some(r) = du.receive_copies_of_meeting_messages {
                d.receive_copies_of_meeting_messages = r;
            }
            if let Some(v) = du.view_private_items {
                d.view_private_items = v;
            }
            delegate_message(d, true)
        })
        .collect()
}

/// RemoveDelegate: one message per user named.
pub fn remove_delegates(
    state: &crate::state::OnPremState,
    stored: &mut mailbox::StoredDelegates,
    user_ids: &[ews::UserId],
) -> Vec<ResponseMessage> {
    let trust = state.trust();
    user_ids
        .iter()
        .map(|u| {
            let user = match delegate_user(&trust, u) {
                Ok(u) => u,
                Err(m) => return *m,
            };
            let before = stored.users.len();
            stored.users.retain(|d| !same_user(d, user));
            if stored.users.len() == before {
                not_delegate()
            } else {
                ResponseMessage::success(ews::Payload::None)
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

/// GetServiceConfiguration: the organization's mail tips (its accepted domains are internal),
/// unified messaging (on: this server plays greetings on the phone for the partner) and
/// protection rules (none, read again daily, as an organization without any answers).
/// Configurations this server does not keep (PolicyNudges, SharePointURLs) are answered as not
/// available.
pub fn service_configuration(
    state: &crate::state::OnPremState,
    requested: &[String],
) -> Vec<ResponseMessage> {
    let unknown: Vec<&String> = requested
        .iter()
        .filter(|r| {
            !matches!(
                r.as_str(),
                "MailTips" | "UnifiedMessagingConfiguration" | "ProtectionRules"
            )
        })
        .collect();
    if !unknown.is_empty() {
        return vec![ResponseMessage::error(
            ews::ResponseCode::ErrorInvalidOperation,
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
                internal_domains: domains.clone(),
            }),
            protection_rules: wants("ProtectionRules").then(|| ews::ProtectionRulesConfiguration {
                refresh_interval: 24,
                internal_domains: domains.clone(),
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
