//! Recurring tasks as Exchange keeps them: a recurring task is its current occurrence. Marking
//! it Completed (any recurring task), or changing its dates (one that does not regenerate),
//! makes a one-off task of that occurrence, which UpdateItem answers with; the recurring task
//! keeps its id and moves to its next occurrence (one occurrence fewer, ChangeCount one more).
//! A regenerating task's next occurrence counts from the day it was completed.

use crate::props::StoredProperties;
use crate::recurrence::{Range, Recurrence, parse_date};
use ews::{Element, Node};
use jiff::ToSpan;
use jiff::civil::Date;
use store::ItemRow;

pub fn is_task(row: &ItemRow) -> bool {
    row.tag == "Task" || row.item_class.starts_with("IPM.Task")
}

fn other<'a>(props: &'a StoredProperties, name: &str) -> Option<&'a Element> {
    props.other.iter().find(|o| o.name == name)
}

fn text(props: &StoredProperties, name: &str) -> Option<String> {
    other(props, name).map(Element::text)
}

fn set_leaf(props: &mut StoredProperties, name: &str, value: &str) {
    let mut e = Element::new("", name);
    e.children.push(Node::Text(value.into()));
    props.set_other(e);
}

fn remove(props: &mut StoredProperties, name: &str) {
    props.other.retain(|o| o.name != name);
}

fn date(props: &StoredProperties, name: &str) -> Option<Date> {
    text(props, name).and_then(|t| parse_date(&t))
}

fn set_date(props: &mut StoredProperties, name: &str, d: Date) {
    set_leaf(props, name, &format!("{d}T00:00:00Z"));
}

/// The recurrence's pattern element (`DailyRecurrence`, `WeeklyRegeneration`, ...).
fn pattern(rec: &Element) -> Option<&Element> {
    rec.elements()
        .find(|e| e.name.ends_with("Recurrence") || e.name.ends_with("Regeneration"))
        .filter(|e| !matches!(e.name.as_str(), "NumberedRecurrence" | "NoEndRecurrence"))
        .filter(|e| e.name != "EndDateRecurrence")
}

fn range_start(rec: &Element) -> Option<String> {
    rec.elements()
        .find(|e| e.name.ends_with("Recurrence") && e.child("StartDate").is_some())
        .and_then(|r| r.child_text("StartDate"))
}

/// A new task: IsRecurring and ChangeCount, and a recurring one's dates from its first
/// occurrence when the client gave none.
pub fn on_create(row: &ItemRow, props: &mut StoredProperties) {
    if !is_task(row) {
        return;
    }
    set_leaf(props, "ChangeCount", "1");
    let Some(rec) = other(props, "Recurrence").cloned() else {
        set_leaf(props, "IsRecurring", "false");
        return;
    };
    set_leaf(props, "IsRecurring", "true");
    let first = Recurrence::parse(&rec)
        .and_then(|r| {
            r.dates(r.start.saturating_add(3700.days()))
                .first()
                .map(|d| d.1)
        })
        .or_else(|| range_start(&rec).and_then(|s| parse_date(&s)));
    if let Some(first) = first {
        for name in ["StartDate", "DueDate"] {
            if other(props, name).is_none() {
                set_date(props, name, first);
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
    let old = other(before, "Recurrence")?.clone();
    let Some(new) = other(props, "Recurrence").cloned() else {
        set_leaf(props, "IsRecurring", "false");
        return None;
    };
    let regenerating = pattern(&old).is_some_and(|p| p.name.ends_with("Regeneration"));
    let status = |p: &StoredProperties| text(p, "Status").unwrap_or_default();
    let completed = status(props) == "Completed" && status(before) != "Completed";
    let moved = !regenerating
        && (date(props, "StartDate") != date(before, "StartDate")
            || date(props, "DueDate") != date(before, "DueDate")
            || range_start(&new) != range_start(&old));
    if !completed && !moved {
        return None;
    }
    let current =
        date(before, "DueDate").or_else(|| range_start(&old).and_then(|s| parse_date(&s)));
    let next = match (regenerating, current) {
        (true, _) => regenerated(&old, today),
        (false, Some(current)) => Recurrence::parse(&old).and_then(|r| next_after(r, current)),
        (false, None) => None,
    };
    let Some(next) = next else {
        remove(props, "Recurrence");
        set_leaf(props, "IsRecurring", "false");
        return None;
    };
    let mut one_off = props.clone();
    remove(&mut one_off, "Recurrence");
    set_leaf(&mut one_off, "IsRecurring", "false");
    set_leaf(&mut one_off, "ChangeCount", "1");
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
fn advance(props: &mut StoredProperties, before: &StoredProperties, mut rec: Element, next: Date) {
    for range in rec.children.iter_mut() {
        if let Node::Element(r) = range
            && r.name == "NumberedRecurrence"
        {
            for c in r.children.iter_mut() {
                if let Node::Element(n) = c
                    && n.name == "NumberOfOccurrences"
                {
                    let left = n
                        .text()
                        .trim()
                        .parse::<u32>()
                        .unwrap_or(1)
                        .saturating_sub(1);
                    n.children = vec![Node::Text(left.max(1).to_string())];
                }
            }
        }
    }
    props.set_other(rec);
    set_date(props, "StartDate", next);
    set_date(props, "DueDate", next);
    set_leaf(props, "Status", "NotStarted");
    set_leaf(props, "PercentComplete", "0");
    remove(props, "CompleteDate");
    let count = text(before, "ChangeCount")
        .and_then(|c| c.trim().parse::<u32>().ok())
        .unwrap_or(1);
    set_leaf(props, "ChangeCount", &(count + 1).to_string());
}

/// A regenerating task's next date: the interval after `today`.
fn regenerated(rec: &Element, today: Date) -> Option<Date> {
    let p = pattern(rec)?;
    let n: i64 = p.child_text("Interval")?.trim().parse().ok()?;
    let span = match p.name.as_str() {
        "DailyRegeneration" => n.days(),
        "WeeklyRegeneration" => n.weeks(),
        "MonthlyRegeneration" => n.months(),
        "YearlyRegeneration" => n.years(),
        _ => return None,
    };
    today.checked_add(span).ok()
}
