//! Time: the server's time zones (GetServerTimeZones), from the tz database bundled with the
//! mailbox crate.

use ews::{Payload, ResponseMessage};

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
