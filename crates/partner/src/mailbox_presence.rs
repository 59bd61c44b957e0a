//! Presence from the user's mailbox, as Skype for Business derives it: "Out of office" while
//! automatic replies are on, "In a meeting" during a busy calendar item, both read from
//! on-premises EWS (GetUserOofSettings, GetUserAvailability) under the S2S trust. A state the
//! user set that the mailbox cannot override (Do not disturb, Offline) is kept.

use crate::admin_types::PartnerUser;
use crate::state::PartnerState;
use ews::Payload;
use s2s::presence::Presence;

/// Availabilities a user sets that calendar and automatic replies do not replace.
const KEPT: &[&str] = &["DoNotDisturb", "Offline"];

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn parse(text: &str) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .ok()?;
    Some((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Whether automatic replies are on at `now`.
fn oof_on(o: &ews::availability::OofSettings, now: i64) -> bool {
    match o.state.as_str() {
        "Enabled" => true,
        "Scheduled" => {
            let start = o.start.as_deref().and_then(parse);
            let end = o.end.as_deref().and_then(parse);
            start.is_some_and(|s| s <= now) && end.is_some_and(|e| now < e)
        }
        _ => false,
    }
}

/// The user's presence: `availability`, `activity` and the label clients show, with where it
/// came from (`mailbox` or `manual`) and, when the mailbox could not be read, why.
pub async fn presence(state: &PartnerState, user: &PartnerUser) -> Presence {
    let manual = user.availability.as_deref().unwrap_or("Available");
    let base = Presence {
        sip: user.sip.clone(),
        smtp: user.smtp.clone(),
        availability: manual.to_string(),
        activity: manual.to_string(),
        label: label(manual).to_string(),
        source: "manual".into(),
        ..Default::default()
    };
    if KEPT.contains(&manual) {
        return base;
    }
    match from_mailbox(state, user).await {
        Ok(Some((availability, activity, note))) => Presence {
            availability: availability.into(),
            activity: activity.into(),
            label: label(activity).into(),
            note,
            source: "mailbox".into(),
            ..base
        },
        Ok(None) => base,
        Err(e) => Presence {
            mailbox_error: Some(e.to_string()),
            ..base
        },
    }
}

fn label(activity: &str) -> &'static str {
    match activity {
        "OutOfOffice" => "Out of office",
        "InAMeeting" => "In a meeting",
        "Busy" => "Busy",
        "DoNotDisturb" => "Do not disturb",
        "Away" => "Away",
        "Offline" => "Offline",
        _ => "Available",
    }
}

/// What the mailbox says now, if anything: automatic replies first, then the calendar.
async fn from_mailbox(
    state: &PartnerState,
    user: &PartnerUser,
) -> Result<Option<(&'static str, &'static str, Option<String>)>, crate::error::PartnerError> {
    let settings = state.settings().await?;
    let smtp = user.smtp.as_str();
    let now = now_ms();
    let oof = state
        .ews_call(&settings, user, &crate::ewsclient::oof_settings(smtp))
        .await?;
    if let Payload::OofSettings(o) = &oof.payload
        && oof_on(o, now)
    {
        let note = (!o.internal_reply.is_empty()).then(|| o.internal_reply.clone());
        return Ok(Some(("Away", "OutOfOffice", note)));
    }
    let request = crate::ewsclient::free_busy(smtp, &rfc3339(now), &rfc3339(now + 60_000));
    let fb = state.ews_call(&settings, user, &request).await?;
    if let Payload::FreeBusyView(v) = &fb.payload {
        if v.events.iter().any(|e| e.busy_type == "OOF") {
            return Ok(Some(("Away", "OutOfOffice", None)));
        }
        if v.events
            .iter()
            .any(|e| e.busy_type == "Busy" || e.busy_type == "Tentative")
        {
            return Ok(Some(("Busy", "InAMeeting", None)));
        }
    }
    Ok(None)
}
