//! GetInboxRules and UpdateInboxRules, for the caller's mailbox.

use super::Context;
use ews::{Payload, ResponseClass, ResponseMessage, RuleOperation};
use mailbox::MailboxError;

fn other_mailbox(ctx: &Context<'_>, address: Option<&str>) -> Option<ResponseMessage> {
    let a = address.filter(|a| !a.is_empty())?;
    (!ctx.c.mailbox.has_address(a)).then(|| {
        ResponseMessage::error(
            ews::ResponseCode::ErrorAccessDenied,
            format!("Access is denied: the rules of {a} are not this caller's to read or change."),
        )
    })
}

pub fn get(ctx: &Context<'_>, address: Option<&str>) -> Result<Vec<ResponseMessage>, MailboxError> {
    if let Some(refused) = other_mailbox(ctx, address) {
        return Ok(vec![refused]);
    }
    let rules = ctx.mbox.inbox_rules()?;
    Ok(vec![ResponseMessage::success(Payload::InboxRules {
        outlook_rule_blob_exists: false,
        rules: rules.iter().map(|r| r.to_ews()).collect(),
    })])
}

pub async fn update(
    ctx: &mut Context<'_>,
    address: Option<&str>,
    operations: &[RuleOperation],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    if let Some(refused) = other_mailbox(ctx, address) {
        return Ok(vec![refused]);
    }
    Ok(vec![match ctx.mbox.update_inbox_rules(operations).await? {
        Ok(()) => ResponseMessage::success(Payload::None),
        Err(mailbox::RulesRefused(errors)) => ResponseMessage {
            class: ResponseClass::Error,
            code: ews::ResponseCode::ErrorInboxRulesValidationError
                .as_str()
                .into(),
            text: Some("A validation error occurred while executing the rule operation.".into()),
            payload: Payload::RuleOperationErrors(errors),
        },
    }])
}
