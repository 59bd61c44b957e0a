//! FindItem's search in the domain's terms: restrictions over item fields and extended
//! properties, sort orders, their meaning as a reference evaluation over one item, and their
//! translation to the store's SQL filter (with what SQL cannot say left to a bounded scan).

use crate::MailboxError;
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
    /// From an EWS FieldURI such as `item:Subject`.
    pub fn from_uri(uri: &str) -> Option<Field> {
        Some(match uri {
            "item:Subject" => Field::Subject,
            "item:ItemClass" => Field::ItemClass,
            "item:DateTimeReceived" => Field::DateTimeReceived,
            "item:DateTimeCreated" => Field::DateTimeCreated,
            "item:LastModifiedTime" => Field::LastModifiedTime,
            "message:IsRead" => Field::IsRead,
            "item:IsDraft" => Field::IsDraft,
            "item:Size" => Field::Size,
            "item:Body" => Field::Body,
            "item:Categories" => Field::Extended {
                key: crate::props::CATEGORIES_KEY.into(),
                numeric: false,
            },
            _ => return None,
        })
    }

    fn from_path(path: Option<&ews::PropertyPath>) -> Result<Field, MailboxError> {
        match path {
            Some(ews::PropertyPath::Extended(e)) => Ok(Field::Extended {
                key: e.key(),
                numeric: e.is_numeric(),
            }),
            Some(ews::PropertyPath::Field(uri)) => Field::from_uri(uri)
                .or_else(|| kept_field(uri))
                .ok_or_else(|| MailboxError::UnsupportedPathForQuery(uri.clone())),
            Some(ews::PropertyPath::Indexed { uri, index }) => Ok(Field::Extended {
                key: crate::props::indexed_key(uri, index),
                numeric: false,
            }),
            None => Err(MailboxError::UnsupportedQueryFilter(
                "The restriction names no property.".into(),
            )),
        }
    }

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

/// A restriction, in the domain's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum Restriction {
    Compare(Field, CmpOp, String),
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

impl Restriction {
    /// From the wire form; what this server cannot evaluate is refused with Exchange's code.
    pub fn from_ews(r: &ews::Restriction) -> Result<Restriction, MailboxError> {
        use ews::ComparisonOp as W;
        Ok(match r {
            ews::Restriction::Compare { op, path, constant } => {
                let field = Field::from_path(path.as_ref())?;
                let value = constant.clone().ok_or_else(|| {
                    MailboxError::UnsupportedQueryFilter(
                        "A comparison needs a constant value.".into(),
                    )
                })?;
                let op = match op {
                    W::IsEqualTo => CmpOp::Eq,
                    W::IsNotEqualTo => CmpOp::Ne,
                    W::IsGreaterThan => CmpOp::Gt,
                    W::IsGreaterThanOrEqualTo => CmpOp::Ge,
                    W::IsLessThan => CmpOp::Lt,
                    W::IsLessThanOrEqualTo => CmpOp::Le,
                };
                // A kept boolean is stored as `true`/`false`, whatever the client wrote.
                let value = match (&field, ews::parse_bool(&value)) {
                    (Field::Extended { key, .. }, Some(b))
                        if key
                            .strip_prefix(crate::props::FIELD_KEY_PREFIX)
                            .is_some_and(ews::is_boolean_element) =>
                    {
                        b.to_string()
                    }
                    _ => value,
                };
                // A calendar item's times are kept in UTC; compare them in UTC too.
                let value = match &field {
                    Field::Extended { key, .. } if crate::calendar::is_time_key(key) => {
                        parse_time_ms(&value).map(format_time).unwrap_or(value)
                    }
                    _ => value,
                };
                Restriction::Compare(field, op, value)
            }
            ews::Restriction::Contains {
                path,
                mode,
                comparison,
                constant,
            } => Restriction::Contains {
                field: Field::from_path(path.as_ref())?,
                mode: match mode.as_str() {
                    "FullString" => Containment::FullString,
                    "Prefixed" => Containment::Prefixed,
                    "PrefixOnWords" => Containment::PrefixOnWords,
                    "ExactPhrase" => Containment::ExactPhrase,
                    _ => Containment::Substring,
                },
                ignore_case: comparison.contains("IgnoreCase") || comparison == "Loose",
                value: constant.clone().ok_or_else(|| {
                    MailboxError::UnsupportedQueryFilter("Contains needs a constant value.".into())
                })?,
            },
            ews::Restriction::Exists(path) => Restriction::Exists(Field::from_path(path.as_ref())?),
            ews::Restriction::And(all) => Restriction::And(
                all.iter()
                    .map(Restriction::from_ews)
                    .collect::<Result<_, _>>()?,
            ),
            ews::Restriction::Or(all) => Restriction::Or(
                all.iter()
                    .map(Restriction::from_ews)
                    .collect::<Result<_, _>>()?,
            ),
            ews::Restriction::Not(inner) => Restriction::Not(Box::new(Restriction::from_ews(
                inner.as_deref().ok_or_else(|| {
                    MailboxError::UnsupportedQueryFilter("Not needs a restriction.".into())
                })?,
            )?)),
            ews::Restriction::Unsupported(name) => {
                return Err(MailboxError::UnsupportedQueryFilter(format!(
                    "The restriction '{name}' is not supported."
                )));
            }
        })
    }
}

/// Properties an item keeps as given, and so cannot be searched: structured or server-made.
const NOT_SEARCHABLE: &[&str] = &[
    "Body",
    "MimeContent",
    "Attachments",
    "ItemId",
    "ParentFolderId",
];

/// A property kept as given (`item:Importance`, `contacts:GivenName`, …): searched in the value
/// index as text, case ignored.
fn kept_field(uri: &str) -> Option<Field> {
    let (_, name) = uri.split_once(':')?;
    if name.is_empty() || NOT_SEARCHABLE.contains(&name) {
        return None;
    }
    Some(Field::Extended {
        key: crate::props::field_key(name),
        numeric: false,
    })
}

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

fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_flag(text: &str) -> Option<i64> {
    ews::parse_bool(text).map(i64::from)
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
    pub fn from_ews(orders: &[ews::FieldOrder]) -> Result<Vec<SortOrder>, MailboxError> {
        orders
            .iter()
            .map(|o| {
                let field = match Field::from_path(o.path.as_ref()) {
                    Ok(Field::Body) => {
                        return Err(MailboxError::UnsupportedPathForSort("item:Body".into()));
                    }
                    Ok(f) => f,
                    Err(MailboxError::UnsupportedPathForQuery(p)) => {
                        return Err(MailboxError::UnsupportedPathForSort(p));
                    }
                    Err(e) => return Err(e),
                };
                Ok(SortOrder {
                    field,
                    descending: o.descending,
                })
            })
            .collect()
    }

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
