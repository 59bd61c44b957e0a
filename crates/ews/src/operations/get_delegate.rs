//! `m:GetDelegate`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetDelegate {
    pub include_permissions: bool,
    pub mailbox: EmailAddress,
    pub user_ids: Vec<UserId>,
}

impl OperationBody for GetDelegate {
    const RESPONSE: ResponseForm = ResponseForm::Wrapped("DelegateUserResponseMessageType");

    fn parse(op: &Element) -> Result<GetDelegate, EwsError> {
        Ok(GetDelegate {
            include_permissions: op
                .attr("IncludePermissions")
                .and_then(parse_bool)
                .unwrap_or(false),
            mailbox: delegate_mailbox(op),
            user_ids: delegate_user_ids(op),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetDelegate {
            include_permissions,
            mailbox,
            user_ids,
        } = self;
        w.open(
            element,
            &[("IncludePermissions", bool_text(*include_permissions))],
        );
        mailbox.write(w, "m:Mailbox");
        if !user_ids.is_empty() {
            w.open("m:UserIds", &[]);
            user_ids.iter().for_each(|u| u.write(w));
            w.close("m:UserIds");
        }
        w.close(element);
    }
}
