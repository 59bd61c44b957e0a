//! Restrictions and sort orders.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparisonOp {
    IsEqualTo,
    IsNotEqualTo,
    IsGreaterThan,
    IsGreaterThanOrEqualTo,
    IsLessThan,
    IsLessThanOrEqualTo,
}

impl ComparisonOp {
    const ALL: [ComparisonOp; 6] = [
        ComparisonOp::IsEqualTo,
        ComparisonOp::IsNotEqualTo,
        ComparisonOp::IsGreaterThan,
        ComparisonOp::IsGreaterThanOrEqualTo,
        ComparisonOp::IsLessThan,
        ComparisonOp::IsLessThanOrEqualTo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ComparisonOp::IsEqualTo => "IsEqualTo",
            ComparisonOp::IsNotEqualTo => "IsNotEqualTo",
            ComparisonOp::IsGreaterThan => "IsGreaterThan",
            ComparisonOp::IsGreaterThanOrEqualTo => "IsGreaterThanOrEqualTo",
            ComparisonOp::IsLessThan => "IsLessThan",
            ComparisonOp::IsLessThanOrEqualTo => "IsLessThanOrEqualTo",
        }
    }

    fn from_name(n: &str) -> Option<ComparisonOp> {
        ComparisonOp::ALL.into_iter().find(|o| o.name() == n)
    }
}

/// A restriction as the wire has it. Forms this server cannot evaluate still parse
/// ([`Restriction::Unsupported`]), so that the answer is a per-message error, as Exchange's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restriction {
    Compare {
        op: ComparisonOp,
        path: Option<PropertyPath>,
        /// The constant's value; None when the right side is another property.
        constant: Option<String>,
    },
    Contains {
        path: Option<PropertyPath>,
        mode: String,
        comparison: String,
        constant: Option<String>,
    },
    Exists(Option<PropertyPath>),
    And(Vec<Restriction>),
    Or(Vec<Restriction>),
    Not(Option<Box<Restriction>>),
    Unsupported(String),
}

impl Restriction {
    pub fn parse(el: &Element) -> Restriction {
        let path = PropertyPath::first_in(el);
        let constant = el
            .child("FieldURIOrConstant")
            .and_then(|f| f.child("Constant"))
            .or_else(|| el.child("Constant"))
            .and_then(|c| c.attr("Value"))
            .map(str::to_string);
        if let Some(op) = ComparisonOp::from_name(&el.name) {
            return Restriction::Compare { op, path, constant };
        }
        match el.name.as_str() {
            "Contains" => Restriction::Contains {
                path,
                mode: el.attr("ContainmentMode").unwrap_or("Substring").into(),
                comparison: el.attr("ContainmentComparison").unwrap_or("Exact").into(),
                constant,
            },
            "Exists" => Restriction::Exists(path),
            "And" => Restriction::And(el.elements().map(Restriction::parse).collect()),
            "Or" => Restriction::Or(el.elements().map(Restriction::parse).collect()),
            "Not" => Restriction::Not(
                el.elements()
                    .next()
                    .map(|e| Box::new(Restriction::parse(e))),
            ),
            other => Restriction::Unsupported(other.to_string()),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        let constant = |w: &mut Writer, c: &Option<String>| {
            if let Some(c) = c {
                w.empty("t:Constant", &[("Value", c)]);
            }
        };
        match self {
            Restriction::Compare {
                op,
                path,
                constant: c,
            } => {
                let name = format!("t:{}", op.name());
                w.open(&name, &[]);
                if let Some(p) = path {
                    p.write(w);
                }
                w.open("t:FieldURIOrConstant", &[]);
                constant(w, c);
                w.close("t:FieldURIOrConstant");
                w.close(&name);
            }
            Restriction::Contains {
                path,
                mode,
                comparison,
                constant: c,
            } => {
                w.open(
                    "t:Contains",
                    &[
                        ("ContainmentMode", mode),
                        ("ContainmentComparison", comparison),
                    ],
                );
                if let Some(p) = path {
                    p.write(w);
                }
                constant(w, c);
                w.close("t:Contains");
            }
            Restriction::Exists(path) => {
                w.open("t:Exists", &[]);
                if let Some(p) = path {
                    p.write(w);
                }
                w.close("t:Exists");
            }
            Restriction::And(all) | Restriction::Or(all) => {
                let name = if matches!(self, Restriction::And(_)) {
                    "t:And"
                } else {
                    "t:Or"
                };
                w.open(name, &[]);
                for r in all {
                    r.write(w);
                }
                w.close(name);
            }
            Restriction::Not(inner) => {
                w.open("t:Not", &[]);
                if let Some(r) = inner {
                    r.write(w);
                }
                w.close("t:Not");
            }
            Restriction::Unsupported(name) => w.empty(&format!("t:{name}"), &[]),
        }
    }
}

/// `t:FieldOrder`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldOrder {
    pub path: Option<PropertyPath>,
    pub descending: bool,
}

impl FieldOrder {
    pub fn parse_all(el: Option<&Element>) -> Vec<FieldOrder> {
        el.into_iter()
            .flat_map(|s| s.children_named("FieldOrder"))
            .map(|fo| FieldOrder {
                path: PropertyPath::first_in(fo),
                descending: fo.attr("Order") == Some("Descending"),
            })
            .collect()
    }

    pub fn write(&self, w: &mut Writer) {
        w.open(
            "t:FieldOrder",
            &[(
                "Order",
                if self.descending {
                    "Descending"
                } else {
                    "Ascending"
                },
            )],
        );
        if let Some(p) = &self.path {
            p.write(w);
        }
        w.close("t:FieldOrder");
    }
}
