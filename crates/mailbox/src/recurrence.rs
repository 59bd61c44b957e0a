//! Recurring series: the `t:Recurrence` a client sends, read into a pattern and a range, and
//! expanded into the local dates of its occurrences (1-based instance indexes, as EWS counts
//! them). Expansion is bounded: it stops at the window's end, the range's end, or after
//! [`MAX_OCCURRENCES`] dates, whichever comes first.

use crate::model::{PatternField, PatternKind, RangeField, RangeKind, RecurrenceValue};
use jiff::ToSpan;
use jiff::civil::{Date, Weekday};

/// No series yields more occurrences than this (Exchange caps series similarly).
pub const MAX_OCCURRENCES: u32 = 999;
/// Periods scanned for matching dates before expansion gives up (a pattern that matches
/// rarely, such as a 31st in every second month, still finishes).
const MAX_PERIODS: u32 = 20_000;

/// Which days a relative pattern counts: one weekday, or a class of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaySet {
    One(Weekday),
    Day,
    Weekday,
    WeekendDay,
}

impl DaySet {
    fn parse(text: &str) -> Option<DaySet> {
        Some(match text.trim() {
            "Day" => DaySet::Day,
            "Weekday" => DaySet::Weekday,
            "WeekendDay" => DaySet::WeekendDay,
            other => DaySet::One(weekday(other)?),
        })
    }

    fn contains(&self, d: Weekday) -> bool {
        match self {
            DaySet::One(w) => *w == d,
            DaySet::Day => true,
            DaySet::Weekday => !matches!(d, Weekday::Saturday | Weekday::Sunday),
            DaySet::WeekendDay => matches!(d, Weekday::Saturday | Weekday::Sunday),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    Daily {
        interval: u32,
    },
    Weekly {
        interval: u32,
        days: Vec<Weekday>,
        first_day: Weekday,
    },
    AbsoluteMonthly {
        interval: u32,
        day: u8,
    },
    RelativeMonthly {
        interval: u32,
        days: DaySet,
        /// 1..4, or -1 for the last.
        index: i8,
    },
    AbsoluteYearly {
        month: i8,
        day: u8,
    },
    RelativeYearly {
        month: i8,
        days: DaySet,
        index: i8,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Range {
    NoEnd,
    EndDate(Date),
    Numbered(u32),
}

/// A series: its pattern, the date it starts from, and where it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub pattern: Pattern,
    pub start: Date,
    pub range: Range,
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name.trim() {
        "Sunday" => Weekday::Sunday,
        "Monday" => Weekday::Monday,
        "Tuesday" => Weekday::Tuesday,
        "Wednesday" => Weekday::Wednesday,
        "Thursday" => Weekday::Thursday,
        "Friday" => Weekday::Friday,
        "Saturday" => Weekday::Saturday,
        _ => return None,
    })
}

fn month(name: &str) -> Option<i8> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    MONTHS
        .iter()
        .position(|m| *m == name.trim())
        .map(|i| i as i8 + 1)
}

fn index(name: &str) -> Option<i8> {
    Some(match name.trim() {
        "First" => 1,
        "Second" => 2,
        "Third" => 3,
        "Fourth" => 4,
        "Last" => -1,
        _ => return None,
    })
}

/// A date as EWS writes it in a range, possibly with an offset (`2016-01-01`, `2016-01-01Z`,
/// `2016-01-01+01:00`).
pub fn parse_date(text: &str) -> Option<Date> {
    let t = text.trim();
    t.get(..10)?.parse().ok()
}

impl Recurrence {
    /// Reads a recurrence as a client gave it; `None` when it is not one a calendar series
    /// can have (a task's regeneration) or a part does not read.
    pub fn parse(v: &RecurrenceValue) -> Option<Recurrence> {
        use PatternField as F;
        let text = |f: F| v.pattern_field(f).map(str::trim);
        let num = |f: F| text(f).and_then(|t| t.parse::<u32>().ok());
        let interval = num(F::Interval).unwrap_or(1).max(1);
        let days = || text(F::DaysOfWeek).unwrap_or_default();
        let pattern = match v.pattern {
            PatternKind::Daily => Pattern::Daily { interval },
            PatternKind::Weekly => Pattern::Weekly {
                interval,
                days: days().split_whitespace().filter_map(weekday).collect(),
                first_day: text(F::FirstDayOfWeek)
                    .and_then(weekday)
                    .unwrap_or(Weekday::Sunday),
            },
            PatternKind::AbsoluteMonthly => Pattern::AbsoluteMonthly {
                interval,
                day: num(F::DayOfMonth).unwrap_or(1).clamp(1, 31) as u8,
            },
            PatternKind::RelativeMonthly => Pattern::RelativeMonthly {
                interval,
                days: DaySet::parse(days())?,
                index: index(text(F::DayOfWeekIndex)?)?,
            },
            PatternKind::AbsoluteYearly => Pattern::AbsoluteYearly {
                month: month(text(F::Month)?)?,
                day: num(F::DayOfMonth).unwrap_or(1).clamp(1, 31) as u8,
            },
            PatternKind::RelativeYearly => Pattern::RelativeYearly {
                month: month(text(F::Month)?)?,
                days: DaySet::parse(days())?,
                index: index(text(F::DayOfWeekIndex)?)?,
            },
            _ => return None,
        };
        let start = parse_date(v.range_field(RangeField::StartDate)?)?;
        let range = match v.range {
            RangeKind::EndDate => Range::EndDate(parse_date(v.range_field(RangeField::EndDate)?)?),
            RangeKind::Numbered => Range::Numbered(
                v.range_field(RangeField::NumberOfOccurrences)
                    .and_then(|t| t.trim().parse::<u32>().ok())
                    .unwrap_or(1)
                    .clamp(1, MAX_OCCURRENCES),
            ),
            RangeKind::NoEnd => Range::NoEnd,
        };
        if let Pattern::Weekly { days, .. } = &pattern
            && days.is_empty()
        {
            return None;
        }
        Some(Recurrence {
            pattern,
            start,
            range,
        })
    }

    /// The occurrences' dates in order, with their instance indexes, up to and including
    /// `until` (a date past which nothing is wanted).
    pub fn dates(&self, until: Date) -> Vec<(u32, Date)> {
        let mut out = Vec::new();
        let mut index = 0u32;
        let last = match self.range {
            Range::EndDate(d) => d.min(until),
            _ => until,
        };
        let limit = match self.range {
            Range::Numbered(n) => n,
            _ => MAX_OCCURRENCES,
        };
        for period in 0..MAX_PERIODS {
            let candidates = self.period_dates(period);
            let Some(candidates) = candidates else { break };
            for d in candidates {
                if d < self.start {
                    continue;
                }
                if d > last || index >= limit {
                    return out;
                }
                index += 1;
                out.push((index, d));
            }
        }
        out
    }

    /// The matching dates of the `n`-th period (day, week, month or year) after the start;
    /// `None` past the calendar's end.
    fn period_dates(&self, n: u32) -> Option<Vec<Date>> {
        let start = self.start;
        let n = n as i64;
        Some(match &self.pattern {
            Pattern::Daily { interval } => {
                vec![start.checked_add((n * *interval as i64).days()).ok()?]
            }
            Pattern::Weekly {
                interval,
                days,
                first_day,
            } => {
                let back = start.weekday().since(*first_day) as i64;
                let week = start
                    .checked_sub(back.days())
                    .ok()?
                    .checked_add((n * *interval as i64 * 7).days())
                    .ok()?;
                let mut out: Vec<Date> = (0..7)
                    .filter_map(|i| week.checked_add(i.days()).ok())
                    .filter(|d| days.contains(&d.weekday()))
                    .collect();
                out.sort();
                out
            }
            Pattern::AbsoluteMonthly { interval, day } => {
                let first = month_start(start, n * *interval as i64)?;
                vec![day_in_month(first, *day)]
            }
            Pattern::RelativeMonthly {
                interval,
                days,
                index,
            } => {
                let first = month_start(start, n * *interval as i64)?;
                nth_in_month(first, days, *index).into_iter().collect()
            }
            Pattern::AbsoluteYearly { month, day } => {
                let first = Date::new(start.year().checked_add(n as i16)?, *month, 1).ok()?;
                vec![day_in_month(first, *day)]
            }
            Pattern::RelativeYearly { month, days, index } => {
                let first = Date::new(start.year().checked_add(n as i16)?, *month, 1).ok()?;
                nth_in_month(first, days, *index).into_iter().collect()
            }
        })
    }
}

/// The first of the month `months` after `d`'s month.
fn month_start(d: Date, months: i64) -> Option<Date> {
    Date::new(d.year(), d.month(), 1)
        .ok()?
        .checked_add(months.months())
        .ok()
}

/// Day `day` of the month `first` starts, or its last day when the month is shorter.
fn day_in_month(first: Date, day: u8) -> Date {
    let day = (day as i8).min(first.days_in_month());
    Date::new(first.year(), first.month(), day).unwrap_or(first)
}

/// The `index`-th (or last, -1) day of the month `first` starts that `days` contains.
fn nth_in_month(first: Date, days: &DaySet, index: i8) -> Option<Date> {
    let matching: Vec<Date> = (0..first.days_in_month() as i64)
        .filter_map(|i| first.checked_add(i.days()).ok())
        .filter(|d| days.contains(d.weekday()))
        .collect();
    if index < 0 {
        matching.last().copied()
    } else {
        matching.get(index as usize - 1).copied()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use PatternField as P;
    use RangeField as R;

    /// A recurrence as a client would give it.
    pub(crate) fn series(
        pattern: PatternKind,
        fields: &[(PatternField, &str)],
        range: RangeKind,
        range_fields: &[(RangeField, &str)],
    ) -> RecurrenceValue {
        RecurrenceValue {
            pattern,
            pattern_fields: fields.iter().map(|(f, v)| (*f, v.to_string())).collect(),
            range,
            range_fields: range_fields
                .iter()
                .map(|(f, v)| (*f, v.to_string()))
                .collect(),
        }
    }

    fn recurrence(
        pattern: PatternKind,
        fields: &[(PatternField, &str)],
        range: RangeKind,
        range_fields: &[(RangeField, &str)],
    ) -> Recurrence {
        Recurrence::parse(&series(pattern, fields, range, range_fields)).unwrap()
    }

    fn dates(r: &Recurrence, until: &str) -> Vec<String> {
        r.dates(until.parse().unwrap())
            .into_iter()
            .map(|(_, d)| d.to_string())
            .collect()
    }

    #[test]
    fn daily_and_weekly_series_expand_to_their_dates() {
        let numbered = |start, n| [(R::StartDate, start), (R::NumberOfOccurrences, n)];
        let daily = recurrence(
            PatternKind::Daily,
            &[(P::Interval, "5")],
            RangeKind::Numbered,
            &numbered("2016-01-01", "3"),
        );
        assert_eq!(
            dates(&daily, "2030-01-01"),
            ["2016-01-01", "2016-01-06", "2016-01-11"]
        );
        // Every second week on Monday and Wednesday, from a Friday: the first week has none
        // left, the next is skipped.
        let weekly = recurrence(
            PatternKind::Weekly,
            &[
                (P::Interval, "2"),
                (P::DaysOfWeek, "Monday Wednesday"),
                (P::FirstDayOfWeek, "Monday"),
            ],
            RangeKind::EndDate,
            &[
                (R::StartDate, "2016-01-01+01:00"),
                (R::EndDate, "2016-02-01"),
            ],
        );
        assert_eq!(
            dates(&weekly, "2030-01-01"),
            ["2016-01-11", "2016-01-13", "2016-01-25", "2016-01-27"]
        );
        let open = recurrence(
            PatternKind::Daily,
            &[(P::Interval, "1")],
            RangeKind::NoEnd,
            &[(R::StartDate, "2016-01-01")],
        );
        assert_eq!(dates(&open, "2016-01-03").len(), 3);
        assert_eq!(
            open.dates("2099-01-01".parse().unwrap()).len() as u32,
            MAX_OCCURRENCES
        );
        let regenerating = series(
            PatternKind::DailyRegeneration,
            &[(P::Interval, "1")],
            RangeKind::NoEnd,
            &[(R::StartDate, "2016-01-01")],
        );
        assert_eq!(
            Recurrence::parse(&regenerating),
            None,
            "a task's, not a series'"
        );
    }

    #[test]
    fn monthly_and_yearly_series_take_short_months_and_relative_days() {
        let numbered = |n| [(R::StartDate, "2016-01-01"), (R::NumberOfOccurrences, n)];
        let absolute = recurrence(
            PatternKind::AbsoluteMonthly,
            &[(P::Interval, "1"), (P::DayOfMonth, "31")],
            RangeKind::Numbered,
            &[(R::StartDate, "2016-01-31"), (R::NumberOfOccurrences, "3")],
        );
        assert_eq!(
            dates(&absolute, "2030-01-01"),
            ["2016-01-31", "2016-02-29", "2016-03-31"]
        );
        let relative = recurrence(
            PatternKind::RelativeMonthly,
            &[
                (P::Interval, "3"),
                (P::DaysOfWeek, "Weekday"),
                (P::DayOfWeekIndex, "Last"),
            ],
            RangeKind::Numbered,
            &numbered("2"),
        );
        assert_eq!(dates(&relative, "2030-01-01"), ["2016-01-29", "2016-04-29"]);
        let yearly = recurrence(
            PatternKind::RelativeYearly,
            &[
                (P::DaysOfWeek, "Tuesday"),
                (P::DayOfWeekIndex, "Third"),
                (P::Month, "November"),
            ],
            RangeKind::Numbered,
            &numbered("2"),
        );
        assert_eq!(dates(&yearly, "2030-01-01"), ["2016-11-15", "2017-11-21"]);
    }
}
