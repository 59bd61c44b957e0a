//! `m:GetUserOofSettingsRequest`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetUserOofSettings {
    pub mailbox: String,
}

impl OperationBody for GetUserOofSettings {
    const RESPONSE: ResponseForm = ResponseForm::Availability;

    fn parse(op: &Element) -> Result<GetUserOofSettings, EwsError> {
        Ok(GetUserOofSettings {
            mailbox: required_mailbox(op)?,
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetUserOofSettings { mailbox } = self;
        w.open(element, &[]);
        crate::availability::write_mailbox(w, mailbox);
        w.close(element);
    }
}
