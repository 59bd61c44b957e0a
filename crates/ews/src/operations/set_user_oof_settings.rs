//! `m:SetUserOofSettingsRequest`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct SetUserOofSettings {
    pub mailbox: String,
    pub settings: crate::availability::OofSettings,
}

impl OperationBody for SetUserOofSettings {
    const RESPONSE: ResponseForm = ResponseForm::Availability;

    fn parse(op: &Element) -> Result<SetUserOofSettings, EwsError> {
        Ok(SetUserOofSettings {
            mailbox: required_mailbox(op)?,
            settings: op
                .child("UserOofSettings")
                .map(crate::availability::OofSettings::parse)
                .ok_or_else(|| bad("SetUserOofSettingsRequest needs t:UserOofSettings"))?,
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let SetUserOofSettings { mailbox, settings } = self;
        w.open(element, &[]);
        crate::availability::write_mailbox(w, mailbox);
        settings.write(w, "t:UserOofSettings");
        w.close(element);
    }
}
