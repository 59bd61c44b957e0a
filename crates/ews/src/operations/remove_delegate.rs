//! `m:RemoveDelegate`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct RemoveDelegate {
    pub mailbox: EmailAddress,
    pub user_ids: Vec<UserId>,
}

impl OperationBody for RemoveDelegate {
    const RESPONSE: ResponseForm = ResponseForm::Wrapped("DelegateUserResponseMessageType");

    fn parse(op: &Element) -> Result<RemoveDelegate, EwsError> {
        Ok(RemoveDelegate {
            mailbox: delegate_mailbox(op),
            user_ids: delegate_user_ids(op),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let RemoveDelegate { mailbox, user_ids } = self;
        w.open(element, &[]);
        mailbox.write(w, "m:Mailbox");
        w.open("m:UserIds", &[]);
        user_ids.iter().for_each(|u| u.write(w));
        w.close("m:UserIds");
        w.close(element);
    }
}
