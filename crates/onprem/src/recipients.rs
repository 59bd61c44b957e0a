//! Recipients: mailboxes (users with a mailbox here) and mail users (users whose mail lives
//! elsewhere, such as an application account), with New-, Set-, Get- and Remove- cmdlets.

use crate::error::OnPremError;
use crate::model::{AdminObject, CmdletObject, Organization, Recipient, RecipientType};
use crate::objects::*;
use crate::params::Params;
use store::Store;

fn alias_from(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

fn valid_smtp(a: &str) -> bool {
    let Some((local, domain)) = a.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !a.contains(char::is_whitespace)
        && !domain.contains('@')
}

fn base(org: &Organization, name: &str, alias: &str, recipient_type: RecipientType) -> Recipient {
    let (identity, distinguished_name) = user_identity(&org.default_domain, name);
    Recipient {
        name: name.into(),
        alias: alias.into(),
        display_name: name.into(),
        identity,
        distinguished_name,
        guid: guid(),
        sid: user_sid(org),
        recipient_type,
        recipient_type_details: recipient_type,
        when_created: now_text(),
        ..Default::default()
    }
}

/// A mail user (New-MailUser's DisabledUser set): its external address is its target and, by
/// default, its primary address.
pub fn mail_user(
    org: &Organization,
    name: &str,
    external: &str,
    alias: Option<&str>,
    hidden: bool,
) -> Recipient {
    let alias = alias
        .map(str::to_string)
        .unwrap_or_else(|| alias_from(name));
    Recipient {
        external_email_address: format!("SMTP:{external}"),
        primary_smtp_address: external.into(),
        email_addresses: vec![format!("SMTP:{external}")],
        hidden_from_address_lists_enabled: hidden,
        ..base(org, name, &alias, RecipientType::MailUser)
    }
}

async fn ensure_unique(store: &Store, name: &str, addresses: &[&str]) -> Result<(), OnPremError> {
    for r in all::<Recipient>(store).await? {
        if r.value.name.eq_ignore_ascii_case(name) {
            return Err(OnPremError::AlreadyExists(format!(
                "The name '{name}' is being used. Please choose another name."
            )));
        }
        for a in addresses.iter().filter(|a| !a.is_empty()) {
            if r.value.is_named(a) {
                return Err(OnPremError::AlreadyExists(format!(
                    "The proxy address \"{a}\" is already being used by \"{}\".",
                    r.value.identity
                )));
            }
        }
    }
    Ok(())
}

pub async fn new_mailbox(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let org = organization(store).await?;
    let domain = org.default_domain.clone();
    let name = p.required("Name")?;
    let alias = p.string("Alias")?.unwrap_or_else(|| alias_from(&name));
    let primary = p
        .string("PrimarySmtpAddress")?
        .unwrap_or_else(|| format!("{alias}@{domain}"));
    let upn = p
        .string("UserPrincipalName")?
        .unwrap_or_else(|| format!("{alias}@{domain}"));
    let sip = p.string("SipAddress")?.unwrap_or_else(|| primary.clone());
    for a in [&primary, &upn, &sip] {
        if !valid_smtp(a) {
            return Err(OnPremError::InvalidArgument(format!(
                "\"{a}\" isn't a valid SMTP address."
            )));
        }
    }
    ensure_unique(store, &name, &[&primary, &upn]).await?;
    let mut v = base(&org, &name, &alias, RecipientType::UserMailbox);
    if let Some(d) = p.string("DisplayName")? {
        v.display_name = d;
    }
    // A Skype for Business-enabled user also has a SIP proxy address.
    v.email_addresses = vec![format!("SMTP:{primary}"), format!("SIP:{sip}")];
    v.user_principal_name = upn;
    v.primary_smtp_address = primary;
    v.exchange_guid = guid();
    let obj = create(store, v).await?;
    // The mailbox itself: its distinguished folders.
    mailbox::provision(store, &obj.value.guid).await?;
    if p.bool("Archive")? == Some(true) {
        return crate::mailbox_settings::enable_archive(store, obj, None).await;
    }
    Ok(vec![obj.value.into()])
}

pub async fn new_mail_user(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let org = organization(store).await?;
    let name = p.required("Name")?;
    if name.chars().count() > 64 {
        return Err(OnPremError::InvalidArgument(format!(
            "The length of the property is too long. The maximum length is 64 and the length of the value provided is {}.",
            name.chars().count()
        )));
    }
    let external = p.required("ExternalEmailAddress")?;
    let external = external
        .strip_prefix("SMTP:")
        .or_else(|| external.strip_prefix("smtp:"))
        .unwrap_or(&external)
        .to_string();
    if !valid_smtp(&external) {
        return Err(OnPremError::InvalidArgument(format!(
            "\"{external}\" isn't a valid SMTP address."
        )));
    }
    let primary = p
        .string("PrimarySmtpAddress")?
        .unwrap_or_else(|| external.clone());
    ensure_unique(store, &name, &[&primary]).await?;
    let mut v = mail_user(&org, &name, &external, p.string("Alias")?.as_deref(), false);
    v.primary_smtp_address = primary;
    if let Some(d) = p.string("DisplayName")? {
        v.display_name = d;
    }
    // -ApplicationAccount: the account a partner application's tokens act through (the Teams
    // edition's TeamsScheduler), not a person.
    v.is_application_account = p.bool("ApplicationAccount")? == Some(true);
    Ok(vec![create(store, v).await?.value.into()])
}

/// Set-Mailbox and Set-MailUser: the usual fields.
pub async fn set_recipient(
    store: &Store,
    p: &Params,
    recipient_type: RecipientType,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let id = p.required("Identity")?;
    let obj = resolve_of_type(store, &id, Some(recipient_type)).await?;
    let mut v = obj.value.clone();
    if let Some(h) = p.bool("HiddenFromAddressListsEnabled")? {
        v.hidden_from_address_lists_enabled = h;
    }
    // The user account behind the recipient: a disabled account signs in nowhere, and its
    // OAuth user tokens are refused.
    if let Some(d) = p.bool("AccountDisabled")? {
        v.account_disabled = d;
    }
    if let Some(s) = p.string("DisplayName")? {
        v.display_name = s;
    }
    if let Some(s) = p.string("Alias")? {
        v.alias = s;
    }
    if let Some(s) = p.string("Name")? {
        v.name = s;
    }
    if let Some(a) = p.string("PrimarySmtpAddress")? {
        if !valid_smtp(&a) {
            return Err(OnPremError::InvalidArgument(format!(
                "\"{a}\" isn't a valid SMTP address."
            )));
        }
        v.primary_smtp_address = a;
    }
    if let Some(e) = p.string("ExternalEmailAddress")? {
        if recipient_type != RecipientType::MailUser {
            return Err(OnPremError::UnknownParameter("ExternalEmailAddress".into()));
        }
        let e = e.strip_prefix("SMTP:").unwrap_or(&e).to_string();
        v.external_email_address = format!("SMTP:{e}");
    }
    if let Some(list) = p.strings("EmailAddresses")? {
        v.email_addresses = list;
    }
    Ok(vec![save(store, &obj, v).await?.value.into()])
}

pub async fn get(
    store: &Store,
    p: &Params,
    recipient_type: Option<RecipientType>,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let id = p.string("Identity")?;
    let out: Vec<CmdletObject> = all::<Recipient>(store)
        .await?
        .into_iter()
        .filter(|o| recipient_type.is_none_or(|t| o.value.recipient_type == t))
        .filter(|o| id.as_deref().is_none_or(|i| o.value.is_named(i)))
        .map(|o| o.value.into())
        .collect();
    if out.is_empty()
        && let Some(i) = id
    {
        return Err(OnPremError::NotFound(i));
    }
    Ok(out)
}

pub async fn remove(
    store: &Store,
    p: &Params,
    recipient_type: RecipientType,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let obj = resolve_of_type(store, &p.required("Identity")?, Some(recipient_type)).await?;
    delete(store, &obj).await?;
    Ok(Vec::new())
}

/// A new user's SID: the domain SID and a random relative id.
pub fn user_sid(org: &Organization) -> String {
    let id = uuid::Uuid::new_v4();
    let b = id.as_bytes();
    let rid = (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) % 1_000_000_000) + 1100;
    format!("{}-{rid}", org.domain_sid)
}
