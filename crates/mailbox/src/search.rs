//! FindItem's search in the domain's terms: restrictions over item fields and extended
//! properties, sort orders, their meaning as a reference evaluation over one item, and their
//! translation to the store's SQL filter (with what SQL cannot say left to a bounded scan).

use crate::instants::parse_time_ms;
use crate::props::StoredProperties;
use store::{CmpOp, Column, ItemFilter, ItemRow, OrderKey, SqlValue, ValueTest, text_key};

/// A searchable field (EWS FieldURI), or an extended property by identity.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Subject,
    ItemClass,
    DateTimeReceived,
    DateTimeCreated,
    LastModifiedTime,
    IsRead,
    IsDraft,
    Size,
    /// The body's text: searched by scanning (the store indexes no bodies).
    Body,
    /// An extended property: its key, and whether its type is numeric.
    Extended {
        key: String,
        numeric: bool,
    },
}

impl Field {
    fn column(&self) -> Option<Column> {
        Some(match self {
            Field::Subject => Column::SubjectKey,
            Field::ItemClass => Column::ClassKey,
            Field::DateTimeReceived => Column::Received,
            Field::DateTimeCreated => Column::Created,
            Field::LastModifiedTime => Column::Modified,
            Field::IsRead => Column::IsRead,
            Field::IsDraft => Column::IsDraft,
            Field::Size => Column::Size,
            Field::Body | Field::Extended { .. } => return None,
        })
    }

    fn is_text(&self) -> bool {
        matches!(self, Field::Subject | Field::ItemClass)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containment {
    FullString,
    Prefixed,
    Substring,
    PrefixOnWords,
    ExactPhrase,
}

/// A restriction, in the domain's terms: over an item's fields ([`Field`]) for FindItem, or a
/// folder's ([`FolderField`]) for FindFolder. An empty `Or` matches nothing, an empty `And`
/// everything.
#[derive(Debug, Clone, PartialEq)]
pub enum Restriction<F = Field> {
    Compare(F, CmpOp, String),
    Contains {
        field: F,
        mode: Containment,
        ignore_case: bool,
        value: String,
    },
    Exists(F),
    And(Vec<Restriction<F>>),
    Or(Vec<Restriction<F>>),
    Not(Box<Restriction<F>>),
}

impl<F> Restriction<F> {
    /// Evaluates the restriction over text values (`value` gives a field's, None when it has
    /// none), comparing case-insensitively as Exchange does for strings.
    pub fn matches_text(&self, value: &dyn Fn(&F) -> Option<String>) -> bool {
        match self {
            Restriction::Compare(field, op, c) => {
                let Some(v) = value(field) else {
                    return false;
                };
                let (v, c) = (text_key(&v), text_key(c));
                match op {
                    CmpOp::Eq => v == c,
                    CmpOp::Ne => v != c,
                    CmpOp::Gt => v > c,
                    CmpOp::Ge => v >= c,
                    CmpOp::Lt => v < c,
                    CmpOp::Le => v <= c,
                }
            }
            Restriction::Contains {
                field,
                mode,
                ignore_case,
                value: c,
            } => {
                let Some(v) = value(field) else {
                    return false;
                };
                let (v, c) = if *ignore_case {
                    (text_key(&v), text_key(c))
                } else {
                    (v, c.clone())
                };
                match mode {
                    Containment::FullString => v == c,
                    Containment::Prefixed => v.starts_with(&c),
                    Containment::PrefixOnWords => v.split_whitespace().any(|w| w.starts_with(&c)),
                    Containment::Substring | Containment::ExactPhrase => v.contains(&c),
                }
            }
            Restriction::Exists(field) => value(field).is_some(),
            Restriction::And(all) => all.iter().all(|x| x.matches_text(value)),
            Restriction::Or(any) => any.iter().any(|x| x.matches_text(value)),
            Restriction::Not(inner) => !inner.matches_text(value),
        }
    }
}

/// Whether a property is searched by scanning only (recipients: see `is_address_list`).
fn is_scanned(key: &str) -> bool {
    key.strip_prefix(crate::props::FIELD_KEY_PREFIX)
        .is_some_and(crate::props::is_address_list)
}

/// What a folder restriction can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderField {
    DisplayName,
    FolderClass,
}

fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A flag as the domain keeps it (`true`/`false`), or as a client wrote it (`1`/`0`).
fn parse_flag(text: &str) -> Option<i64> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "on" => Some(1),
        "false" | "0" | "off" => Some(0),
        _ => None,
    }
}

/// A comparable value of one of an item's fields.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Value {
    Text(String),
    Number(i64),
}

fn number_field(item: &ItemRow, f: &Field) -> Option<i64> {
    Some(match f {
        Field::DateTimeReceived => item.received_ms,
        Field::DateTimeCreated => item.created_ms,
        Field::LastModifiedTime => item.modified_ms,
        Field::IsRead => i64::from(item.is_read),
        Field::IsDraft => i64::from(item.is_draft),
        Field::Size => item.size,
        _ => return None,
    })
}

fn number_constant(f: &Field, text: &str) -> Option<i64> {
    match f {
        Field::DateTimeReceived | Field::DateTimeCreated | Field::LastModifiedTime => {
            parse_time_ms(text)
        }
        Field::IsRead | Field::IsDraft => parse_flag(text),
        Field::Size => text.trim().parse().ok(),
        _ => None,
    }
}

fn sort_value(item: &ItemRow, f: &Field) -> Value {
    match f {
        Field::Subject => Value::Text(text_key(&item.subject)),
        Field::ItemClass => Value::Text(text_key(&item.item_class)),
        other => Value::Number(number_field(item, other).unwrap_or(0)),
    }
}

fn compare<T: PartialOrd>(a: &T, op: CmpOp, b: &T) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
    }
}

fn contains(text: &str, mode: Containment, value: &str) -> bool {
    match mode {
        Containment::FullString => text == value,
        Containment::Prefixed => text.starts_with(value),
        Containment::Substring | Containment::ExactPhrase => text.contains(value),
        Containment::PrefixOnWords => text.split_whitespace().any(|w| w.starts_with(value)),
    }
}

/// An item with its extended-property values, for the reference evaluation.
pub struct Candidate<'a> {
    pub row: &'a ItemRow,
    pub props: &'a StoredProperties,
}

impl Candidate<'_> {
    fn values(&self, key: &str) -> impl Iterator<Item = String> {
        self.props.values_of(key).into_iter()
    }
}

impl Restriction {
    /// Whether the item matches: the meaning the SQL translation must keep. Text comparisons
    /// ignore case, as Exchange's do; a test of an extended property the item lacks is false.
    pub fn matches(&self, c: &Candidate) -> bool {
        let item = c.row;
        match self {
            Restriction::Compare(Field::Body, op, k) => c
                .props
                .body
                .as_ref()
                .is_some_and(|b| compare(&text_key(&b.text), *op, &text_key(k))),
            Restriction::Compare(Field::Extended { key, numeric }, op, k) => {
                if *numeric {
                    let Some(k) = parse_number(k) else {
                        return false;
                    };
                    c.values(key)
                        .any(|v| parse_number(&v).is_some_and(|v| compare(&v, *op, &k)))
                } else {
                    let k = text_key(k);
                    c.values(key).any(|v| compare(&text_key(&v), *op, &k))
                }
            }
            Restriction::Compare(f, op, k) if f.is_text() => {
                let Value::Text(v) = sort_value(item, f) else {
                    return false;
                };
                compare(&v, *op, &text_key(k))
            }
            Restriction::Compare(f, op, k) => {
                match (number_field(item, f), number_constant(f, k)) {
                    (Some(v), Some(k)) => compare(&v, *op, &k),
                    _ => false,
                }
            }
            Restriction::Contains {
                field,
                mode,
                ignore_case,
                value,
            } => {
                let test = |text: &str| {
                    if *ignore_case {
                        contains(&text_key(text), *mode, &text_key(value))
                    } else {
                        contains(text, *mode, value)
                    }
                };
                match field {
                    Field::Subject => test(&item.subject),
                    Field::ItemClass => test(&item.item_class),
                    Field::Body => c.props.body.as_ref().is_some_and(|b| test(&b.text)),
                    Field::Extended { key, .. } => c.values(key).any(|v| test(&v)),
                    _ => false,
                }
            }
            Restriction::Exists(Field::Body) => c.props.body.as_ref().is_some(),
            Restriction::Exists(Field::Extended { key, .. }) => c.values(key).next().is_some(),
            Restriction::Exists(Field::Subject) => !item.subject.is_empty(),
            Restriction::Exists(Field::ItemClass) => !item.item_class.is_empty(),
            Restriction::Exists(_) => true,
            Restriction::And(all) => all.iter().all(|r| r.matches(c)),
            Restriction::Or(any) => any.iter().any(|r| r.matches(c)),
            Restriction::Not(r) => !r.matches(c),
        }
    }

    /// The SQL filter; None where SQL cannot say it exactly (the caller then scans with
    /// [`Restriction::matches`] over what the rest of the filter selects).
    pub fn to_filter(&self) -> Option<ItemFilter> {
        Some(match self {
            Restriction::Compare(Field::Body, ..)
            | Restriction::Exists(Field::Body)
            | Restriction::Contains {
                field: Field::Body, ..
            } => return None,
            Restriction::Compare(Field::Extended { key, .. }, ..)
            | Restriction::Contains {
                field: Field::Extended { key, .. },
                ..
            } if is_scanned(key) => return None,
            Restriction::Compare(Field::Extended { key, numeric }, op, k) => {
                let test = if *numeric {
                    match parse_number(k) {
                        Some(n) => ValueTest::Number(*op, n),
                        None => return Some(ItemFilter::False),
                    }
                } else {
                    ValueTest::Text(*op, text_key(k))
                };
                ItemFilter::Value {
                    key: key.clone(),
                    test,
                }
            }
            Restriction::Compare(f, op, k) if f.is_text() => {
                ItemFilter::Cmp(f.column()?, *op, SqlValue::Text(text_key(k)))
            }
            Restriction::Compare(f, op, k) => match number_constant(f, k) {
                Some(n) => ItemFilter::Cmp(f.column()?, *op, SqlValue::Int(n)),
                None => ItemFilter::False,
            },
            Restriction::Contains {
                field,
                mode,
                ignore_case,
                value,
            } => {
                let v = if *ignore_case {
                    text_key(value)
                } else {
                    value.clone()
                };
                match field {
                    Field::Subject | Field::ItemClass => {
                        let col = match (field, ignore_case) {
                            (Field::Subject, true) => Column::SubjectKey,
                            (Field::Subject, false) => Column::Subject,
                            (_, true) => Column::ClassKey,
                            (_, false) => Column::ItemClass,
                        };
                        match mode {
                            Containment::FullString => {
                                ItemFilter::Cmp(col, CmpOp::Eq, SqlValue::Text(v))
                            }
                            Containment::Prefixed => ItemFilter::StartsWith(col, v),
                            Containment::Substring | Containment::ExactPhrase => {
                                ItemFilter::Contains(col, v)
                            }
                            Containment::PrefixOnWords => return None,
                        }
                    }
                    Field::Extended { key, .. } => {
                        let exact = !ignore_case;
                        let test = match mode {
                            Containment::Prefixed => ValueTest::StartsWith { prefix: v, exact },
                            Containment::Substring | Containment::ExactPhrase => {
                                ValueTest::Contains { needle: v, exact }
                            }
                            Containment::FullString if *ignore_case => {
                                ValueTest::Text(CmpOp::Eq, v)
                            }
                            _ => return None,
                        };
                        ItemFilter::Value {
                            key: key.clone(),
                            test,
                        }
                    }
                    _ => ItemFilter::False,
                }
            }
            Restriction::Exists(Field::Extended { key, .. }) => ItemFilter::Value {
                key: key.clone(),
                test: ValueTest::Present,
            },
            Restriction::Exists(Field::Subject) => {
                ItemFilter::Cmp(Column::Subject, CmpOp::Ne, SqlValue::Text(String::new()))
            }
            Restriction::Exists(Field::ItemClass) => {
                ItemFilter::Cmp(Column::ItemClass, CmpOp::Ne, SqlValue::Text(String::new()))
            }
            Restriction::Exists(_) => ItemFilter::True,
            Restriction::And(all) => ItemFilter::And(
                all.iter()
                    .map(Restriction::to_filter)
                    .collect::<Option<_>>()?,
            ),
            Restriction::Or(any) => ItemFilter::Or(
                any.iter()
                    .map(Restriction::to_filter)
                    .collect::<Option<_>>()?,
            ),
            Restriction::Not(r) => ItemFilter::Not(Box::new(r.to_filter()?)),
        })
    }

    /// A filter that every match passes (exact where [`Restriction::to_filter`] is).
    pub fn to_superset_filter(&self) -> ItemFilter {
        if let Some(f) = self.to_filter() {
            return f;
        }
        match self {
            Restriction::And(all) => {
                ItemFilter::And(all.iter().map(Restriction::to_superset_filter).collect())
            }
            _ => ItemFilter::True,
        }
    }
}

/// A sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortOrder {
    pub field: Field,
    pub descending: bool,
}

impl SortOrder {
    pub(crate) fn key(&self) -> OrderKey {
        let by = match (&self.field, self.field.column()) {
            (Field::Extended { key, numeric }, _) => store::SortBy::Value {
                key: key.clone(),
                numeric: *numeric,
            },
            (_, Some(c)) => store::SortBy::Column(c),
            (_, None) => store::SortBy::Column(Column::Received),
        };
        OrderKey {
            by,
            descending: self.descending,
        }
    }
}

/// The reference order of two items under `order` (ties by id, in the last key's direction;
/// newest first when there is no key): what the SQL ORDER BY must agree with.
pub fn reference_order(a: &ItemRow, b: &ItemRow, order: &[SortOrder]) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let default = [SortOrder {
        field: Field::DateTimeReceived,
        descending: true,
    }];
    let order = if order.is_empty() {
        &default[..]
    } else {
        order
    };
    for o in order {
        let ord = sort_value(a, &o.field)
            .partial_cmp(&sort_value(b, &o.field))
            .unwrap_or(Ordering::Equal);
        let ord = if o.descending { ord.reverse() } else { ord };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    let ord = a.id.cmp(&b.id);
    if order.last().is_some_and(|o| o.descending) {
        ord.reverse()
    } else {
        ord
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instants::format_time;

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
        assert_eq!(
            parse_time_ms("2026-11-25T06:32:37"),
            Some(1_795_588_357_000)
        );
        assert_eq!(parse_time_ms("garbage"), None);
        assert_eq!(format_time(1_795_588_357_157), "2026-11-25T06:32:37Z");
    }

    #[test]
    fn prefix_on_words_is_left_to_the_scan() {
        let r = Restriction::And(vec![
            Restriction::Compare(Field::ItemClass, CmpOp::Eq, "IPM.Note".into()),
            Restriction::Contains {
                field: Field::Subject,
                mode: Containment::PrefixOnWords,
                ignore_case: true,
                value: "lun".into(),
            },
        ]);
        assert!(r.to_filter().is_none());
        assert_eq!(
            r.to_superset_filter(),
            ItemFilter::And(vec![
                ItemFilter::Cmp(
                    Column::ClassKey,
                    CmpOp::Eq,
                    SqlValue::Text("ipm.note".into())
                ),
                ItemFilter::True
            ])
        );
    }
}
