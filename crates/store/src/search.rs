//! Item search in SQL: a filter over the indexed columns and the extended-property value index,
//! compiled to one WHERE clause with bound parameters for either backend.

use crate::Backend;

/// An indexed column of `mailbox_items`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Subject,
    /// The subject in lowercase ([`text_key`]): what case-insensitive tests compare.
    SubjectKey,
    ItemClass,
    ClassKey,
    Received,
    Created,
    Modified,
    Size,
    IsRead,
    IsDraft,
}

impl Column {
    fn sql(self) -> &'static str {
        match self {
            Column::Subject => "subject",
            Column::SubjectKey => "subject_key",
            Column::ItemClass => "item_class",
            Column::ClassKey => "class_key",
            Column::Received => "received_ms",
            Column::Created => "created_ms",
            Column::Modified => "modified_ms",
            Column::Size => "size",
            Column::IsRead => "is_read",
            Column::IsDraft => "is_draft",
        }
    }
}

/// The case-insensitive form of a text, as stored beside it and compared.
pub fn text_key(text: &str) -> String {
    text.to_lowercase()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Text(String),
    Int(i64),
    Real(f64),
}

/// A test on one value of an extended property.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueTest {
    /// The property is there at all.
    Present,
    /// Compared case-insensitively (against [`text_key`] of the value).
    Text(CmpOp, String),
    Number(CmpOp, f64),
    /// Contains `needle`; `exact` compares the value as written, else its key.
    Contains {
        needle: String,
        exact: bool,
    },
    StartsWith {
        prefix: String,
        exact: bool,
    },
}

/// What items must satisfy. Every form here runs in SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemFilter {
    True,
    False,
    Cmp(Column, CmpOp, SqlValue),
    Contains(Column, String),
    StartsWith(Column, String),
    /// Some value of the extended property `key` passes the test.
    Value {
        key: String,
        test: ValueTest,
    },
    And(Vec<ItemFilter>),
    Or(Vec<ItemFilter>),
    Not(Box<ItemFilter>),
}

/// A sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKey {
    pub by: SortBy,
    pub descending: bool,
}

/// What a sort key orders by: a column, or the (lowest) value of an extended property in the
/// value index, numerically for numeric types. Items without the property come first when
/// ascending and last when descending, as in Exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortBy {
    Column(Column),
    Value { key: String, numeric: bool },
}

/// A compiled WHERE clause and its parameters, numbered from `$2` (`$1` is the folder).
pub(crate) struct Compiled {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

struct Compiler {
    backend: Backend,
    sql: String,
    params: Vec<SqlValue>,
}

impl Compiler {
    fn param(&mut self, v: SqlValue) -> String {
        self.params.push(v);
        format!("${}", self.params.len() + 1)
    }

    fn contains(&mut self, column: &str, needle: String) {
        let p = self.param(SqlValue::Text(needle));
        let f = match self.backend {
            Backend::Sqlite => "instr",
            Backend::Postgres => "strpos",
        };
        self.sql.push_str(&format!("{f}({column}, {p}) > 0"));
    }

    fn starts_with(&mut self, column: &str, prefix: String) {
        // The length is a number this code computed, written as a literal so that both
        // backends take it as an integer.
        let n = prefix.chars().count();
        let p = self.param(SqlValue::Text(prefix));
        self.sql
            .push_str(&format!("substr({column}, 1, {n}) = {p}"));
    }

    fn value(&mut self, key: &str, test: &ValueTest) {
        let k = self.param(SqlValue::Text(key.to_string()));
        self.sql.push_str(&format!(
            "id IN (SELECT item_id FROM mailbox_item_values WHERE prop_key = {k}"
        ));
        match test {
            ValueTest::Present => {}
            ValueTest::Text(op, v) => {
                let p = self.param(SqlValue::Text(v.clone()));
                self.sql
                    .push_str(&format!(" AND value_key {} {p}", op.sql()));
            }
            ValueTest::Number(op, v) => {
                let p = self.param(SqlValue::Real(*v));
                self.sql
                    .push_str(&format!(" AND value_num {} {p}", op.sql()));
            }
            ValueTest::Contains { needle, exact } => {
                self.sql.push_str(" AND ");
                let col = if *exact { "value_text" } else { "value_key" };
                self.contains(col, needle.clone());
            }
            ValueTest::StartsWith { prefix, exact } => {
                self.sql.push_str(" AND ");
                let col = if *exact { "value_text" } else { "value_key" };
                self.starts_with(col, prefix.clone());
            }
        }
        self.sql.push(')');
    }

    fn filter(&mut self, f: &ItemFilter) {
        match f {
            ItemFilter::True => self.sql.push_str("1 = 1"),
            ItemFilter::False => self.sql.push_str("1 = 0"),
            ItemFilter::Cmp(c, op, v) => {
                let p = self.param(v.clone());
                self.sql.push_str(&format!("{} {} {p}", c.sql(), op.sql()));
            }
            ItemFilter::Contains(c, n) => self.contains(c.sql(), n.clone()),
            ItemFilter::StartsWith(c, p) => self.starts_with(c.sql(), p.clone()),
            ItemFilter::Value { key, test } => self.value(key, test),
            ItemFilter::And(all) | ItemFilter::Or(all) => {
                if all.is_empty() {
                    let empty = if matches!(f, ItemFilter::And(_)) {
                        "1 = 1"
                    } else {
                        "1 = 0"
                    };
                    self.sql.push_str(empty);
                    return;
                }
                let join = if matches!(f, ItemFilter::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                self.sql.push('(');
                for (i, c) in all.iter().enumerate() {
                    if i > 0 {
                        self.sql.push_str(join);
                    }
                    self.filter(c);
                }
                self.sql.push(')');
            }
            ItemFilter::Not(inner) => {
                self.sql.push_str("NOT (");
                self.filter(inner);
                self.sql.push(')');
            }
        }
    }
}

pub(crate) fn compile(backend: Backend, filter: &ItemFilter) -> Compiled {
    let mut c = Compiler {
        backend,
        sql: String::new(),
        params: Vec::new(),
    };
    c.filter(filter);
    Compiled {
        sql: c.sql,
        params: c.params,
    }
}

/// A string literal: quotes doubled, NULs dropped (neither backend takes them in text).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\0', "").replace('\'', "''"))
}

/// `ORDER BY` for the keys, ties broken by id in the direction of the last key (newest first
/// when there is no key), so that an index on (folder, key, id) serves it.
pub(crate) fn order_by(keys: &[OrderKey]) -> String {
    if keys.is_empty() {
        return "received_ms DESC, id DESC".into();
    }
    let dir = |d: bool| if d { "DESC" } else { "ASC" };
    let mut parts: Vec<String> = keys
        .iter()
        .map(|k| match &k.by {
            SortBy::Column(c) => format!("{} {}", c.sql(), dir(k.descending)),
            SortBy::Value { key, numeric } => {
                let value = format!(
                    "(SELECT MIN({}) FROM mailbox_item_values sv WHERE sv.item_id = mailbox_items.id AND sv.prop_key = {})",
                    if *numeric { "sv.value_num" } else { "sv.value_key" },
                    literal(key)
                );
                let d = dir(k.descending);
                format!("CASE WHEN {value} IS NULL THEN 0 ELSE 1 END {d}, {value} {d}")
            }
        })
        .collect();
    parts.push(format!(
        "id {}",
        dir(keys.last().is_some_and(|k| k.descending))
    ));
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_with_numbered_parameters() {
        let f = ItemFilter::And(vec![
            ItemFilter::Cmp(
                Column::ClassKey,
                CmpOp::Eq,
                SqlValue::Text("ipm.note".into()),
            ),
            ItemFilter::Not(Box::new(ItemFilter::Contains(
                Column::SubjectKey,
                "x".into(),
            ))),
            ItemFilter::Value {
                key: "k".into(),
                test: ValueTest::Number(CmpOp::Gt, 2.0),
            },
        ]);
        let c = compile(Backend::Postgres, &f);
        assert_eq!(
            c.sql,
            "(class_key = $2 AND NOT (strpos(subject_key, $3) > 0) AND id IN (SELECT item_id FROM mailbox_item_values WHERE prop_key = $4 AND value_num > $5))"
        );
        assert_eq!(c.params.len(), 4);
        assert!(
            compile(Backend::Sqlite, &f)
                .sql
                .contains("instr(subject_key, $3)")
        );
        assert_eq!(order_by(&[]), "received_ms DESC, id DESC");
    }
}
