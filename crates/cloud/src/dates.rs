//! Times as Graph writes them.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn graph_time(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}
