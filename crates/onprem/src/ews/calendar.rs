//! Time and availability: the server's time zones (GetServerTimeZones, from the tz database
//! bundled with the mailbox crate) and automatic replies (Get/SetUserOofSettings).

use super::context::Context;
use ews::{Payload, ResponseMessage};
use mailbox::MailboxError;

/// GetServerTimeZones: the zones asked for, with this year's rules. Ids the server does not
/// know are left out, as Exchange leaves them; when none of those asked is known the answer is
/// ErrorTimeZone, so a client never mistakes an empty list for success.
pub fn server_time_zones(ids: &[String], return_full_data: bool) -> Vec<ResponseMessage> {
    let year = time::OffsetDateTime::now_utc().year() as i16;
    let (found, unknown) = super::time_zones::server_time_zones(ids, return_full_data, year);
    if found.is_empty() && !unknown.is_empty() {
        return vec![ResponseMessage::error(
            ews::ResponseCode::ErrorTimeZone,
            format!("The time zone isn't valid: {}", unknown.join(", ")),
        )];
    }
    vec![ResponseMessage::success(Payload::TimeZoneDefinitions(
        found,
    ))]
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Automatic replies are the mailbox owner's own: another mailbox's are refused, as Exchange
/// refuses them (others learn of them through MailTips).
fn other_mailbox(ctx: &Context<'_>, address: &str) -> Option<ResponseMessage> {
    (!address.is_empty() && !ctx.c.mailbox.has_address(address)).then(|| {
        ResponseMessage::error(
            ews::ResponseCode::ErrorAccessDenied,
            format!("Access is denied: the automatic replies of {address} are not this caller's."),
        )
    })
}

pub fn get_oof(ctx: &Context<'_>, address: &str) -> Result<Vec<ResponseMessage>, MailboxError> {
    if let Some(refused) = other_mailbox(ctx, address) {
        return Ok(vec![refused]);
    }
    let kept = ctx.mbox.stored_oof(now_ms())?;
    Ok(vec![ResponseMessage::success(Payload::OofSettings(
        ews::availability::OofSettings {
            state: kept.state,
            external_audience: kept.external_audience,
            start: kept.start_ms.map(mailbox::format_time),
            end: kept.end_ms.map(mailbox::format_time),
            internal_reply: kept.internal_reply,
            external_reply: kept.external_reply,
        },
    ))])
}

pub async fn set_oof(
    ctx: &mut Context<'_>,
    address: &str,
    settings: &ews::availability::OofSettings,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    if let Some(refused) = other_mailbox(ctx, address) {
        return Ok(vec![refused]);
    }
    Ok(vec![match ctx
        .mbox
        .set_oof_settings(&oof_change(settings), now_ms())
        .await
    {
        Ok(()) => ResponseMessage::success(Payload::None),
        Err(MailboxError::Store(e)) => return Err(MailboxError::Store(e)),
        Err(e) => ResponseMessage::error(super::context::response_code(&e), e.to_string()),
    }])
}

fn oof_change(s: &ews::availability::OofSettings) -> mailbox::OofChange {
    mailbox::OofChange {
        state: s.state.clone(),
        external_audience: s.external_audience.clone(),
        start: s.start.clone(),
        end: s.end.clone(),
        internal_reply: s.internal_reply.clone(),
        external_reply: s.external_reply.clone(),
    }
}

/// Exchange answers free/busy for at most this many mailboxes, over at most 42 days.
const MAX_MAILBOXES: usize = 100;
const MAX_WINDOW_MS: i64 = 42 * 86_400_000;

/// Calendar permission levels that let others see an event's subject and location.
const DETAIL_LEVELS: &[&str] = &[
    "FreeBusyTimeAndSubjectAndLocation",
    "Reviewer",
    "Contributor",
    "NoneditingAuthor",
    "Author",
    "PublishingAuthor",
    "Editor",
    "PublishingEditor",
    "Owner",
];

/// Whether the calendar's permissions let everyone (`Default`) see details.
fn calendar_shows_details(mbox: &mailbox::Mailbox) -> bool {
    let Some(cal) = mbox.distinguished("calendar") else {
        return false;
    };
    let Some(set) = mailbox::StoredFolderProperties::decode(&cal.props)
        .permission_set
        .and_then(|p| serde_json::from_value::<ews::Element>(p).ok())
    else {
        return false;
    };
    fn visit(e: &ews::Element, out: &mut bool) {
        if e.name.ends_with("Permission") && e.elements().next().is_some() {
            let default = e
                .child("UserId")
                .and_then(|u| u.child_text("DistinguishedUser"))
                .is_some_and(|d| d == "Default");
            let level = e.child_text("CalendarPermissionLevel").unwrap_or_default();
            let full = e.child_text("ReadItems").as_deref() == Some("FullDetails");
            if default && (full || DETAIL_LEVELS.contains(&level.as_str())) {
                *out = true;
            }
        }
        e.elements().for_each(|c| visit(c, out));
    }
    let mut out = false;
    visit(&set, &mut out);
    out
}

/// GetUserAvailability: each mailbox's busy times in the window, told in the request's time
/// zone. Users of the organization are answered for any caller the S2S trust admits, as
/// Exchange answers cross-premises requests; subjects and locations only for the mailbox's
/// owner or when its calendar shows them to everyone.
pub async fn availability(
    state: &crate::state::OnPremState,
    caller: &super::context::Caller,
    time_zone: &ews::availability::LegacyTimeZone,
    mailboxes: &[ews::availability::MailboxData],
    options: Option<&ews::availability::FreeBusyViewOptions>,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    use mailbox::timezones::legacy;
    let zone = super::time_zones::legacy_zone(time_zone);
    let Some(options) = options else {
        return Ok(vec![ResponseMessage::error(
            ews::ResponseCode::ErrorInvalidRequest,
            "Only free/busy (FreeBusyViewOptions) is answered; suggestions are not.",
        )]);
    };
    let window = (
        legacy::parse(&zone, &options.start),
        legacy::parse(&zone, &options.end),
    );
    let (from, to) = match window {
        (Some(a), Some(b)) if a < b && b - a <= MAX_WINDOW_MS => (a, b),
        (Some(a), Some(b)) if a < b => {
            return Ok(vec![ResponseMessage::error(
                ews::ResponseCode::ErrorTimeIntervalTooBig,
                "The time window may be at most 42 days.",
            )]);
        }
        _ => {
            return Ok(vec![ResponseMessage::error(
                ews::ResponseCode::ErrorInvalidTimeInterval,
                "The time window's start must be a date and time before its end.",
            )]);
        }
    };
    let interval = options.merged_interval_minutes.clamp(5, 1440) as i64 * 60_000;
    let trust = state.trust();
    let mut out = Vec::with_capacity(mailboxes.len());
    for (i, m) in mailboxes.iter().enumerate() {
        if i >= MAX_MAILBOXES {
            out.push(ResponseMessage::error(
                ews::ResponseCode::ErrorProxyRequestProcessingFailed,
                "At most 100 mailboxes are answered in one request.",
            ));
            continue;
        }
        let Some(user) = trust
            .user_by_address(&m.address)
            .filter(|u| u.has_mailbox())
        else {
            out.push(ResponseMessage::error(
                ews::ResponseCode::ErrorMailRecipientNotFound,
                format!(
                    "No mailbox of this organization has the address {}.",
                    m.address
                ),
            ));
            continue;
        };
        let mbox =
            mailbox::Mailbox::open_cached(&state.store, &state.folder_trees, &user.guid).await?;
        let events = mbox.free_busy(from, to).await?;
        let details = caller.mailbox.guid == user.guid || calendar_shows_details(&mbox);
        let asked = options.requested_view.as_str();
        let view_type = match asked {
            "Detailed" if !details => "FreeBusy",
            "DetailedMerged" if !details => "FreeBusyMerged",
            "None" | "MergedOnly" | "FreeBusy" | "FreeBusyMerged" | "Detailed"
            | "DetailedMerged" => asked,
            _ => "FreeBusy",
        };
        let merged = view_type.contains("Merged").then(|| {
            let mut digits = String::new();
            let mut t = from;
            while t < to {
                let level = events
                    .iter()
                    .filter(|e| e.start_ms < t + interval && e.end_ms > t)
                    .map(|e| mailbox::calendar_view::busy_digit(&e.busy_type))
                    .max()
                    .unwrap_or(0);
                digits.push(char::from(b'0' + level));
                t += interval;
            }
            digits
        });
        let events = match view_type {
            "None" | "MergedOnly" => Vec::new(),
            _ => events
                .iter()
                .map(|e| ews::availability::CalendarEvent {
                    start: legacy::to_local_text(&zone, e.start_ms),
                    end: legacy::to_local_text(&zone, e.end_ms),
                    busy_type: e.busy_type.clone(),
                    details: view_type
                        .starts_with("Detailed")
                        .then(|| event_details(&e.details)),
                })
                .collect(),
        };
        out.push(ResponseMessage::success(Payload::FreeBusyView(
            ews::availability::FreeBusyView {
                view_type: view_type.into(),
                merged,
                events,
                // Working hours: Monday to Friday, 08:00 to 17:00, in the asker's zone.
                working_hours: Some((
                    time_zone.clone(),
                    vec![ews::availability::WorkingPeriod {
                        days: "Monday Tuesday Wednesday Thursday Friday".into(),
                        start_minutes: 480,
                        end_minutes: 1020,
                    }],
                )),
            },
        )));
    }
    Ok(out)
}

/// What free/busy tells of an event, as EWS writes it.
fn event_details(
    d: &mailbox::calendar_view::EventDetails,
) -> ews::availability::CalendarEventDetails {
    ews::availability::CalendarEventDetails {
        id: d.id.clone(),
        subject: d.subject.clone(),
        location: d.location.clone(),
        is_meeting: d.is_meeting,
        is_recurring: d.is_recurring,
        is_exception: d.is_exception,
        is_reminder_set: d.is_reminder_set,
        is_private: d.is_private,
    }
}
