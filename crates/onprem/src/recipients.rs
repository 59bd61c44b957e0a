//! Recipients: mailboxes (users with a mailbox here) and mail users (users whose mail lives
//! elsewhere, such as an application account), with New-, Set-, Get- and Remove- cmdlets.

use crate::error::OnPremError;
use crate::objects::*;
use crate::params::Params;
use serde_json::{Value, json};
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

fn base(org: &Value, name: &str, alias: &str, recipient_type: &str) -> Value {
    let (identity, dn) = user_identity(text(org, "DefaultDomain"), name);
    object(&[
        ("Name", json!(name)),
        ("Alias", json!(alias)),
        ("DisplayName", json!(name)),
        ("Identity", json!(identity)),
        ("DistinguishedName", json!(dn)),
        ("Guid", json!(guid())),
        ("Sid", json!(user_sid(org))),
        ("RecipientType", json!(recipient_type)),
        ("RecipientTypeDetails", json!(recipient_type)),
        ("HiddenFromAddressListsEnabled", json!(false)),
        ("WhenCreated", json!(now_text())),
    ])
}

/// A mail user (New-MailUser's DisabledUser set): its external address is its target and, by
/// default, its primary address.
pub fn mail_user_object(
    org: &Value,
    name: &str,
    external: &str,
    alias: Option<&str>,
    hidden: bool,
) -> Value {
    let alias = alias
        .map(str::to_string)
        .unwrap_or_else(|| alias_from(name));
    let mut v = base(org, name, &alias, "MailUser");
    set(
        &mut v,
        "ExternalEmailAddress",
        json!(format!("SMTP:{external}")),
    );
    set(&mut v, "PrimarySmtpAddress", json!(external));
    set(
        &mut v,
        "EmailAddresses",
        json!([format!("SMTP:{external}")]),
    );
    set(&mut v, "UserPrincipalName", json!(""));
    set(&mut v, "HiddenFromAddressListsEnabled", json!(hidden));
    v
}

async fn ensure_unique(store: &Store, name: &str, addresses: &[&str]) -> Result<(), OnPremError> {
    for r in all(store, RECIPIENT).await? {
        if text(&r.data, "Name").eq_ignore_ascii_case(name) {
            return Err(OnPremError::AlreadyExists(format!(
                "The name '{name}' is being used. Please choose another name."
            )));
        }
        for a in addresses.iter().filter(|a| !a.is_empty()) {
            if names(&r.data, a) {
                return Err(OnPremError::AlreadyExists(format!(
                    "The proxy address \"{a}\" is already being used by \"{}\".",
                    text(&r.data, "Identity")
                )));
            }
        }
    }
    Ok(())
}

pub async fn new_mailbox(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&[
        "Name",
        "Alias",
        "DisplayName",
        "UserPrincipalName",
        "PrimarySmtpAddress",
        "SipAddress",
        "FirstName",
        "LastName",
        "Password",
        "ResetPasswordOnNextLogon",
        "OrganizationalUnit",
        "Archive",
    ])?;
    let org = organization(store).await?;
    let domain = text(&org, "DefaultDomain").to_string();
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
    let mut v = base(&org, &name, &alias, "UserMailbox");
    if let Some(d) = p.string("DisplayName")? {
        set(&mut v, "DisplayName", json!(d));
    }
    set(&mut v, "UserPrincipalName", json!(upn));
    set(&mut v, "PrimarySmtpAddress", json!(primary));
    // A Skype for Business-enabled user also has a SIP proxy address.
    set(
        &mut v,
        "EmailAddresses",
        json!([format!("SMTP:{primary}"), format!("SIP:{sip}")]),
    );
    set(&mut v, "ExchangeGuid", json!(guid()));
    let obj = store
        .directory()
        .create(new_object(RECIPIENT, &name, v))
        .await?;
    // The mailbox itself: its distinguished folders.
    mailbox::provision(store, text(&obj.data, "Guid")).await?;
    if p.bool("Archive")? == Some(true) {
        let mut enable = serde_json::Map::new();
        enable.insert("Identity".into(), json!(text(&obj.data, "Guid")));
        enable.insert("Archive".into(), json!(true));
        return crate::mailbox_settings::enable_mailbox(
            store,
            &Params::new("Enable-Mailbox", enable),
        )
        .await;
    }
    Ok(vec![present(&obj)])
}

pub async fn new_mail_user(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&[
        "Name",
        "ExternalEmailAddress",
        "Alias",
        "DisplayName",
        "PrimarySmtpAddress",
        "FirstName",
        "LastName",
        "OrganizationalUnit",
        "ApplicationAccount",
    ])?;
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
    let mut v = mail_user_object(&org, &name, &external, p.string("Alias")?.as_deref(), false);
    set(&mut v, "PrimarySmtpAddress", json!(primary));
    if let Some(d) = p.string("DisplayName")? {
        set(&mut v, "DisplayName", json!(d));
    }
    // -ApplicationAccount: the account a partner application's tokens act through (the Teams
    // edition's TeamsScheduler), not a person.
    if p.bool("ApplicationAccount")? == Some(true) {
        set(&mut v, "RecipientTypeDetails", json!("MailUser"));
        set(&mut v, "IsApplicationAccount", json!(true));
    }
    let obj = store
        .directory()
        .create(new_object(RECIPIENT, &name, v))
        .await?;
    Ok(vec![present(&obj)])
}

/// Set-Mailbox and Set-MailUser: the usual fields.
pub async fn set_recipient(
    store: &Store,
    p: &Params,
    recipient_type: &str,
) -> Result<Vec<Value>, OnPremError> {
    p.allow(&[
        "Identity",
        "HiddenFromAddressListsEnabled",
        "DisplayName",
        "Alias",
        "PrimarySmtpAddress",
        "ExternalEmailAddress",
        "EmailAddresses",
        "Name",
        "AccountDisabled",
    ])?;
    let id = p.required("Identity")?;
    let obj = resolve_of_type(store, &id, Some(recipient_type)).await?;
    let mut v = obj.data.clone();
    if let Some(h) = p.bool("HiddenFromAddressListsEnabled")? {
        set(&mut v, "HiddenFromAddressListsEnabled", json!(h));
    }
    // The user account behind the recipient: a disabled account signs in nowhere, and its
    // OAuth user tokens are refused.
    if let Some(d) = p.bool("AccountDisabled")? {
        set(&mut v, "AccountDisabled", json!(d));
    }
    for member in ["DisplayName", "Alias", "Name"] {
        if let Some(s) = p.string(member)? {
            set(&mut v, member, json!(s));
        }
    }
    if let Some(a) = p.string("PrimarySmtpAddress")? {
        if !valid_smtp(&a) {
            return Err(OnPremError::InvalidArgument(format!(
                "\"{a}\" isn't a valid SMTP address."
            )));
        }
        set(&mut v, "PrimarySmtpAddress", json!(a));
    }
    if let Some(e) = p.string("ExternalEmailAddress")? {
        if recipient_type != "MailUser" {
            return Err(OnPremError::UnknownParameter("ExternalEmailAddress".into()));
        }
        let e = e.strip_prefix("SMTP:").unwrap_or(&e).to_string();
        set(&mut v, "ExternalEmailAddress", json!(format!("SMTP:{e}")));
    }
    if let Some(list) = p.strings("EmailAddresses")? {
        set(&mut v, "EmailAddresses", json!(list));
    }
    let saved = save(store, &obj, v).await?;
    Ok(vec![present(&saved)])
}

pub async fn get(
    store: &Store,
    p: &Params,
    recipient_type: Option<&str>,
) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity", "ResultSize", "RecipientTypeDetails"])?;
    let id = p.string("Identity")?;
    let mut out = Vec::new();
    for o in all(store, RECIPIENT).await? {
        if recipient_type.is_some_and(|t| text(&o.data, "RecipientType") != t) {
            continue;
        }
        if id.as_deref().is_some_and(|i| !names(&o.data, i)) {
            continue;
        }
        out.push(present(&o));
    }
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
    recipient_type: &str,
) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity", "Permanent"])?;
    let obj = resolve_of_type(store, &p.required("Identity")?, Some(recipient_type)).await?;
    store.directory().delete(&obj).await?;
    Ok(Vec::new())
}

/// A new user's SID: the domain SID and a random relative id.
pub fn user_sid(org: &Value) -> String {
    let id = uuid::Uuid::new_v4();
    let b = id.as_bytes();
    let rid = (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) % 1_000_000_000) + 1100;
    format!("{}-{rid}", text(org, "DomainSid"))
}
