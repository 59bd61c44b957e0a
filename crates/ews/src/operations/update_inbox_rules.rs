//! `m:UpdateInboxRules`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct UpdateInboxRules {
    pub mailbox_smtp_address: Option<String>,
    pub remove_outlook_rule_blob: bool,
    pub operations: Vec<crate::rules::RuleOperation>,
}

impl OperationBody for UpdateInboxRules {
    const RESPONSE: ResponseForm = ResponseForm::Single;

    fn parse(op: &Element) -> Result<UpdateInboxRules, EwsError> {
        Ok(UpdateInboxRules {
            mailbox_smtp_address: op.child_text("MailboxSmtpAddress"),
            remove_outlook_rule_blob: op
                .child_text("RemoveOutlookRuleBlob")
                .as_deref()
                .and_then(parse_bool)
                .unwrap_or(false),
            operations: crate::rules::RuleOperation::parse_all(op.child("Operations")),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let UpdateInboxRules {
            mailbox_smtp_address,
            remove_outlook_rule_blob,
            operations,
        } = self;
        w.open(element, &[]);
        w.opt_leaf("m:MailboxSmtpAddress", mailbox_smtp_address.as_deref());
        w.leaf(
            "m:RemoveOutlookRuleBlob",
            bool_text(*remove_outlook_rule_blob),
        );
        w.open("m:Operations", &[]);
        operations.iter().for_each(|o| o.write(w));
        w.close("m:Operations");
        w.close(element);
    }
}
