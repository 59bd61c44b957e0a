//! Instants as EWS writes them: RFC 3339, in UTC, to the second.

/// Parses an EWS date-time (`2026-11-25T06:32:37.157259Z`, with or without fraction or offset)
/// to milliseconds since the epoch.
pub fn parse_time_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    let fmt = time::format_description::well_known::Rfc3339;
    if let Ok(d) = time::OffsetDateTime::parse(t, &fmt) {
        return Some((d.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    // Without an offset: UTC.
    time::OffsetDateTime::parse(&format!("{t}Z"), &fmt)
        .ok()
        .map(|d| (d.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// An EWS date-time in UTC with `Z`, to the second.
pub fn format_time(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
