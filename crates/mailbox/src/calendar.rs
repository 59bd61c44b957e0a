//! Calendar items: their times kept in UTC as Exchange keeps them (all-day events at local
//! midnight of their time zone, a series' master on its first occurrence), what Exchange
//! computes for them (CalendarItemType, FirstOccurrence, Duration, …), and the expansion of a
//! series into occurrences for CalendarView and free/busy. An occurrence's id is its master's
//! id and its instance index (`<master>-<index>`).

use crate::draft::{ItemTarget, OccurrenceRef};
use crate::mail_item::MailItem;
use crate::model::{ItemKind, ItemRef, Property, RangeField, Record, Tag, Value};
use crate::props::{Exception, StoredProperties};
use crate::recurrence::{Range, Recurrence};
use crate::timezones;
use jiff::ToSpan;
use jiff::civil::{Date, DateTime};
use store::ItemRow;

/// Value-index keys of the times kept in UTC.
pub fn is_time_key(key: &str) -> bool {
    matches!(key, "field:Start" | "field:End")
}

pub fn is_calendar_item(row: &ItemRow) -> bool {
    is_calendar(&ItemKind::from_name(&row.tag), &row.item_class)
}

/// An item of this kind and class is a calendar item (whatever kind a client made it as, an
/// appointment class makes it one).
pub fn is_calendar(kind: &ItemKind, class: &str) -> bool {
    *kind == ItemKind::CalendarItem || class.starts_with("IPM.Appointment")
}

/// An occurrence's wire id.
pub fn occurrence_id(master: &str, index: u32) -> String {
    format!("{master}-{index}")
}

/// The master id and instance index an occurrence id names.
pub fn parse_occurrence_id(id: &str) -> Option<(&str, u32)> {
    let (master, index) = id.split_once('-')?;
    let index: u32 = index.parse().ok()?;
    (crate::ids::is_well_formed_id(master) && index >= 1).then_some((master, index))
}

/// The item's time zone: its StartTimeZone when the server knows it, else UTC.
pub fn zone_of(props: &StoredProperties) -> String {
    props
        .bag
        .zone(&Tag::StartTimeZone)
        .and_then(|z| z.id.as_deref().or(z.name.as_deref()))
        .filter(|id| timezones::find(id).is_some())
        .unwrap_or("UTC")
        .to_string()
}

fn local(zone: &str, ms: i64) -> DateTime {
    // Within the years jiff can tell (-9999..=9999), a few days short of either end.
    const MIN_MS: i64 = -377_000_000_000_000;
    const MAX_MS: i64 = 253_402_000_000_000;
    let at = jiff::Timestamp::from_millisecond(ms.clamp(MIN_MS, MAX_MS))
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    timezones::utc_to_local(zone, at)
        .unwrap_or_else(|| at.to_zoned_datetime(jiff::tz::TimeZone::UTC).datetime())
}

fn utc_ms(zone: &str, local: DateTime) -> i64 {
    timezones::local_to_utc(zone, local)
        .or_else(|| timezones::local_to_utc("UTC", local))
        .map(|t| t.as_millisecond())
        .unwrap_or(0)
}

/// The item's start and end (ms, UTC) as stored.
pub fn times(props: &StoredProperties) -> Option<(i64, i64)> {
    let start = props.bag.time(&Tag::Start)?;
    let end = props.bag.time(&Tag::End).unwrap_or(start);
    Some((start, end.max(start)))
}

pub fn recurrence(props: &StoredProperties) -> Option<Recurrence> {
    props.bag.recurrence().and_then(Recurrence::parse)
}

/// Brings a calendar item's times to the form Exchange keeps: UTC; an all-day event from
/// local midnight to local midnight; a series' master on its first occurrence. Records the
/// series end for CalendarView and gives the item a UID.
pub fn normalize(row: &ItemRow, props: &mut StoredProperties) {
    if !is_calendar_item(row) {
        return;
    }
    if !props.bag.has(&Tag::UID) {
        let uid = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        props.set(Tag::UID, Value::Text(uid));
    }
    let Some((mut start, mut end)) = times(props) else {
        return;
    };
    let zone = zone_of(props);
    if props.bag.flag(&Tag::IsAllDayEvent) {
        let first = local(&zone, start).date();
        let last = local(&zone, end);
        let last_day = if last.time() == jiff::civil::Time::midnight() && last.date() > first {
            last.date()
        } else {
            last.date().checked_add(1.day()).unwrap_or(last.date())
        };
        start = utc_ms(&zone, first.to_datetime(jiff::civil::Time::midnight()));
        end = utc_ms(&zone, last_day.to_datetime(jiff::civil::Time::midnight()));
    }
    let duration = end - start;
    let mut state = props.calendar.take().unwrap_or_default();
    state.series_end_ms = Some(end);
    if let Some(r) = recurrence(props) {
        let time_of_day = local(&zone, start).time();
        let dates = r.dates(far_future(&r));
        if let Some((_, first)) = dates.first() {
            start = utc_ms(&zone, first.to_datetime(time_of_day));
            end = start + duration;
        }
        state.series_end_ms = match (r.range, dates.last()) {
            (Range::NoEnd, _) => None,
            (_, Some((_, last))) => Some(utc_ms(&zone, last.to_datetime(time_of_day)) + duration),
            (_, None) => Some(end),
        };
    } else {
        state.exceptions.clear();
        state.deleted.clear();
    }
    props.set(Tag::Start, Value::Time(start));
    props.set(Tag::End, Value::Time(end));
    props.calendar = Some(state);
    zoned_range_dates(props, &zone);
}

/// Writes a series' StartDate and EndDate as Exchange does, with the zone's offset on that
/// date (`2016-01-01+01:00`), so that clients read them as dates.
fn zoned_range_dates(props: &mut StoredProperties, zone: &str) {
    let Some(Value::Recurrence(rec)) = props.bag.get_mut(&Tag::Recurrence) else {
        return;
    };
    for field in [RangeField::StartDate, RangeField::EndDate] {
        let Some(part) = rec.range_field_mut(field) else {
            continue;
        };
        {
            let Some(date) = crate::recurrence::parse_date(part) else {
                continue;
            };
            let noon = date.to_datetime(jiff::civil::Time::constant(12, 0, 0, 0));
            let offset = timezones::local_to_utc(zone, noon)
                .and_then(|t| timezones::offset_minutes(zone, t))
                .unwrap_or(0);
            let suffix = if offset == 0 {
                "Z".to_string()
            } else {
                let sign = if offset < 0 { '-' } else { '+' };
                format!("{sign}{:02}:{:02}", offset.abs() / 60, offset.abs() % 60)
            };
            *part = format!("{date}{suffix}");
        }
    }
}

/// The last date a series' expansion needs to look at.
fn far_future(r: &Recurrence) -> Date {
    match r.range {
        Range::EndDate(d) => d,
        _ => Date::new(9999, 12, 31).unwrap_or(r.start),
    }
}

/// One occurrence of a series (or the single item itself, index 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub index: u32,
    pub start_ms: i64,
    pub end_ms: i64,
    /// Where the occurrence was before it was changed (its place in the pattern).
    pub original_start_ms: i64,
    pub exception: Option<Exception>,
}

/// The occurrences of a calendar item that overlap `from..=to` (an item that ends exactly at
/// `from` counts, as in Exchange), in order of start; a single item is its own occurrence 0.
pub fn occurrences(props: &StoredProperties, from: i64, to: i64) -> Vec<Occurrence> {
    let Some((start, end)) = times(props) else {
        return Vec::new();
    };
    let overlaps = |s: i64, e: i64| s < to && e >= from || s == from;
    let Some(r) = recurrence(props) else {
        return if overlaps(start, end) {
            vec![Occurrence {
                index: 0,
                start_ms: start,
                end_ms: end,
                original_start_ms: start,
                exception: None,
            }]
        } else {
            Vec::new()
        };
    };
    let state = props.calendar.clone().unwrap_or_default();
    let zone = zone_of(props);
    let time_of_day = local(&zone, start).time();
    let duration = end - start;
    // Changed occurrences may have moved by days; look a little past the window.
    let last_day = local(&zone, to).date();
    let until = last_day.checked_add(2.days()).unwrap_or(last_day);
    let mut out: Vec<Occurrence> = r
        .dates(until)
        .into_iter()
        .filter(|(i, _)| !state.deleted.contains(i))
        .map(|(index, date)| {
            let original = utc_ms(&zone, date.to_datetime(time_of_day));
            let exception = state.exceptions.iter().find(|x| x.index == index).cloned();
            let (s, e) = exception
                .as_ref()
                .map(|x| (x.start_ms, x.end_ms))
                .unwrap_or((original, original + duration));
            Occurrence {
                index,
                start_ms: s,
                end_ms: e,
                original_start_ms: original,
                exception,
            }
        })
        .filter(|o| overlaps(o.start_ms, o.end_ms))
        .collect();
    out.sort_by_key(|o| o.start_ms);
    out
}

/// Every occurrence of a series (bounded), deleted ones left out.
pub fn all_occurrences(props: &StoredProperties) -> Vec<Occurrence> {
    occurrences(props, i64::MIN / 2, i64::MAX / 2)
}

/// The occurrence with this instance index, if the series has it (deleted ones included,
/// so that they can be named and refused).
pub fn occurrence(props: &StoredProperties, index: u32) -> Option<Occurrence> {
    let r = recurrence(props)?;
    let (start, end) = times(props)?;
    let zone = zone_of(props);
    let time_of_day = local(&zone, start).time();
    let (_, date) = r
        .dates(far_future(&r))
        .into_iter()
        .find(|(i, _)| *i == index)?;
    let original = utc_ms(&zone, date.to_datetime(time_of_day));
    let state = props.calendar.clone().unwrap_or_default();
    let exception = state.exceptions.iter().find(|x| x.index == index).cloned();
    let (s, e) = exception
        .as_ref()
        .map(|x| (x.start_ms, x.end_ms))
        .unwrap_or((original, original + (end - start)));
    Some(Occurrence {
        index,
        start_ms: s,
        end_ms: e,
        original_start_ms: original,
        exception,
    })
}

/// ISO 8601 duration of an item (`PT2H`, `P1D`, `PT1H30M`).
fn duration_text(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let mut out = String::from("P");
    if d > 0 {
        out.push_str(&format!("{d}D"));
    }
    if h > 0 || m > 0 || d == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 || h == 0 {
            out.push_str(&format!("{m}M"));
        }
    }
    out
}

/// An occurrence as FirstOccurrence, LastOccurrence and ModifiedOccurrences list it.
fn occurrence_value(master: &MailItem, o: &Occurrence) -> Value {
    let id = ItemRef {
        id: occurrence_id(&master.id, o.index),
        change_key: crate::ids::change_key(&master.id, master.version),
    };
    Value::Record(Record {
        fields: vec![
            (Tag::ItemId.name().into(), Value::ItemId(id)),
            (Tag::Start.name().into(), Value::Time(o.start_ms)),
            (Tag::End.name().into(), Value::Time(o.end_ms)),
            (
                Tag::OriginalStart.name().into(),
                Value::Time(o.original_start_ms),
            ),
        ],
        ..Record::default()
    })
}

/// A list of values under one name, as a record.
fn list_of(name: &Tag, values: impl Iterator<Item = Value>) -> Value {
    Value::Record(Record {
        fields: values.map(|v| (name.name().to_string(), v)).collect(),
        ..Record::default()
    })
}

/// The properties Exchange computes for a calendar item, for the ones `wanted` asks for.
pub fn computed(item: &MailItem, wanted: &dyn Fn(&Tag) -> bool) -> Vec<Property> {
    let props = &item.props;
    let mut out = Vec::new();
    let Some((start, end)) = times(props) else {
        return out;
    };
    let series = recurrence(props);
    let mut push = |tag: Tag, value: Value| {
        if wanted(&tag) && !props.bag.has(&tag) {
            out.push(Property(tag, value));
        }
    };
    let text = |t: &str| Value::Text(t.into());
    let kind = if series.is_some() {
        "RecurringMaster"
    } else {
        "Single"
    };
    push(Tag::CalendarItemType, text(kind));
    push(Tag::IsRecurring, Value::Bool(false));
    push(Tag::Duration, text(&duration_text(end - start)));
    push(Tag::MyResponseType, text("Organizer"));
    push(Tag::AppointmentState, text("0"));
    push(Tag::AppointmentSequenceNumber, text("0"));
    push(Tag::IsMeeting, Value::Bool(false));
    push(Tag::IsCancelled, Value::Bool(false));
    push(Tag::MeetingRequestWasSent, Value::Bool(false));
    push(Tag::IsOnlineMeeting, Value::Bool(false));
    push(Tag::AllowNewTimeProposal, Value::Bool(true));
    push(Tag::IsResponseRequested, Value::Bool(true));
    push(Tag::ConferenceType, text("0"));
    push(Tag::LegacyFreeBusyStatus, text("Busy"));
    push(Tag::IsAllDayEvent, Value::Bool(false));
    // Expanding a series is the costly part: only for a shape that asks for what it gives.
    let lists = [
        Tag::FirstOccurrence,
        Tag::LastOccurrence,
        Tag::ModifiedOccurrences,
        Tag::DeletedOccurrences,
    ];
    if series.is_some() && lists.iter().any(wanted) {
        let all = all_occurrences(props);
        let mut by_index: Vec<&Occurrence> = all.iter().collect();
        by_index.sort_by_key(|o| o.index);
        if let Some(o) = by_index.first() {
            push(Tag::FirstOccurrence, occurrence_value(item, o));
        }
        let bounded = !matches!(series.as_ref().map(|s| &s.range), Some(Range::NoEnd));
        if bounded && let Some(o) = by_index.last() {
            push(Tag::LastOccurrence, occurrence_value(item, o));
        }
        let state = props.calendar.clone().unwrap_or_default();
        if !state.exceptions.is_empty() {
            let changed = state
                .exceptions
                .iter()
                .filter_map(|x| all.iter().find(|o| o.index == x.index))
                .map(|o| occurrence_value(item, o));
            push(Tag::ModifiedOccurrences, list_of(&Tag::Occurrence, changed));
        }
        if !state.deleted.is_empty() {
            let deleted = state
                .deleted
                .iter()
                .filter_map(|i| occurrence(props, *i))
                .map(|o| {
                    let start = (Tag::Start.name().into(), Value::Time(o.original_start_ms));
                    Value::Record(Record {
                        fields: vec![start],
                        ..Record::default()
                    })
                });
            push(
                Tag::DeletedOccurrences,
                list_of(&Tag::DeletedOccurrence, deleted),
            );
        }
    }
    out
}

/// What an occurrence changes of its series as a client reads it: the properties that take
/// the place of the series' own where those are shown (the exception's, its times), and the
/// ones it always has (its type and place in the series).
pub fn occurrence_properties(o: &Occurrence) -> (Vec<Property>, Vec<Property>) {
    let mut replacing: Vec<Property> = o
        .exception
        .iter()
        .flat_map(|x| x.bag.iter().cloned())
        .collect();
    replacing.push(Property(Tag::Start, Value::Time(o.start_ms)));
    replacing.push(Property(Tag::End, Value::Time(o.end_ms)));
    let kind = if o.exception.is_some() {
        "Exception"
    } else {
        "Occurrence"
    };
    let always = vec![
        Property(Tag::CalendarItemType, Value::Text(kind.into())),
        Property(Tag::IsRecurring, Value::Bool(true)),
        Property(Tag::OriginalStart, Value::Time(o.original_start_ms)),
        Property(Tag::RecurrenceId, Value::Time(o.original_start_ms)),
        Property(
            Tag::Duration,
            Value::Text(duration_text(o.end_ms - o.start_ms)),
        ),
    ];
    (replacing, always)
}

/// The properties of a series that none of its occurrences has.
pub fn is_series_only(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::Recurrence
            | Tag::FirstOccurrence
            | Tag::LastOccurrence
            | Tag::ModifiedOccurrences
            | Tag::DeletedOccurrences
            | Tag::CalendarItemType
            | Tag::IsRecurring
            | Tag::OriginalStart
            | Tag::RecurrenceId
            | Tag::Duration
    )
}

/// The series and instance index an id names, when it names an occurrence (by
/// `t:OccurrenceItemId` or by an occurrence id this server issued).
pub fn occurrence_named(id: &ItemTarget) -> Option<(String, u32)> {
    match id.occurrence {
        Some(OccurrenceRef::Instance(i)) => Some((id.id.clone(), i)),
        Some(OccurrenceRef::MasterOf) => None,
        None => parse_occurrence_id(&id.id).map(|(m, i)| (m.to_string(), i)),
    }
}

/// The item id meant: a `t:RecurringMasterItemId` of an occurrence names its series.
pub fn plain_id(id: &ItemTarget) -> String {
    match (id.occurrence, parse_occurrence_id(&id.id)) {
        (Some(OccurrenceRef::MasterOf), Some((master, _))) => master.to_string(),
        _ => id.id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instants::{format_time, parse_time_ms};
    use crate::model::{PatternField, PatternKind, RangeKind, RecurrenceValue, ZoneValue};

    fn row() -> ItemRow {
        ItemRow {
            id: "0123456789abcdef0123456789abcdef".into(),
            mailbox: "m".into(),
            folder_id: "f".into(),
            tag: ItemKind::CalendarItem.name().into(),
            item_class: "IPM.Appointment".into(),
            subject: String::new(),
            props: String::new(),
            props_format: crate::props::PROPS_FORMAT,
            created_ms: 0,
            received_ms: 0,
            modified_ms: 0,
            size: 0,
            is_read: true,
            is_draft: false,
            immutable: false,
            version: 1,
        }
    }

    /// A calendar item as a client sends it: start and end (as written), in Copenhagen's
    /// zone when `cph`, all day or not, and a series when given one.
    fn props(
        start: &str,
        end: &str,
        cph: bool,
        all_day: bool,
        series: Option<RecurrenceValue>,
    ) -> StoredProperties {
        let mut p = StoredProperties::default();
        p.set(Tag::Start, Value::Text(start.into()));
        p.set(Tag::End, Value::Text(end.into()));
        if all_day {
            p.set(Tag::IsAllDayEvent, Value::Bool(true));
        }
        if cph {
            let zone = ZoneValue {
                id: Some("Romance Standard Time".into()),
                ..ZoneValue::default()
            };
            p.set(Tag::StartTimeZone, Value::TimeZone(zone));
        }
        if let Some(r) = series {
            p.set(Tag::Recurrence, Value::Recurrence(r));
        }
        normalize(&row(), &mut p);
        p
    }

    fn mondays(interval: &str, range: RangeKind, fields: &[(RangeField, &str)]) -> RecurrenceValue {
        crate::recurrence::tests::series(
            PatternKind::Weekly,
            &[
                (PatternField::Interval, interval),
                (PatternField::DaysOfWeek, "Monday"),
            ],
            range,
            fields,
        )
    }

    #[test]
    fn times_are_kept_in_utc_and_all_day_events_at_local_midnight() {
        let p = props(
            "2016-07-01T08:00:00+02:00",
            "2016-07-01T10:00:00+02:00",
            true,
            false,
            None,
        );
        assert_eq!(p.bag.text(&Tag::Start).unwrap(), "2016-07-01T06:00:00Z");
        assert!(p.bag.text(&Tag::UID).is_some());
        let all_day = props(
            "2016-07-01T14:33:00+02:00",
            "2016-07-03T09:00:00+02:00",
            true,
            true,
            None,
        );
        assert_eq!(
            all_day.bag.text(&Tag::Start).unwrap(),
            "2016-06-30T22:00:00Z"
        );
        assert_eq!(all_day.bag.text(&Tag::End).unwrap(), "2016-07-03T22:00:00Z");
    }

    #[test]
    fn a_weekly_series_keeps_its_local_time_across_daylight_saving() {
        // Mondays at 09:00 Copenhagen time, from March (winter) into April (summer).
        let series = mondays(
            "1",
            RangeKind::Numbered,
            &[
                (RangeField::StartDate, "2026-03-16"),
                (RangeField::NumberOfOccurrences, "4"),
            ],
        );
        let p = props(
            "2026-03-16T09:00:00+01:00",
            "2026-03-16T10:00:00+01:00",
            true,
            false,
            Some(series),
        );
        let all = all_occurrences(&p);
        let starts: Vec<String> = all.iter().map(|o| format_time(o.start_ms)).collect();
        assert_eq!(
            starts,
            [
                "2026-03-16T08:00:00Z",
                "2026-03-23T08:00:00Z",
                "2026-03-30T07:00:00Z",
                "2026-04-06T07:00:00Z"
            ]
        );
        assert_eq!(
            p.calendar.as_ref().unwrap().series_end_ms,
            Some(parse_time_ms("2026-04-06T08:00:00Z").unwrap())
        );
        // The range's dates are written with the zone's offset on that date.
        assert_eq!(
            p.bag
                .recurrence()
                .unwrap()
                .range_field(RangeField::StartDate),
            Some("2026-03-16+01:00")
        );
        let from = parse_time_ms("2026-03-23T00:00:00Z").unwrap();
        let to = parse_time_ms("2026-03-31T00:00:00Z").unwrap();
        let window: Vec<u32> = occurrences(&p, from, to).iter().map(|o| o.index).collect();
        assert_eq!(window, [2, 3]);
        let computed = computed(&MailItem::of(row(), p.clone()), &|_| true);
        let kind = computed
            .iter()
            .find(|p| p.0 == Tag::CalendarItemType)
            .unwrap();
        assert_eq!(kind.1.text(), "RecurringMaster");
        assert!(computed.iter().any(|p| p.0 == Tag::LastOccurrence));
    }

    #[test]
    fn a_master_moves_to_its_first_occurrence_and_ids_round_trip() {
        // Created on a Friday for a Monday-only series: the master starts on the Monday.
        let series = mondays(
            "1",
            RangeKind::NoEnd,
            &[(RangeField::StartDate, "2016-01-01")],
        );
        let p = props(
            "2016-01-01T08:00:00Z",
            "2016-01-01T09:00:00Z",
            false,
            false,
            Some(series),
        );
        assert_eq!(p.bag.text(&Tag::Start).unwrap(), "2016-01-04T08:00:00Z");
        assert_eq!(p.calendar.as_ref().unwrap().series_end_ms, None);
        let id = occurrence_id(&row().id, 3);
        assert_eq!(parse_occurrence_id(&id), Some((row().id.as_str(), 3)));
        assert_eq!(parse_occurrence_id("nothex-3"), None);
        assert_eq!(duration_text(90 * 60_000), "PT1H30M");
        assert_eq!(duration_text(86_400_000), "P1D");
    }
}
