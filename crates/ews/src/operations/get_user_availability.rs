//! `m:GetUserAvailabilityRequest`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetUserAvailability {
    pub time_zone: crate::availability::LegacyTimeZone,
    pub mailboxes: Vec<crate::availability::MailboxData>,
    pub free_busy: Option<crate::availability::FreeBusyViewOptions>,
}

impl OperationBody for GetUserAvailability {
    const RESPONSE: ResponseForm = ResponseForm::FreeBusy;

    fn parse(op: &Element) -> Result<GetUserAvailability, EwsError> {
        Ok(GetUserAvailability {
            time_zone: op
                .child("TimeZone")
                .map(crate::availability::LegacyTimeZone::parse)
                .unwrap_or_default(),
            mailboxes: op
                .child("MailboxDataArray")
                .into_iter()
                .flat_map(|a| a.children_named("MailboxData"))
                .map(crate::availability::MailboxData::parse)
                .collect(),
            free_busy: op
                .child("FreeBusyViewOptions")
                .map(crate::availability::FreeBusyViewOptions::parse),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetUserAvailability {
            time_zone,
            mailboxes,
            free_busy,
        } = self;
        w.open(element, &[]);
        time_zone.write(w, "t:TimeZone");
        w.open("m:MailboxDataArray", &[]);
        mailboxes.iter().for_each(|m| m.write(w));
        w.close("m:MailboxDataArray");
        if let Some(f) = free_busy {
            f.write(w);
        }
        w.close(element);
    }
}
