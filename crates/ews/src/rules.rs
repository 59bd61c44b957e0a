//! Inbox rules (`t:Rule`) as GetInboxRules answers them and UpdateInboxRules changes them, and
//! the validation errors (`m:RuleOperationErrors`) a refused change is answered with.
//! Conditions, exceptions and actions are predicate and action sets of dozens of optional
//! fields; they are kept as element trees, and the mailbox gives meaning to the ones it runs.

use crate::types::{bool_text, normalize_booleans, parse_bool};
use crate::writer::Writer;
use crate::xml::Element;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rule {
    pub rule_id: Option<String>,
    pub display_name: Option<String>,
    pub priority: Option<i64>,
    pub is_enabled: Option<bool>,
    pub is_not_supported: Option<bool>,
    pub is_in_error: Option<bool>,
    pub conditions: Option<Element>,
    pub exceptions: Option<Element>,
    pub actions: Option<Element>,
}

fn kept(el: Option<&Element>) -> Option<Element> {
    el.map(|e| {
        let mut e = e.clone();
        normalize_booleans(&mut e);
        e
    })
}

impl Rule {
    pub fn parse(el: &Element) -> Rule {
        let text = |n: &str| el.child_text(n);
        Rule {
            rule_id: text("RuleId"),
            display_name: text("DisplayName"),
            priority: text("Priority").and_then(|p| p.trim().parse().ok()),
            is_enabled: text("IsEnabled").as_deref().and_then(parse_bool),
            is_not_supported: text("IsNotSupported").as_deref().and_then(parse_bool),
            is_in_error: text("IsInError").as_deref().and_then(parse_bool),
            conditions: kept(el.child("Conditions")),
            exceptions: kept(el.child("Exceptions")),
            actions: kept(el.child("Actions")),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        w.open("t:Rule", &[]);
        w.opt_leaf("t:RuleId", self.rule_id.as_deref());
        w.opt_leaf("t:DisplayName", self.display_name.as_deref());
        if let Some(p) = self.priority {
            w.leaf("t:Priority", &p.to_string());
        }
        w.bool_leaf("t:IsEnabled", self.is_enabled);
        w.bool_leaf("t:IsNotSupported", self.is_not_supported);
        w.bool_leaf("t:IsInError", self.is_in_error);
        for e in [&self.conditions, &self.exceptions, &self.actions]
            .into_iter()
            .flatten()
        {
            w.element(e, "t");
        }
        w.close("t:Rule");
    }
}

/// One operation of UpdateInboxRules.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleOperation {
    Create(Rule),
    Set(Rule),
    Delete(String),
}

impl RuleOperation {
    pub fn parse_all(container: Option<&Element>) -> Vec<RuleOperation> {
        let Some(c) = container else {
            return Vec::new();
        };
        c.elements()
            .filter_map(|op| {
                let rule = || op.child("Rule").map(Rule::parse).unwrap_or_default();
                Some(match op.name.as_str() {
                    "CreateRuleOperation" => RuleOperation::Create(rule()),
                    "SetRuleOperation" => RuleOperation::Set(rule()),
                    "DeleteRuleOperation" => {
                        RuleOperation::Delete(op.child_text("RuleId").unwrap_or_default())
                    }
                    _ => return None,
                })
            })
            .collect()
    }

    pub fn write(&self, w: &mut Writer) {
        match self {
            RuleOperation::Create(r) | RuleOperation::Set(r) => {
                let name = if matches!(self, RuleOperation::Create(_)) {
                    "t:CreateRuleOperation"
                } else {
                    "t:SetRuleOperation"
                };
                w.open(name, &[]);
                r.write(w);
                w.close(name);
            }
            RuleOperation::Delete(id) => {
                w.open("t:DeleteRuleOperation", &[]);
                w.leaf("t:RuleId", id);
                w.close("t:DeleteRuleOperation");
            }
        }
    }
}

/// One `t:Error` of a refused rule operation: which field, Exchange's error code and text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleValidationError {
    pub field_uri: String,
    pub error_code: String,
    pub error_message: String,
    pub field_value: String,
}

/// `t:RuleOperationError`: the index of the refused operation and why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleOperationError {
    pub operation_index: usize,
    pub errors: Vec<RuleValidationError>,
}

impl RuleOperationError {
    pub fn parse(el: &Element) -> RuleOperationError {
        RuleOperationError {
            operation_index: el
                .child_text("OperationIndex")
                .and_then(|i| i.trim().parse().ok())
                .unwrap_or(0),
            errors: el
                .child("ValidationErrors")
                .into_iter()
                .flat_map(|v| v.children_named("Error"))
                .map(|e| RuleValidationError {
                    field_uri: e.child_text("FieldURI").unwrap_or_default(),
                    error_code: e.child_text("ErrorCode").unwrap_or_default(),
                    error_message: e.child_text("ErrorMessage").unwrap_or_default(),
                    field_value: e.child_text("FieldValue").unwrap_or_default(),
                })
                .collect(),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        w.open("t:RuleOperationError", &[]);
        w.leaf("t:OperationIndex", &self.operation_index.to_string());
        w.open("t:ValidationErrors", &[]);
        for e in &self.errors {
            w.open("t:Error", &[]);
            w.leaf("t:FieldURI", &e.field_uri);
            w.leaf("t:ErrorCode", &e.error_code);
            w.leaf("t:ErrorMessage", &e.error_message);
            w.leaf("t:FieldValue", &e.field_value);
            w.close("t:Error");
        }
        w.close("t:ValidationErrors");
        w.close("t:RuleOperationError");
    }
}

pub(crate) fn write_rules(w: &mut Writer, blob_exists: bool, rules: &[Rule]) {
    w.leaf("m:OutlookRuleBlobExists", bool_text(blob_exists));
    if rules.is_empty() {
        return;
    }
    w.open("m:InboxRules", &[]);
    rules.iter().for_each(|r| r.write(w));
    w.close("m:InboxRules");
}
