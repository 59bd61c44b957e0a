//! The organization's configuration objects in the store, each a JSON object whose members are
//! the cmdlets' property names. Members starting with `_` are private (a certificate's key)
//! and never leave the server.

use crate::error::OnPremError;
use serde_json::{Map, Value};
use store::{DirectoryObject, NewObject, Store};

pub const ORGANIZATION: &str = "Organization";
pub const ACCEPTED_DOMAIN: &str = "AcceptedDomain";
pub const RECIPIENT: &str = "Recipient";
pub const MANAGEMENT_ROLE: &str = "ManagementRole";
pub const ROLE_ASSIGNMENT: &str = "ManagementRoleAssignment";
pub const CERTIFICATE: &str = "ExchangeCertificate";
pub const AUTH_CONFIG: &str = "AuthConfig";
pub const AUTH_SERVER: &str = "AuthServer";
pub const PARTNER_APPLICATION: &str = "PartnerApplication";
pub const ADMIN_CREDENTIAL: &str = "AdminCredential";
pub const OPERATOR_CREDENTIAL: &str = "OperatorCredential";

/// Kinds whose changes matter to inbound token validation.
pub const TRUST_KINDS: &[&str] = &[
    AUTH_CONFIG,
    AUTH_SERVER,
    PARTNER_APPLICATION,
    ACCEPTED_DOMAIN,
    RECIPIENT,
    ROLE_ASSIGNMENT,
    CERTIFICATE,
];

pub fn now_text() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The object as a cmdlet shows it: private members removed.
pub fn present(obj: &DirectoryObject) -> Value {
    let mut v = obj.data.clone();
    if let Some(m) = v.as_object_mut() {
        m.retain(|k, _| !k.starts_with('_'));
        // Kept as Unix seconds (for the refresh's rate limit), shown as times.
        if let Some(fetches) = m.get_mut("MetadataFetches").and_then(Value::as_array_mut) {
            for f in fetches.iter_mut() {
                if let Some(t) = f
                    .as_i64()
                    .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                    .and_then(|t| {
                        t.format(&time::format_description::well_known::Rfc3339)
                            .ok()
                    })
                {
                    *f = Value::String(t);
                }
            }
        }
    }
    v
}

pub fn text<'v>(v: &'v Value, member: &str) -> &'v str {
    v.get(member).and_then(Value::as_str).unwrap_or("")
}

/// True when `identity` names the object: its Name, Identity, Guid, DistinguishedName, Alias,
/// UserPrincipalName, PrimarySmtpAddress, an SMTP proxy address, or (certificates) Thumbprint.
pub fn names(v: &Value, identity: &str) -> bool {
    let id = identity.trim();
    let eq = |m: &str| !text(v, m).is_empty() && text(v, m).eq_ignore_ascii_case(id);
    if [
        "Name",
        "Identity",
        "Guid",
        "DistinguishedName",
        "Alias",
        "UserPrincipalName",
        "PrimarySmtpAddress",
        "Thumbprint",
    ]
    .iter()
    .any(|m| eq(m))
    {
        return true;
    }
    v.get("EmailAddresses")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter().filter_map(Value::as_str).any(|p| {
                let addr = p.split_once(':').map(|(_, a)| a).unwrap_or(p);
                addr.eq_ignore_ascii_case(id) || p.eq_ignore_ascii_case(id)
            })
        })
}

pub async fn all(store: &Store, kind: &str) -> Result<Vec<DirectoryObject>, OnPremError> {
    Ok(store.directory().list(kind, Some("")).await?)
}

/// Exactly one object of `kind` that `identity` names.
pub async fn resolve(
    store: &Store,
    kind: &str,
    identity: &str,
) -> Result<DirectoryObject, OnPremError> {
    let found: Vec<DirectoryObject> = all(store, kind)
        .await?
        .into_iter()
        .filter(|o| names(&o.data, identity))
        .collect();
    match found.len() {
        0 => Err(OnPremError::NotFound(identity.to_string())),
        1 => Ok(found.into_iter().next().expect("one")),
        _ => Err(OnPremError::Ambiguous(identity.to_string())),
    }
}

/// The objects of `kind` that `identity` names, or all of them.
pub async fn select(
    store: &Store,
    kind: &str,
    identity: Option<&str>,
) -> Result<Vec<DirectoryObject>, OnPremError> {
    let objs = all(store, kind).await?;
    match identity {
        None => Ok(objs),
        Some(id) => {
            let found: Vec<_> = objs.into_iter().filter(|o| names(&o.data, id)).collect();
            if found.is_empty() {
                Err(OnPremError::NotFound(id.to_string()))
            } else {
                Ok(found)
            }
        }
    }
}

pub fn new_object(kind: &str, name: &str, data: Value) -> NewObject {
    NewObject::new(kind, "", name, data)
}

/// Saves `data` over `obj` (refused when someone changed it since it was read).
pub async fn save(
    store: &Store,
    obj: &DirectoryObject,
    data: Value,
) -> Result<DirectoryObject, OnPremError> {
    let name = text(&data, "Name").to_string();
    let name = if name.is_empty() {
        obj.name.clone()
    } else {
        name
    };
    Ok(store.directory().update(obj, &name, data).await?)
}

pub fn set(v: &mut Value, member: &str, value: Value) {
    if let Some(m) = v.as_object_mut() {
        m.insert(member.to_string(), value);
    }
}

pub fn object(pairs: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v.clone());
    }
    Value::Object(m)
}

pub fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `contoso.com/Users/<name>` and `CN=<name>,CN=Users,DC=contoso,DC=com`.
pub fn user_identity(domain: &str, name: &str) -> (String, String) {
    let dcs: Vec<String> = domain.split('.').map(|p| format!("DC={p}")).collect();
    (
        format!("{domain}/Users/{name}"),
        format!("CN={name},CN=Users,{}", dcs.join(",")),
    )
}

pub fn organization_fields(org: &Value) -> (String, String) {
    (
        text(org, "Name").to_string(),
        text(org, "DefaultDomain").to_string(),
    )
}

pub async fn organization(store: &Store) -> Result<Value, OnPremError> {
    all(store, ORGANIZATION)
        .await?
        .into_iter()
        .next()
        .map(|o| o.data)
        .ok_or_else(|| {
            OnPremError::NotFound(
                "the organization (run `hybrid onprem new-organization` first)".into(),
            )
        })
}

pub async fn auth_config(store: &Store) -> Result<DirectoryObject, OnPremError> {
    all(store, AUTH_CONFIG)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| OnPremError::NotFound("Auth Configuration".into()))
}

pub async fn resolve_of_type(
    store: &Store,
    identity: &str,
    recipient_type: Option<&str>,
) -> Result<store::DirectoryObject, OnPremError> {
    let found: Vec<_> = all(store, RECIPIENT)
        .await?
        .into_iter()
        .filter(|o| {
            recipient_type.is_none_or(|t| text(&o.data, "RecipientType") == t)
                && names(&o.data, identity)
        })
        .collect();
    match found.len() {
        0 => Err(OnPremError::NotFound(identity.to_string())),
        1 => Ok(found.into_iter().next().expect("one")),
        _ => Err(OnPremError::Ambiguous(identity.to_string())),
    }
}

/// A recipient by any of its identities.
pub async fn resolve_recipient(
    store: &Store,
    identity: &str,
) -> Result<store::DirectoryObject, OnPremError> {
    resolve_of_type(store, identity, None).await
}
