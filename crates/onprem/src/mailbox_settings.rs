//! Mailbox settings beyond the recipient: Enable-Mailbox -Archive (the archive mailbox) and
//! Get-/Set-MailboxRegionalConfiguration (language, formats, time zone, and default folder
//! names in the owner's language).

use crate::error::OnPremError;
use crate::objects::*;
use crate::params::Params;
use mailbox::MailboxError;
use serde_json::{Value, json};
use store::{DirectoryObject, Store};

async fn mailbox_user(store: &Store, identity: &str) -> Result<DirectoryObject, OnPremError> {
    let obj = resolve_recipient(store, identity).await?;
    if text(&obj.data, "RecipientType") != "UserMailbox" {
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
pub async fn enable_mailbox(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity", "Archive", "ArchiveName"])?;
    let identity = p.required("Identity")?;
    if p.bool("Archive")? != Some(true) {
        return Err(OnPremError::InvalidArgument(
            "Enable-Mailbox here enables archives: give -Archive (New-Mailbox creates mailboxes)."
                .into(),
        ));
    }
    let obj = mailbox_user(store, &identity).await?;
    mailbox::provision_archive(store, text(&obj.data, "Guid")).await?;
    let mut v = obj.data.clone();
    if text(&v, "ArchiveStatus") != "Active" {
        let name = p
            .string("ArchiveName")?
            .unwrap_or_else(|| format!("In-Place Archive - {}", text(&obj.data, "DisplayName")));
        set(
            &mut v,
            "ArchiveGuid",
            json!(uuid::Uuid::new_v4().to_string()),
        );
        set(&mut v, "ArchiveName", json!([name]));
        set(&mut v, "ArchiveStatus", json!("Active"));
    }
    let saved = save(store, &obj, v).await?;
    Ok(vec![present(&saved)])
}

/// Get-MailboxRegionalConfiguration: the mailbox's language, formats and time zone.
pub async fn get_regional(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity"])?;
    let identity = p.required("Identity")?;
    let obj = mailbox_user(store, &identity).await?;
    Ok(vec![regional(&obj)])
}

fn regional(obj: &DirectoryObject) -> Value {
    let r = obj
        .data
        .get("RegionalConfiguration")
        .cloned()
        .unwrap_or(json!({}));
    let member = |name: &str| r.get(name).cloned().unwrap_or(Value::Null);
    json!({
        "Identity": present(obj)["Identity"].clone(),
        "Language": member("Language"),
        "DateFormat": member("DateFormat"),
        "TimeFormat": member("TimeFormat"),
        "TimeZone": member("TimeZone"),
        "DefaultFolderNameMatchingUserLanguage": r
            .get("DefaultFolderNameMatchingUserLanguage")
            .cloned()
            .unwrap_or(json!(false)),
    })
}

/// Set-MailboxRegionalConfiguration; with -LocalizeDefaultFolderName the default folders are
/// renamed into -Language (or the language already set) before anything is saved.
pub async fn set_regional(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&[
        "Identity",
        "Language",
        "DateFormat",
        "TimeFormat",
        "TimeZone",
        "LocalizeDefaultFolderName",
    ])?;
    let identity = p.required("Identity")?;
    let obj = mailbox_user(store, &identity).await?;
    let mut r = obj
        .data
        .get("RegionalConfiguration")
        .cloned()
        .unwrap_or(json!({}));
    for member in ["Language", "DateFormat", "TimeFormat", "TimeZone"] {
        if let Some(value) = p.string(member)? {
            set(&mut r, member, json!(value));
        }
    }
    if p.bool("LocalizeDefaultFolderName")? == Some(true) {
        let language = text(&r, "Language").to_string();
        if language.is_empty() {
            return Err(OnPremError::InvalidArgument(
                "-LocalizeDefaultFolderName needs a language: give -Language.".into(),
            ));
        }
        mailbox::localize_default_folders(store, text(&obj.data, "Guid"), &language)
            .await
            .map_err(mailbox_failure)?;
        set(&mut r, "DefaultFolderNameMatchingUserLanguage", json!(true));
    }
    let mut v = obj.data.clone();
    set(&mut v, "RegionalConfiguration", r);
    save(store, &obj, v).await?;
    Ok(Vec::new())
}
