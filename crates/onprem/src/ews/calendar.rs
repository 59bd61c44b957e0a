//! Time and availability: the server's time zones (GetServerTimeZones, from the tz database
//! bundled with the mailbox crate) and automatic replies (Get/SetUserOofSettings).

use super::Context;
use ews::{Payload, ResponseMessage};
use mailbox::MailboxError;

/// GetServerTimeZones: the zones asked for, with this year's rules. Ids the server does not
/// know are left out, as Exchange leaves them; when none of those asked is known the answer is
/// ErrorTimeZone, so a client never mistakes an empty list for success.
pub fn server_time_zones(ids: &[String], return_full_data: bool) -> Vec<ResponseMessage> {
    let year = time::OffsetDateTime::now_utc().year() as i16;
    let (found, unknown) = mailbox::timezones::server_time_zones(ids, return_full_data, year);
    if found.is_empty() && !unknown.is_empty() {
        return vec![ResponseMessage::error(
            "ErrorTimeZone",
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
            "ErrorAccessDenied",
            format!("Access is denied: the automatic replies of {address} are not this caller's."),
        )
    })
}

pub fn get_oof(ctx: &Context<'_>, address: &str) -> Result<Vec<ResponseMessage>, MailboxError> {
    if let Some(refused) = other_mailbox(ctx, address) {
        return Ok(vec![refused]);
    }
    let settings = ctx.mbox.oof_settings(now_ms())?;
    Ok(vec![ResponseMessage::success(Payload::OofSettings(
        settings,
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
    Ok(vec![
        match ctx.mbox.set_oof_settings(settings, now_ms()).await {
            Ok(()) => ResponseMessage::success(Payload::None),
            Err(MailboxError::Store(e)) => return Err(MailboxError::Store(e)),
            Err(e) => ResponseMessage::error(e.code(), e.to_string()),
        },
    ])
}
