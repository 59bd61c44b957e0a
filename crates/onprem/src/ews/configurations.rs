//! GetUserConfiguration, CreateUserConfiguration, UpdateUserConfiguration and
//! DeleteUserConfiguration.

use super::{Context, message};
use ews::{Payload, ResponseMessage, UserConfiguration, UserConfigurationName};
use mailbox::MailboxError;

/// A DistinguishedFolderId naming another mailbox is refused before the mailbox is asked.
fn check_folder(ctx: &Context<'_>, name: &UserConfigurationName) -> Option<ResponseMessage> {
    let f = name.folder.as_ref()?;
    ctx.folder(f).err().map(super::refusal)
}

pub async fn get(
    ctx: &Context<'_>,
    name: &UserConfigurationName,
    properties: &str,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    if let Some(r) = check_folder(ctx, name) {
        return Ok(vec![r]);
    }
    let r = ctx.mbox.get_configuration(name, properties).await;
    Ok(vec![message(r.map(Payload::UserConfiguration))?])
}

pub async fn create(
    ctx: &Context<'_>,
    cfg: &UserConfiguration,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    if let Some(r) = check_folder(ctx, &cfg.name) {
        return Ok(vec![r]);
    }
    let r = ctx.mbox.create_configuration(cfg).await;
    Ok(vec![message(r.map(|_| Payload::None))?])
}

pub async fn update(
    ctx: &Context<'_>,
    cfg: &UserConfiguration,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    if let Some(r) = check_folder(ctx, &cfg.name) {
        return Ok(vec![r]);
    }
    let r = ctx.mbox.update_configuration(cfg).await;
    Ok(vec![message(r.map(|_| Payload::None))?])
}

pub async fn delete(
    ctx: &Context<'_>,
    name: &UserConfigurationName,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    if let Some(r) = check_folder(ctx, name) {
        return Ok(vec![r]);
    }
    let r = ctx.mbox.delete_configuration(name).await;
    Ok(vec![message(r.map(|_| Payload::None))?])
}
