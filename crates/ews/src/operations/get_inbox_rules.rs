//! `m:GetInboxRules`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetInboxRules {
    pub mailbox_smtp_address: Option<String>,
}

impl OperationBody for GetInboxRules {
    const RESPONSE: ResponseForm = ResponseForm::Single;

    fn parse(op: &Element) -> Result<GetInboxRules, EwsError> {
        Ok(GetInboxRules {
            mailbox_smtp_address: op.child_text("MailboxSmtpAddress"),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetInboxRules {
            mailbox_smtp_address,
        } = self;
        w.open(element, &[]);
        w.opt_leaf("m:MailboxSmtpAddress", mailbox_smtp_address.as_deref());
        w.close(element);
    }
}
