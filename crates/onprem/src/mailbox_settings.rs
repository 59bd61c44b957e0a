//! Mailbox settings beyond the recipient: Enable-Mailbox -Archive (the archive mailbox) and
//! Get-/Set-MailboxRegionalConfiguration (language, formats, time zone, and default folder
//! names in the owner's language).

use crate::error::OnPremError;
use crate::model::{CmdletObject, Recipient, RegionalConfiguration, RegionalSettings};
use crate::objects::*;
use crate::params::Params;
use mailbox::MailboxError;
use store::Store;

async fn mailbox_user(store: &Store, identity: &str) -> Result<Stored<Recipient>, OnPremError> {
    let obj = resolve_recipient(store, identity).await?;
    if !obj.value.is_mailbox() {
        return Err(OnPremError::InvalidArgument(format!(
            "'{identity}' is not a mailbox user: only mailboxes have these settings."
        )));
    }
    Ok(obj)
}

fn mailbox_failure(e: MailboxError) -> OnPremError {
    match e {
        MailboxError::Store(s) => s.into(),
        other => OnPremError::InvalidArgument(other.to_string()),
    }
}

/// Enable-Mailbox -Identity X -Archive: gives the mailbox an archive mailbox (its folder tree
/// made now); again on a mailbox that has one, nothing changes.
pub async fn enable_mailbox(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let identity = p.required("Identity")?;
    if p.bool("Archive")? != Some(true) {
        return Err(OnPremError::InvalidArgument(
            "Enable-Mailbox here enables archives: give -Archive (New-Mailbox creates mailboxes)."
                .into(),
        ));
    }
    let obj = mailbox_user(store, &identity).await?;
    enable_archive(store, obj, p.string("ArchiveName")?).await
}

/// The archive of a mailbox, made if it has none.
pub async fn enable_archive(
    store: &Store,
    obj: Stored<Recipient>,
    name: Option<String>,
) -> Result<Vec<CmdletObject>, OnPremError> {
    mailbox::provision_archive(store, &obj.value.guid).await?;
    let mut v = obj.value.clone();
    if v.archive_status != "Active" {
        let name = name.unwrap_or_else(|| format!("In-Place Archive - {}", v.display_name));
        v.archive_guid = guid();
        v.archive_name = vec![name];
        v.archive_status = "Active".into();
    }
    Ok(vec![save(store, &obj, v).await?.value.into()])
}

/// Get-MailboxRegionalConfiguration: the mailbox's language, formats and time zone.
pub async fn get_regional(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let identity = p.required("Identity")?;
    let r = mailbox_user(store, &identity).await?.value;
    let settings = r.regional_configuration.unwrap_or_default();
    Ok(vec![
        RegionalConfiguration {
            identity: r.identity,
            language: settings.language,
            date_format: settings.date_format,
            time_format: settings.time_format,
            time_zone: settings.time_zone,
            default_folder_name_matching_user_language: settings
                .default_folder_name_matching_user_language,
        }
        .into(),
    ])
}

/// Set-MailboxRegionalConfiguration; with -LocalizeDefaultFolderName the default folders are
/// renamed into -Language (or the language already set) before anything is saved.
pub async fn set_regional(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let identity = p.required("Identity")?;
    let obj = mailbox_user(store, &identity).await?;
    let mut r: RegionalSettings = obj.value.regional_configuration.clone().unwrap_or_default();
    for (member, slot) in [
        ("Language", &mut r.language),
        ("DateFormat", &mut r.date_format),
        ("TimeFormat", &mut r.time_format),
        ("TimeZone", &mut r.time_zone),
    ] {
        if let Some(value) = p.string(member)? {
            *slot = Some(value);
        }
    }
    if p.bool("LocalizeDefaultFolderName")? == Some(true) {
        let language = r.language.clone().unwrap_or_default();
        if language.is_empty() {
            return Err(OnPremError::InvalidArgument(
                "-LocalizeDefaultFolderName needs a language: give -Language.".into(),
            ));
        }
        mailbox::localize_default_folders(store, &obj.value.guid, &language)
            .await
            .map_err(mailbox_failure)?;
        r.default_folder_name_matching_user_language = true;
    }
    let mut v = obj.value.clone();
    v.regional_configuration = Some(r);
    save(store, &obj, v).await?;
    Ok(Vec::new())
}
