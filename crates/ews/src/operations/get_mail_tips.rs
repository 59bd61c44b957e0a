//! `m:GetMailTips`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetMailTips {
    pub sending_as: EmailAddress,
    pub recipients: Vec<EmailAddress>,
    pub mail_tips_requested: String,
}

impl OperationBody for GetMailTips {
    const RESPONSE: ResponseForm = ResponseForm::Wrapped("MailTipsResponseMessageType");

    fn parse(op: &Element) -> Result<GetMailTips, EwsError> {
        Ok(GetMailTips {
            sending_as: op
                .child("SendingAs")
                .map(EmailAddress::parse)
                .unwrap_or_default(),
            recipients: op
                .child("Recipients")
                .map(|r| r.elements().map(EmailAddress::parse).collect())
                .unwrap_or_default(),
            mail_tips_requested: op.child_text("MailTipsRequested").unwrap_or_default(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetMailTips {
            sending_as,
            recipients,
            mail_tips_requested,
        } = self;
        w.open(element, &[]);
        sending_as.write(w, "m:SendingAs");
        w.open("m:Recipients", &[]);
        recipients.iter().for_each(|r| r.write(w, "t:Mailbox"));
        w.close("m:Recipients");
        w.leaf("m:MailTipsRequested", mail_tips_requested);
        w.close(element);
    }
}

/// `m:MailTips`: what a sender should know about one recipient before sending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailTips {
    pub recipient: EmailAddress,
    /// The recipient's automatic reply, when one is on (`t:OutOfOffice/t:ReplyBody/t:Message`).
    pub out_of_office: Option<String>,
    pub mailbox_full: bool,
    pub max_message_size: i64,
    pub total_member_count: i64,
    pub external_member_count: i64,
    pub delivery_restricted: bool,
    pub is_moderated: bool,
    pub invalid_recipient: bool,
}

impl MailTips {
    pub(crate) fn parse(el: &Element) -> MailTips {
        let num = |n: &str| {
            el.child_text(n)
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0)
        };
        let flag = |n: &str| {
            el.child_text(n)
                .as_deref()
                .and_then(parse_bool)
                .unwrap_or(false)
        };
        MailTips {
            recipient: el
                .child("RecipientAddress")
                .map(EmailAddress::parse)
                .unwrap_or_default(),
            out_of_office: el
                .child("OutOfOffice")
                .and_then(|o| o.child("ReplyBody"))
                .and_then(|r| r.child_text("Message"))
                .filter(|m| !m.is_empty()),
            mailbox_full: flag("MailboxFull"),
            max_message_size: num("MaxMessageSize"),
            total_member_count: num("TotalMemberCount"),
            external_member_count: num("ExternalMemberCount"),
            delivery_restricted: flag("DeliveryRestricted"),
            is_moderated: flag("IsModerated"),
            invalid_recipient: flag("InvalidRecipient"),
        }
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("m:MailTips", &[]);
        self.recipient.write(w, "t:RecipientAddress");
        w.open("t:OutOfOffice", &[]);
        w.open("t:ReplyBody", &[]);
        match &self.out_of_office {
            Some(m) => w.leaf("t:Message", m),
            None => w.empty("t:Message", &[]),
        }
        w.close("t:ReplyBody");
        w.close("t:OutOfOffice");
        w.leaf("t:MailboxFull", bool_text(self.mailbox_full));
        w.leaf("t:MaxMessageSize", &self.max_message_size.to_string());
        w.leaf("t:TotalMemberCount", &self.total_member_count.to_string());
        w.leaf(
            "t:ExternalMemberCount",
            &self.external_member_count.to_string(),
        );
        w.leaf("t:DeliveryRestricted", bool_text(self.delivery_restricted));
        w.leaf("t:IsModerated", bool_text(self.is_moderated));
        w.leaf("t:InvalidRecipient", bool_text(self.invalid_recipient));
        w.close("m:MailTips");
    }
}
