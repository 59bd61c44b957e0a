//! `m:ExpandDL`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct ExpandDL {
    pub mailbox: EmailAddress,
}

impl OperationBody for ExpandDL {
    fn parse(op: &Element) -> Result<ExpandDL, EwsError> {
        Ok(ExpandDL {
            mailbox: op
                .child("Mailbox")
                .map(EmailAddress::parse)
                .unwrap_or_default(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let ExpandDL { mailbox } = self;
        w.open(element, &[]);
        mailbox.write(w, "m:Mailbox");
        w.close(element);
    }
}
