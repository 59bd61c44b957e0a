//! The server's time zones: the Windows zone ids EWS clients name (one per CLDR "001" mapping,
//! `data/windows-zones.tsv`), each backed by its IANA zone from the tz database bundled in the
//! binary, so conversions are exact for any date. The EWS form of a zone (periods and a
//! yearly rule) is derived from the database's transitions in the year asked for.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use std::sync::LazyLock;

/// A Windows time zone id and the IANA zone behind it.
pub struct WindowsZone {
    pub id: &'static str,
    pub iana: &'static str,
    zone: TimeZone,
}

static ZONES: LazyLock<Vec<WindowsZone>> = LazyLock::new(|| {
    include_str!("../data/windows-zones.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (id, iana) = l.split_once('\t')?;
            let zone = TimeZone::get(iana.trim()).ok()?;
            Some(WindowsZone {
                id,
                iana: iana.trim(),
                zone,
            })
        })
        .collect()
});

/// Every zone the server knows, in the table's order (by Windows id).
pub fn all() -> &'static [WindowsZone] {
    &ZONES
}

/// The zone a client names: a Windows id ("W. Europe Standard Time", any case) or an IANA
/// name ("Europe/Berlin") that the table maps.
pub fn find(id: &str) -> Option<&'static WindowsZone> {
    let id = id.trim();
    ZONES
        .iter()
        .find(|z| z.id.eq_ignore_ascii_case(id))
        .or_else(|| ZONES.iter().find(|z| z.iana.eq_ignore_ascii_case(id)))
}

/// What a local wall-clock time is in UTC in the zone `id` names (the earlier instant when
/// the time occurs twice, the time after the gap when it does not occur), or `None` for a zone
/// the server does not know.
pub fn local_to_utc(id: &str, local: DateTime) -> Option<Timestamp> {
    let zone = find(id)?;
    zone.zone.to_ambiguous_timestamp(local).compatible().ok()
}

/// The wall-clock time of an instant in the zone `id` names.
pub fn utc_to_local(id: &str, at: Timestamp) -> Option<DateTime> {
    Some(find(id)?.zone.to_datetime(at))
}

/// The zone's offset from UTC at an instant, in minutes (UTC+01:00 is 60).
pub fn offset_minutes(id: &str, at: Timestamp) -> Option<i32> {
    Some(find(id)?.zone.to_offset(at).seconds() / 60)
}

/// One yearly change between standard and daylight time, as EWS writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearlyRule {
    /// Local time of day (in the offset before the change) of the change, in minutes.
    pub time_of_day_minutes: i32,
    pub month: u8,
    /// 0 = Sunday … 6 = Saturday.
    pub weekday: u8,
    /// 1..4, or -1 for the last such weekday of the month.
    pub occurrence: i8,
}

/// A zone's offsets and, when it observes daylight time, the rules of the year asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRules {
    /// Standard offset from UTC in minutes (UTC+01:00 is 60).
    pub standard_offset: i32,
    /// Daylight offset and the changes into and out of daylight time.
    pub daylight: Option<(i32, YearlyRule, YearlyRule)>,
}

/// The days of the week, Sunday first, as [`YearlyRule::weekday`] counts them.
pub const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

impl WindowsZone {
    /// The zone's rules in `year`: a year with exactly one change into daylight time and one
    /// out of it gets them as yearly rules; any other year (no changes, or a zone that changed
    /// its standard offset) gets the offset in force at the year's end and no daylight time.
    pub fn rules(&self, year: i16) -> ZoneRules {
        let new_year = |y: i16| {
            Date::new(y, 1, 1)
                .ok()
                .and_then(|d| TimeZone::UTC.to_timestamp(d.at(0, 0, 0, 0)).ok())
        };
        let start = new_year(year).unwrap_or(Timestamp::UNIX_EPOCH);
        let end = new_year(year.saturating_add(1)).unwrap_or(Timestamp::MAX);
        let initial = self.zone.to_offset(start).seconds() / 60;
        // Only changes of offset count (the database also records changes of abbreviation).
        let mut changes: Vec<(Timestamp, i32)> = Vec::new();
        let mut current = initial;
        for t in self
            .zone
            .following(start)
            .take_while(|t| t.timestamp() < end)
            .take(8)
        {
            let offset = t.offset().seconds() / 60;
            if offset != current {
                changes.push((t.timestamp(), offset));
                current = offset;
            }
        }
        let at_end = current;
        if changes.len() != 2 || changes[1].1 != initial || changes[0].1 == initial {
            return ZoneRules {
                standard_offset: at_end,
                daylight: None,
            };
        }
        let (first, second) = (changes[0], changes[1]);
        let standard = initial.min(first.1);
        let daylight = initial.max(first.1);
        // The change into daylight time is the one whose new offset is the larger.
        let (into, out_of) = if first.1 == daylight {
            (first, second)
        } else {
            (second, first)
        };
        ZoneRules {
            standard_offset: standard,
            daylight: Some((
                daylight,
                yearly_rule(into.0, standard),
                yearly_rule(out_of.0, daylight),
            )),
        }
    }

    /// "(UTC+01:00) Paris": the standard offset and the IANA zone's city.
    pub fn display_name(&self, standard_offset: i32) -> String {
        let sign = if standard_offset < 0 { '-' } else { '+' };
        let (h, m) = (standard_offset.abs() / 60, standard_offset.abs() % 60);
        let place = match self.iana.strip_prefix("Etc/") {
            Some(_) if self.id == "UTC" => "Coordinated Universal Time".to_string(),
            Some(_) => format!("Coordinated Universal Time{}", &self.id[3..]),
            None => self
                .iana
                .rsplit('/')
                .next()
                .unwrap_or(self.iana)
                .replace('_', " "),
        };
        if standard_offset == 0 {
            format!("(UTC) {place}")
        } else {
            format!("(UTC{sign}{h:02}:{m:02}) {place}")
        }
    }
}

/// The rule of a change at `at`, told in the wall-clock time before it (`offset_before`).
fn yearly_rule(at: Timestamp, offset_before: i32) -> YearlyRule {
    let offset =
        jiff::tz::Offset::from_seconds(offset_before * 60).unwrap_or(jiff::tz::Offset::UTC);
    let local = TimeZone::fixed(offset).to_datetime(at);
    let day = local.day();
    let days_in_month = local.date().days_in_month();
    YearlyRule {
        time_of_day_minutes: local.hour() as i32 * 60 + local.minute() as i32,
        month: local.month() as u8,
        weekday: local.weekday().to_sunday_zero_offset() as u8,
        occurrence: if day + 7 > days_in_month {
            -1
        } else {
            (day - 1) / 7 + 1
        },
    }
}

/// Time in the availability service's legacy `t:TimeZone` (a base bias and yearly changes),
/// which GetUserAvailability tells its window and answers in.
pub mod legacy {
    /// A zone as a base bias (minutes west of UTC) and its two yearly changes.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct LegacyTimeZone {
        pub bias: i32,
        pub standard: LegacyChange,
        pub daylight: LegacyChange,
    }

    /// At `time` ("03:00:00") on the `day_order`-th (5 = last) `day_of_week` of `month`, the
    /// bias becomes `bias` on top of the base bias.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct LegacyChange {
        pub bias: i32,
        pub time: String,
        pub day_order: u8,
        pub month: u8,
        pub day_of_week: String,
    }

    impl LegacyChange {
        /// Whether the change happens at all (a zone without daylight time has month 0).
        pub fn is_set(&self) -> bool {
            (1..=12).contains(&self.month)
        }
    }
    use jiff::civil::{Date, DateTime, Time};

    fn weekday(name: &str) -> Option<jiff::civil::Weekday> {
        use jiff::civil::Weekday::*;
        Some(match name.trim() {
            "Sunday" => Sunday,
            "Monday" => Monday,
            "Tuesday" => Tuesday,
            "Wednesday" => Wednesday,
            "Thursday" => Thursday,
            "Friday" => Friday,
            "Saturday" => Saturday,
            _ => return None,
        })
    }

    /// The local time of a change in `year`: the `day_order`-th (5: last) weekday of the month.
    fn change_local(c: &LegacyChange, year: i16) -> Option<DateTime> {
        let day = weekday(&c.day_of_week)?;
        let first = Date::new(year, c.month as i8, 1).ok()?;
        let matching: Vec<Date> = (0..first.days_in_month())
            .filter_map(|d| Date::new(year, c.month as i8, d + 1).ok())
            .filter(|d| d.weekday() == day)
            .collect();
        let date = match c.day_order {
            1..=4 => *matching.get(c.day_order as usize - 1)?,
            _ => *matching.last()?,
        };
        let mut parts = c
            .time
            .split(':')
            .map(|p| p.trim().parse::<i8>().unwrap_or(0));
        let (h, m, s) = (
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        );
        Some(date.to_datetime(Time::new(h, m, s, 0).ok()?))
    }

    fn ms_of(local: DateTime, offset_minutes: i32) -> i64 {
        let as_utc = jiff::tz::TimeZone::UTC
            .to_timestamp(local)
            .map(|t| t.as_millisecond())
            .unwrap_or(0);
        as_utc - offset_minutes as i64 * 60_000
    }

    fn local_of(ms: i64, offset_minutes: i32) -> DateTime {
        let epoch = DateTime::constant(1970, 1, 1, 0, 0, 0, 0);
        let secs = ms.div_euclid(1000) + offset_minutes as i64 * 60;
        epoch
            .checked_add(jiff::SignedDuration::from_secs(secs))
            .unwrap_or(epoch)
    }

    /// Standard and daylight offsets (minutes east of UTC).
    fn offsets(tz: &LegacyTimeZone) -> (i32, i32) {
        (-(tz.bias + tz.standard.bias), -(tz.bias + tz.daylight.bias))
    }

    /// Whether daylight time is in force at the instant `ms`.
    fn in_daylight(tz: &LegacyTimeZone, ms: i64) -> bool {
        if !tz.daylight.is_set() || !tz.standard.is_set() {
            return false;
        }
        let (std, dst) = offsets(tz);
        let year = local_of(ms, std).year();
        let (Some(on), Some(off)) = (
            change_local(&tz.daylight, year),
            change_local(&tz.standard, year),
        ) else {
            return false;
        };
        let (on, off) = (ms_of(on, std), ms_of(off, dst));
        if on < off {
            on <= ms && ms < off
        } else {
            ms >= on || ms < off
        }
    }

    /// The zone's offset at the instant `ms`, minutes east of UTC.
    pub fn offset_at(tz: &LegacyTimeZone, ms: i64) -> i32 {
        let (std, dst) = offsets(tz);
        if in_daylight(tz, ms) { dst } else { std }
    }

    /// A local time of the zone as an instant (ms since the epoch, UTC).
    pub fn to_utc(tz: &LegacyTimeZone, local: DateTime) -> i64 {
        let (std, dst) = offsets(tz);
        let guess = ms_of(local, std);
        if in_daylight(tz, guess) {
            ms_of(local, dst)
        } else {
            guess
        }
    }

    /// An instant as the zone's local time, written as the availability service writes it
    /// (`2030-01-01T08:00:00`, no offset).
    pub fn to_local_text(tz: &LegacyTimeZone, ms: i64) -> String {
        local_of(ms, offset_at(tz, ms))
            .strftime("%Y-%m-%dT%H:%M:%S")
            .to_string()
    }

    /// A time as a request gives it: with an offset or `Z` it is an instant; without one it is
    /// local time of the zone.
    pub fn parse(tz: &LegacyTimeZone, text: &str) -> Option<i64> {
        let t = text.trim();
        let has_offset = t.ends_with('Z')
            || t.get(19..)
                .is_some_and(|rest| rest.contains('+') || rest.contains('-'));
        if has_offset {
            return crate::instants::parse_time_ms(t);
        }
        let local: DateTime = t.get(..19).unwrap_or(t).parse().ok()?;
        Some(to_utc(tz, local))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_zone_is_in_the_bundled_database() {
        let lines = include_str!("../data/windows-zones.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count();
        assert_eq!(all().len(), lines);
        assert!((100..=160).contains(&all().len()));
    }

    #[test]
    fn european_rules_are_the_last_sundays_of_march_and_october() {
        let rules = find("W. Europe Standard Time").unwrap().rules(2026);
        assert_eq!(rules.standard_offset, 60);
        let (offset, into, out_of) = rules.daylight.unwrap();
        assert_eq!(offset, 120);
        assert_eq!(
            into,
            YearlyRule {
                time_of_day_minutes: 120,
                month: 3,
                weekday: 0,
                occurrence: -1
            }
        );
        assert_eq!(
            out_of,
            YearlyRule {
                time_of_day_minutes: 180,
                month: 10,
                weekday: 0,
                occurrence: -1
            }
        );
    }

    #[test]
    fn us_and_southern_rules_and_zones_without_daylight_time() {
        let (_, into, out_of) = find("Pacific Standard Time")
            .unwrap()
            .rules(2026)
            .daylight
            .unwrap();
        assert_eq!((into.month, into.occurrence), (3, 2));
        assert_eq!(
            (out_of.month, out_of.occurrence, out_of.time_of_day_minutes),
            (11, 1, 120)
        );
        let sydney = find("AUS Eastern Standard Time").unwrap().rules(2026);
        assert_eq!(sydney.standard_offset, 600);
        let (_, into, out_of) = sydney.daylight.unwrap();
        assert_eq!((into.month, out_of.month), (10, 4));
        let india = find("India Standard Time").unwrap().rules(2026);
        assert_eq!((india.standard_offset, india.daylight), (330, None));
    }

    #[test]
    fn local_times_convert_across_daylight_changes() {
        let summer = DateTime::new(2026, 7, 1, 12, 0, 0, 0).unwrap();
        let at = local_to_utc("Romance Standard Time", summer).unwrap();
        assert_eq!(at.to_string(), "2026-07-01T10:00:00Z");
        assert_eq!(
            utc_to_local("Eastern Standard Time", at).unwrap(),
            DateTime::new(2026, 7, 1, 6, 0, 0, 0).unwrap()
        );
        assert_eq!(offset_minutes("Tokyo Standard Time", at), Some(540));
        assert!(local_to_utc("Nowhere Standard Time", summer).is_none());
    }

    #[test]
    fn legacy_zones_convert_as_the_availability_service_tells_them() {
        use legacy::{LegacyChange, LegacyTimeZone};
        let change = |bias, time: &str, month| LegacyChange {
            bias,
            time: time.into(),
            day_order: 5,
            month,
            day_of_week: "Sunday".into(),
        };
        let cet = LegacyTimeZone {
            bias: -60,
            standard: change(0, "03:00:00", 10),
            daylight: change(-60, "02:00:00", 3),
        };
        let winter = legacy::parse(&cet, "2030-01-01T08:00:00").unwrap();
        assert_eq!(crate::instants::format_time(winter), "2030-01-01T07:00:00Z");
        let summer = legacy::parse(&cet, "2030-07-01T08:00:00").unwrap();
        assert_eq!(crate::instants::format_time(summer), "2030-07-01T06:00:00Z");
        assert_eq!(legacy::to_local_text(&cet, summer), "2030-07-01T08:00:00");
        let absolute = legacy::parse(&cet, "2030-07-01T08:00:00+01:00").unwrap();
        assert_eq!(
            crate::instants::format_time(absolute),
            "2030-07-01T07:00:00Z"
        );
        assert_eq!(legacy::offset_at(&LegacyTimeZone::default(), summer), 0);
    }
}
