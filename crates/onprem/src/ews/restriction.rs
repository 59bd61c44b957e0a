//! EWS restrictions and sort orders in the mailbox's search terms: field URIs to the mailbox's
//! fields, EWS's comparison operators and containment modes to the domain's, and the values
//! spelled as the mailbox keeps them. What the mailbox cannot search is refused here with
//! Exchange's codes.

use super::field_uris;
use ews::{ComparisonOp, PropertyPath};
use mailbox::{CmpOp, Containment, Field, FolderField, MailboxError, Restriction, SortOrder};

/// Item properties kept as the client sent them that cannot be searched: structured or
/// server-made.
/// FindItem's restriction.
pub fn item_restriction(r: &ews::Restriction) -> Result<Restriction, MailboxError> {
    let mut converted = convert(r, &item_field, &|needs, _| {
        Err(MailboxError::UnsupportedQueryFilter(format!(
            "{needs} needs a constant value."
        )))
    })?;
    normalize_constants(&mut converted);
    Ok(converted)
}

/// FindFolder's restriction (display name and folder class). A comparison without a constant
/// matches no folder, as Exchange answers it.
pub fn folder_restriction(r: &ews::Restriction) -> Result<Restriction<FolderField>, MailboxError> {
    convert(r, &folder_field, &|_, _| Ok(Restriction::Or(Vec::new())))
}

/// What FindPeople's restrictions and sort orders can name of a persona.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonaField {
    DisplayName,
    EmailAddress,
}

/// FindPeople's restriction (a persona's display name and addresses).
pub fn persona_restriction(
    r: &ews::Restriction,
) -> Result<Restriction<PersonaField>, MailboxError> {
    convert(r, &persona_field, &|_, _| Ok(Restriction::Or(Vec::new())))
}

pub fn persona_field(path: Option<&PropertyPath>) -> Result<PersonaField, MailboxError> {
    // Clients name a persona's fields as persona:… or as the contact's (contacts:DisplayName).
    match path {
        Some(PropertyPath::Field(uri)) => match uri.split_once(':').map(|(_, n)| n) {
            Some("DisplayName" | "DisplayNameFirstLast" | "DisplayNameLastFirst") => {
                Ok(PersonaField::DisplayName)
            }
            Some("EmailAddress" | "EmailAddresses") => Ok(PersonaField::EmailAddress),
            _ => Err(MailboxError::UnsupportedPathForQuery(uri.clone())),
        },
        Some(_) => Err(MailboxError::UnsupportedPathForQuery(
            "a persona is searched by its display name or e-mail address".into(),
        )),
        None => Err(MailboxError::UnsupportedQueryFilter(
            "The restriction names no persona property.".into(),
        )),
    }
}

/// FindItem's sort order; the body and unknown fields cannot be sorted on.
pub fn sort_orders(orders: &[ews::FieldOrder]) -> Result<Vec<SortOrder>, MailboxError> {
    orders
        .iter()
        .map(|o| {
            let field = match item_field(o.path.as_ref()) {
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

/// What a comparison or containment without a constant becomes (given what needs one).
type NoConstant<'a, F> = dyn Fn(&str, F) -> Result<Restriction<F>, MailboxError> + 'a;

fn convert<F>(
    r: &ews::Restriction,
    field: &dyn Fn(Option<&PropertyPath>) -> Result<F, MailboxError>,
    no_constant: &NoConstant<'_, F>,
) -> Result<Restriction<F>, MailboxError> {
    let all = |list: &[ews::Restriction]| -> Result<Vec<Restriction<F>>, MailboxError> {
        list.iter()
            .map(|x| convert(x, field, no_constant))
            .collect()
    };
    Ok(match r {
        ews::Restriction::Compare { op, path, constant } => {
            let f = field(path.as_ref())?;
            match constant {
                Some(value) => Restriction::Compare(f, cmp_op(*op), value.clone()),
                None => no_constant("A comparison", f)?,
            }
        }
        ews::Restriction::Contains {
            path,
            mode,
            comparison,
            constant,
        } => {
            let f = field(path.as_ref())?;
            let Some(value) = constant.clone() else {
                return no_constant("Contains", f);
            };
            Restriction::Contains {
                field: f,
                mode: containment(mode),
                ignore_case: comparison.contains("IgnoreCase") || comparison == "Loose",
                value,
            }
        }
        ews::Restriction::Exists(path) => Restriction::Exists(field(path.as_ref())?),
        ews::Restriction::And(list) => Restriction::And(all(list)?),
        ews::Restriction::Or(list) => Restriction::Or(all(list)?),
        ews::Restriction::Not(inner) => {
            let inner = inner.as_deref().ok_or_else(|| {
                MailboxError::UnsupportedQueryFilter("Not needs a restriction.".into())
            })?;
            Restriction::Not(Box::new(convert(inner, field, no_constant)?))
        }
        ews::Restriction::Unsupported(name) => {
            return Err(MailboxError::UnsupportedQueryFilter(format!(
                "The restriction '{name}' is not supported."
            )));
        }
    })
}

fn cmp_op(op: ComparisonOp) -> CmpOp {
    match op {
        ComparisonOp::IsEqualTo => CmpOp::Eq,
        ComparisonOp::IsNotEqualTo => CmpOp::Ne,
        ComparisonOp::IsGreaterThan => CmpOp::Gt,
        ComparisonOp::IsGreaterThanOrEqualTo => CmpOp::Ge,
        ComparisonOp::IsLessThan => CmpOp::Lt,
        ComparisonOp::IsLessThanOrEqualTo => CmpOp::Le,
    }
}

fn containment(mode: &str) -> Containment {
    match mode {
        "FullString" => Containment::FullString,
        "Prefixed" => Containment::Prefixed,
        "PrefixOnWords" => Containment::PrefixOnWords,
        "ExactPhrase" => Containment::ExactPhrase,
        _ => Containment::Substring,
    }
}

/// The mailbox field a field URI, an indexed field or an extended property names.
fn item_field(path: Option<&PropertyPath>) -> Result<Field, MailboxError> {
    match path {
        Some(PropertyPath::Extended(e)) => Ok(Field::Extended {
            key: e.key(),
            numeric: e.is_numeric(),
        }),
        Some(path @ (PropertyPath::Field(uri) | PropertyPath::Indexed { uri, .. })) => {
            field_uris::search_field(&field_uris::target(path))
                .ok_or_else(|| MailboxError::UnsupportedPathForQuery(uri.clone()))
        }
        None => Err(MailboxError::UnsupportedQueryFilter(
            "The restriction names no property.".into(),
        )),
    }
}

fn folder_field(path: Option<&PropertyPath>) -> Result<FolderField, MailboxError> {
    match path.and_then(|p| p.element_name()) {
        Some("DisplayName") => Ok(FolderField::DisplayName),
        Some("FolderClass") => Ok(FolderField::FolderClass),
        Some(other) => Err(MailboxError::UnsupportedPathForQuery(format!(
            "folder:{other}"
        ))),
        None => Err(MailboxError::UnsupportedQueryFilter(
            "The restriction names no folder property.".into(),
        )),
    }
}

/// Constants spelled as the mailbox keeps the values they are compared with: a kept boolean
/// as `true`/`false` whatever the client wrote, a calendar item's times in UTC.
fn normalize_constants(r: &mut Restriction) {
    match r {
        Restriction::Compare(Field::Extended { key, .. }, _, value) => {
            let boolean = key
                .strip_prefix(mailbox::FIELD_KEY_PREFIX)
                .is_some_and(ews::is_boolean_element);
            if boolean && let Some(b) = ews::parse_bool(value) {
                *value = b.to_string();
            }
            if mailbox::calendar::is_time_key(key)
                && let Some(ms) = mailbox::parse_time_ms(value)
            {
                *value = mailbox::format_time(ms);
            }
        }
        Restriction::And(list) | Restriction::Or(list) => {
            list.iter_mut().for_each(normalize_constants)
        }
        Restriction::Not(inner) => normalize_constants(inner),
        _ => {}
    }
}
