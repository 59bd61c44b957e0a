//! FindItem's search: restrictions over the fields that matter, sort order, and paging.

use store::ItemRow;

/// A searchable field (EWS FieldURI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Subject,
    ItemClass,
    DateTimeReceived,
    DateTimeCreated,
    LastModifiedTime,
    IsRead,
    Size,
    /// An extended property, by its normalised key (see the items' `extv` map).
    Extended(String),
}

impl Field {
    /// From an EWS FieldURI such as `item:Subject`.
    pub fn from_uri(uri: &str) -> Option<Field> {
        Some(match uri {
            "item:Subject" => Field::Subject,
            "item:ItemClass" => Field::ItemClass,
            "item:DateTimeReceived" => Field::DateTimeReceived,
            "item:DateTimeCreated" => Field::DateTimeCreated,
            "item:LastModifiedTime" => Field::LastModifiedTime,
            "message:IsRead" => Field::IsRead,
            "item:Size" => Field::Size,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containment {
    FullString,
    Prefixed,
    Substring,
    PrefixOnWords,
    ExactPhrase,
}

/// A restriction (the subset of EWS's that FindItem evaluates).
#[derive(Debug, Clone, PartialEq)]
pub enum Restriction {
    Compare(Field, Comparison, String),
    Contains {
        field: Field,
        mode: Containment,
        ignore_case: bool,
        value: String,
    },
    Exists(Field),
    And(Vec<Restriction>),
    Or(Vec<Restriction>),
    Not(Box<Restriction>),
}

/// A comparable value of an item's field.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Value {
    Text(String),
    Number(i64),
}

/// Parses an EWS date-time (`2026-11-25T06:32:37.157259Z`, with or without fraction or offset) to ms.
pub fn parse_time_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    let (date, rest) = t.split_once('T')?;
    let mut dp = date.split('-');
    let (y, m, d): (i64, i64, i64) = (
        dp.next()?.parse().ok()?,
        dp.next()?.parse().ok()?,
        dp.next()?.parse().ok()?,
    );
    let (clock, offset_min) = if let Some(c) = rest.strip_suffix('Z') {
        (c, 0)
    } else if let Some(i) = rest.rfind(['+', '-']).filter(|i| *i > 5) {
        let (c, off) = rest.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':')?;
        (
            c,
            sign * (oh.parse::<i64>().ok()? * 60 + om.parse::<i64>().ok()?),
        )
    } else {
        (rest, 0)
    };
    let mut cp = clock.split(':');
    let (hh, mm): (i64, i64) = (cp.next()?.parse().ok()?, cp.next()?.parse().ok()?);
    let sec_text = cp.next().unwrap_or("0");
    let (s, frac) = sec_text.split_once('.').unwrap_or((sec_text, ""));
    let s: i64 = s.parse().ok()?;
    let ms: i64 = format!("{:0<3}", &frac[..frac.len().min(3)])
        .parse()
        .unwrap_or(0);
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y2, m2) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = if y2 >= 0 { y2 } else { y2 - 399 } / 400;
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hh * 3600 + mm * 60 + s) - offset_min * 60) * 1000 + ms)
}

/// An extended property's value text, from the item's `extv` map.
fn extended_value(item: &ItemRow, key: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(&item.props).ok()?;
    v.get("extv")?.get(key)?.as_str().map(str::to_string)
}

fn value_of(item: &ItemRow, f: &Field) -> Value {
    match f {
        Field::Extended(k) => Value::Text(extended_value(item, k).unwrap_or_default()),
        Field::Subject => Value::Text(item.subject.clone()),
        Field::ItemClass => Value::Text(item.item_class.clone()),
        Field::DateTimeReceived => Value::Number(item.received_ms),
        Field::DateTimeCreated => Value::Number(item.created_ms),
        Field::LastModifiedTime => Value::Number(item.modified_ms),
        Field::IsRead => Value::Number(i64::from(item.is_read)),
        Field::Size => Value::Number(item.size),
    }
}

fn constant(f: &Field, text: &str) -> Option<Value> {
    match f {
        Field::Subject | Field::ItemClass | Field::Extended(_) => {
            Some(Value::Text(text.to_string()))
        }
        Field::DateTimeReceived | Field::DateTimeCreated | Field::LastModifiedTime => {
            parse_time_ms(text).map(Value::Number)
        }
        Field::IsRead => match text.to_ascii_lowercase().as_str() {
            "true" | "1" => Some(Value::Number(1)),
            "false" | "0" => Some(Value::Number(0)),
            _ => None,
        },
        Field::Size => text.parse().ok().map(Value::Number),
    }
}

impl Restriction {
    /// Whether `item` matches. Text comparisons ignore case, as Exchange's do.
    pub fn matches(&self, item: &ItemRow) -> bool {
        match self {
            Restriction::Compare(f, op, c) => {
                let (Some(c), v) = (constant(f, c), value_of(item, f)) else {
                    return false;
                };
                let (v, c) = match (v, c) {
                    (Value::Text(a), Value::Text(b)) => {
                        (Value::Text(a.to_lowercase()), Value::Text(b.to_lowercase()))
                    }
                    other => other,
                };
                match op {
                    Comparison::Equal => v == c,
                    Comparison::NotEqual => v != c,
                    Comparison::Greater => v > c,
                    Comparison::GreaterOrEqual => v >= c,
                    Comparison::Less => v < c,
                    Comparison::LessOrEqual => v <= c,
                }
            }
            Restriction::Contains {
                field,
                mode,
                ignore_case,
                value,
            } => {
                let Value::Text(text) = value_of(item, field) else {
                    return false;
                };
                let (t, v) = if *ignore_case {
                    (text.to_lowercase(), value.to_lowercase())
                } else {
                    (text, value.clone())
                };
                match mode {
                    Containment::FullString => t == v,
                    Containment::Prefixed => t.starts_with(&v),
                    Containment::Substring | Containment::ExactPhrase => t.contains(&v),
                    Containment::PrefixOnWords => t.split_whitespace().any(|w| w.starts_with(&v)),
                }
            }
            Restriction::Exists(Field::Extended(k)) => extended_value(item, k).is_some(),
            Restriction::Exists(f) => match value_of(item, f) {
                Value::Text(t) => !t.is_empty(),
                Value::Number(_) => true,
            },
            Restriction::And(all) => all.iter().all(|r| r.matches(item)),
            Restriction::Or(any) => any.iter().any(|r| r.matches(item)),
            Restriction::Not(r) => !r.matches(item),
        }
    }
}

/// A sort key: the field and whether it descends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortOrder {
    pub field: Field,
    pub descending: bool,
}

/// Sorts and pages: the items in `[offset, offset + max)`, and whether the last was reached.
pub fn page(
    mut items: Vec<ItemRow>,
    order: &[SortOrder],
    offset: usize,
    max: usize,
) -> (Vec<ItemRow>, usize, bool) {
    if !order.is_empty() {
        items.sort_by(|a, b| {
            for o in order {
                let (va, vb) = (value_of(a, &o.field), value_of(b, &o.field));
                let ord = va.partial_cmp(&vb).unwrap_or(std::cmp::Ordering::Equal);
                let ord = if o.descending { ord.reverse() } else { ord };
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            a.id.cmp(&b.id)
        });
    }
    let total = items.len();
    let end = offset.saturating_add(max).min(total);
    let start = offset.min(total);
    let slice = items.drain(start..end).collect();
    (slice, total, end >= total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(subject: &str, class: &str, received_ms: i64) -> ItemRow {
        ItemRow {
            id: subject.into(),
            mailbox: "m".into(),
            folder_id: "f".into(),
            tag: "Message".into(),
            item_class: class.into(),
            subject: subject.into(),
            props: "{}".into(),
            created_ms: received_ms,
            received_ms,
            modified_ms: received_ms,
            size: 10,
            is_read: false,
            is_draft: false,
            immutable: false,
            version: 1,
        }
    }

    #[test]
    fn times() {
        assert_eq!(parse_time_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_time_ms("2026-11-25T06:32:37.157259Z"),
            Some(1_795_588_357_157)
        );
        assert_eq!(
            parse_time_ms("2026-11-25T07:32:37+01:00"),
            Some(1_795_588_357_000)
        );
        assert_eq!(parse_time_ms("garbage"), None);
    }

    #[test]
    fn restrictions_sort_and_pages() {
        let items = vec![
            item("Chat with Bob", "IPM.Note.Microsoft.Conversation", 3000),
            item("hello", "IPM.Note", 1000),
            item("Chat 2", "IPM.Note", 2000),
        ];
        let chat = Restriction::Contains {
            field: Field::Subject,
            mode: Containment::Prefixed,
            ignore_case: true,
            value: "chat".into(),
        };
        assert_eq!(items.iter().filter(|i| chat.matches(i)).count(), 2);
        let conv = Restriction::Compare(
            Field::ItemClass,
            Comparison::Equal,
            "ipm.note.microsoft.conversation".into(),
        );
        assert_eq!(items.iter().filter(|i| conv.matches(i)).count(), 1);
        let not = Restriction::Not(Box::new(conv.clone()));
        assert_eq!(
            items
                .iter()
                .filter(|i| Restriction::And(vec![chat.clone(), not.clone()]).matches(i))
                .count(),
            1
        );
        let after = Restriction::Compare(
            Field::DateTimeReceived,
            Comparison::GreaterOrEqual,
            "1970-01-01T00:00:02Z".into(),
        );
        assert_eq!(items.iter().filter(|i| after.matches(i)).count(), 2);
        let exact = Restriction::Contains {
            field: Field::Subject,
            mode: Containment::Substring,
            ignore_case: false,
            value: "chat".into(),
        };
        assert_eq!(items.iter().filter(|i| exact.matches(i)).count(), 0);
        let (p, total, last) = page(
            items.clone(),
            &[SortOrder {
                field: Field::DateTimeReceived,
                descending: true,
            }],
            1,
            1,
        );
        assert_eq!((p[0].subject.as_str(), total, last), ("Chat 2", 3, false));
        let (p, _, last) = page(items, &[], 2, 10);
        assert_eq!((p.len(), last), (1, true));
    }
}
