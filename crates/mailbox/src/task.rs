//! Recurring tasks as Exchange keeps them: a recurring task is its current occurrence. Marking
//! it Completed (any recurring task), or changing its dates (one that does not regenerate),
//! makes a one-off task of that occurrence, which UpdateItem answers with; the recurring task
//! keeps its id and moves to its next occurrence (one occurrence fewer, ChangeCount one more).
//! A regenerating task's next occurrence counts from the day it was completed.

use crate::model::{
    ItemKind, PatternField, PatternKind, RangeField, RangeKind, RecurrenceValue, Tag, Value,
};
use crate::props::StoredProperties;
use crate::recurrence::{Range, Recurrence, parse_date};
use jiff::ToSpan;
use jiff::civil::Date;
use store::ItemRow;

pub fn is_task(row: &ItemRow) -> bool {
    row.tag == ItemKind::Task.name() || row.item_class.starts_with("IPM.Task")
}

fn text(props: &StoredProperties, tag: Tag) -> Option<String> {
    props.bag.text(&tag)
}

fn set_text(props: &mut StoredProperties, tag: Tag, value: &str) {
    props.set(tag, Value::Text(value.into()));
}

fn date(props: &StoredProperties, tag: Tag) -> Option<Date> {
    text(props, tag).and_then(|t| parse_date(&t))
}

fn set_date(props: &mut StoredProperties, tag: Tag, d: Date) {
    set_text(props, tag, &format!("{d}T00:00:00Z"));
}

fn recurrence(props: &StoredProperties) -> Option<&RecurrenceValue> {
    props.bag.recurrence()
}

fn range_start(rec: &RecurrenceValue) -> Option<String> {
    rec.range_field(RangeField::StartDate)
        .map(|s| s.trim().to_string())
}

/// A new task: IsRecurring and ChangeCount, and a recurring one's dates from its first
/// occurrence when the client gave none.
pub fn on_create(row: &ItemRow, props: &mut StoredProperties) {
    if !is_task(row) {
        return;
    }
    set_text(props, Tag::ChangeCount, "1");
    let Some(rec) = recurrence(props).cloned() else {
        props.set(Tag::IsRecurring, Value::Bool(false));
        return;
    };
    props.set(Tag::IsRecurring, Value::Bool(true));
    let first = Recurrence::parse(&rec)
        .and_then(|r| {
            r.dates(r.start.saturating_add(3700.days()))
                .first()
                .map(|d| d.1)
        })
        .or_else(|| range_start(&rec).and_then(|s| parse_date(&s)));
    if let Some(first) = first {
        for tag in [Tag::StartDate, Tag::DueDate] {
            if !props.bag.has(&tag) {
                set_date(props, tag, first);
            }
        }
    }
}

/// After an update's changes were applied to `props` (`before` as the task was): the one-off
/// task to store when the update completes or moves the current occurrence, `props` then
/// being the recurring task at its next occurrence. At the last occurrence the task itself is
/// what was updated, and stops recurring.
pub fn after_update(
    row: &ItemRow,
    before: &StoredProperties,
    props: &mut StoredProperties,
    today: Date,
) -> Option<StoredProperties> {
    if !is_task(row) {
        return None;
    }
    let old = recurrence(before)?.clone();
    let Some(new) = recurrence(props).cloned() else {
        props.set(Tag::IsRecurring, Value::Bool(false));
        return None;
    };
    let regenerating = old.pattern.is_regeneration();
    let status = |p: &StoredProperties| text(p, Tag::Status).unwrap_or_default();
    let completed = status(props) == "Completed" && status(before) != "Completed";
    let moved = !regenerating
        && (date(props, Tag::StartDate) != date(before, Tag::StartDate)
            || date(props, Tag::DueDate) != date(before, Tag::DueDate)
            || range_start(&new) != range_start(&old));
    if !completed && !moved {
        return None;
    }
    let current =
        date(before, Tag::DueDate).or_else(|| range_start(&old).and_then(|s| parse_date(&s)));
    let next = match (regenerating, current) {
        (true, _) => regenerated(&old, today),
        (false, Some(current)) => Recurrence::parse(&old).and_then(|r| next_after(r, current)),
        (false, None) => None,
    };
    let Some(next) = next else {
        props.bag.remove(&Tag::Recurrence);
        props.set(Tag::IsRecurring, Value::Bool(false));
        return None;
    };
    let mut one_off = props.clone();
    one_off.bag.remove(&Tag::Recurrence);
    one_off.set(Tag::IsRecurring, Value::Bool(false));
    set_text(&mut one_off, Tag::ChangeCount, "1");
    advance(props, before, new, next);
    Some(one_off)
}

/// The pattern's first date after `current`, when occurrences are left after it: a numbered
/// range counts the current occurrence and those after it (the count falls as the task moves
/// on, its start stays where the client put it).
fn next_after(mut r: Recurrence, current: Date) -> Option<Date> {
    if let Range::Numbered(left) = r.range {
        if left <= 1 {
            return None;
        }
        r.range = Range::NoEnd;
    }
    r.dates(current.saturating_add(3700.days()))
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| *d > current)
}

/// The recurring task at its next occurrence.
fn advance(
    props: &mut StoredProperties,
    before: &StoredProperties,
    mut rec: RecurrenceValue,
    next: Date,
) {
    if rec.range == RangeKind::Numbered
        && let Some(count) = rec.range_field_mut(RangeField::NumberOfOccurrences)
    {
        let left = count.trim().parse::<u32>().unwrap_or(1).saturating_sub(1);
        *count = left.max(1).to_string();
    }
    props.set(Tag::Recurrence, Value::Recurrence(rec));
    set_date(props, Tag::StartDate, next);
    set_date(props, Tag::DueDate, next);
    set_text(props, Tag::Status, "NotStarted");
    set_text(props, Tag::PercentComplete, "0");
    props.bag.remove(&Tag::CompleteDate);
    let count = text(before, Tag::ChangeCount)
        .and_then(|c| c.trim().parse::<u32>().ok())
        .unwrap_or(1);
    set_text(props, Tag::ChangeCount, &(count + 1).to_string());
}

/// A regenerating task's next date: the interval after `today`.
fn regenerated(rec: &RecurrenceValue, today: Date) -> Option<Date> {
    let n: i64 = rec
        .pattern_field(PatternField::Interval)?
        .trim()
        .parse()
        .ok()?;
    let span = match rec.pattern {
        PatternKind::DailyRegeneration => n.days(),
        PatternKind::WeeklyRegeneration => n.weeks(),
        PatternKind::MonthlyRegeneration => n.months(),
        PatternKind::YearlyRegeneration => n.years(),
        _ => return None,
    };
    today.checked_add(span).ok()
}
