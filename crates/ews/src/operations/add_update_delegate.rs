//! `m:AddDelegate` and `m:UpdateDelegate`: the same request, delegates of a mailbox.

use super::*;

macro_rules! delegate_change {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            pub mailbox: EmailAddress,
            pub delegate_users: Vec<DelegateUser>,
            pub deliver_meeting_requests: Option<String>,
        }

        impl OperationBody for $name {
            const RESPONSE: ResponseForm = ResponseForm::Wrapped("DelegateUserResponseMessageType");

            fn parse(op: &Element) -> Result<$name, EwsError> {
                Ok($name {
                    mailbox: delegate_mailbox(op),
                    delegate_users: delegate_users(op),
                    deliver_meeting_requests: op.child_text("DeliverMeetingRequests"),
                })
            }

            fn write(&self, w: &mut Writer, element: &str) {
                let $name {
                    mailbox,
                    delegate_users,
                    deliver_meeting_requests,
                } = self;
                w.open(element, &[]);
                mailbox.write(w, "m:Mailbox");
                if !delegate_users.is_empty() {
                    w.open("m:DelegateUsers", &[]);
                    delegate_users
                        .iter()
                        .for_each(|d| d.write(w, "t:DelegateUser"));
                    w.close("m:DelegateUsers");
                }
                w.opt_leaf(
                    "m:DeliverMeetingRequests",
                    deliver_meeting_requests.as_deref(),
                );
                w.close(element);
            }
        }
    };
}

delegate_change!(AddDelegate, "`m:AddDelegate`.");
delegate_change!(UpdateDelegate, "`m:UpdateDelegate`.");
