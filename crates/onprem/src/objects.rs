//! The organization's objects in the store: each kind one type of [`crate::model`], read and
//! written whole, found by the identities the cmdlets resolve.

use crate::error::OnPremError;
use crate::model::{AdminObject, AuthConfig, Organization, Recipient, RecipientType};
use serde::{Deserialize, Serialize};
use store::{DirectoryObject, NewObject, Store};

pub const ADMIN_CREDENTIAL: &str = "AdminCredential";
pub const OPERATOR_CREDENTIAL: &str = "OperatorCredential";

/// Kinds whose changes matter to inbound token validation.
pub const TRUST_KINDS: &[&str] = &[
    crate::model::AuthConfig::KIND,
    crate::model::AuthServer::KIND,
    crate::model::PartnerApplication::KIND,
    crate::model::AcceptedDomain::KIND,
    crate::model::Recipient::KIND,
    crate::model::RoleAssignment::KIND,
    crate::model::ExchangeCertificate::KIND,
];

/// An admin credential as stored: its hash, never the credential.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StoredCredential {
    pub hash: String,
}

impl StoredCredential {
    pub fn object(kind: &str, hash: &str) -> Result<NewObject, OnPremError> {
        Ok(NewObject::new(
            kind,
            "",
            &hash[..16.min(hash.len())],
            to_data(&StoredCredential { hash: hash.into() })?,
        ))
    }
}

pub fn now_text() -> String {
    crate::model::rfc3339(time::OffsetDateTime::now_utc())
}

pub fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// One stored object and its typed value.
#[derive(Debug, Clone)]
pub struct Stored<T> {
    pub row: DirectoryObject,
    pub value: T,
}

/// The value of a stored object; one that cannot be read is logged and read as empty, so it
/// names nothing and is never saved over.
fn read<T: AdminObject>(row: DirectoryObject) -> Option<Stored<T>> {
    match serde_json::from_value::<T>(row.data.clone()) {
        Ok(value) => Some(Stored { row, value }),
        Err(e) => {
            tracing::warn!(kind = %row.kind, name = %row.name, "stored object unreadable: {e}");
            None
        }
    }
}

fn to_data<T: Serialize>(value: &T) -> Result<serde_json::Value, OnPremError> {
    serde_json::to_value(value).map_err(|e| OnPremError::Internal(format!("an object: {e}")))
}

pub async fn all<T: AdminObject>(store: &Store) -> Result<Vec<Stored<T>>, OnPremError> {
    Ok(store
        .directory()
        .list(T::KIND, Some(""))
        .await?
        .into_iter()
        .filter_map(read)
        .collect())
}

/// The stored rows of a kind that has no admin type (credentials).
pub async fn rows(store: &Store, kind: &str) -> Result<Vec<DirectoryObject>, OnPremError> {
    Ok(store.directory().list(kind, Some("")).await?)
}

/// Exactly one object that `identity` names.
pub async fn resolve<T: AdminObject>(
    store: &Store,
    identity: &str,
) -> Result<Stored<T>, OnPremError> {
    let found = select::<T>(store, Some(identity)).await?;
    match found.len() {
        1 => Ok(found.into_iter().next().expect("one")),
        _ => Err(OnPremError::Ambiguous(identity.to_string())),
    }
}

/// The objects that `identity` names (at least one), or all of them.
pub async fn select<T: AdminObject>(
    store: &Store,
    identity: Option<&str>,
) -> Result<Vec<Stored<T>>, OnPremError> {
    let objs = all::<T>(store).await?;
    match identity {
        None => Ok(objs),
        Some(id) => {
            let found: Vec<_> = objs.into_iter().filter(|o| o.value.is_named(id)).collect();
            if found.is_empty() {
                Err(OnPremError::NotFound(id.to_string()))
            } else {
                Ok(found)
            }
        }
    }
}

/// The objects a Get- cmdlet outputs: those `identity` names, or all, as presented.
pub async fn get<T: AdminObject>(
    store: &Store,
    identity: Option<&str>,
) -> Result<Vec<T>, OnPremError> {
    Ok(select::<T>(store, identity)
        .await?
        .iter()
        .map(|o| o.value.presented())
        .collect())
}

/// The row that creates `value`.
pub fn new_object<T: AdminObject>(value: &T) -> Result<NewObject, OnPremError> {
    Ok(NewObject::new(T::KIND, "", value.name(), to_data(value)?))
}

pub async fn create<T: AdminObject>(store: &Store, value: T) -> Result<Stored<T>, OnPremError> {
    let row = store.directory().create(new_object(&value)?).await?;
    Ok(Stored { row, value })
}

/// Saves `value` over `obj` (refused when someone changed it since it was read).
pub async fn save<T: AdminObject>(
    store: &Store,
    obj: &Stored<T>,
    value: T,
) -> Result<Stored<T>, OnPremError> {
    let name = if value.name().is_empty() {
        obj.row.name.clone()
    } else {
        value.name().to_string()
    };
    let row = store
        .directory()
        .update(&obj.row, &name, to_data(&value)?)
        .await?;
    Ok(Stored { row, value })
}

pub async fn delete<T>(store: &Store, obj: &Stored<T>) -> Result<(), OnPremError> {
    Ok(store.directory().delete(&obj.row).await?)
}

/// `contoso.com/Users/<name>` and `CN=<name>,CN=Users,DC=contoso,DC=com`.
pub fn user_identity(domain: &str, name: &str) -> (String, String) {
    let dcs: Vec<String> = domain.split('.').map(|p| format!("DC={p}")).collect();
    (
        format!("{domain}/Users/{name}"),
        format!("CN={name},CN=Users,{}", dcs.join(",")),
    )
}

pub async fn organization_object(store: &Store) -> Result<Stored<Organization>, OnPremError> {
    all::<Organization>(store)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            OnPremError::NotFound(
                "the organization (run `hybrid onprem new-organization` first)".into(),
            )
        })
}

pub async fn organization(store: &Store) -> Result<Organization, OnPremError> {
    Ok(organization_object(store).await?.value)
}

pub async fn auth_config(store: &Store) -> Result<Stored<AuthConfig>, OnPremError> {
    all::<AuthConfig>(store)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| OnPremError::NotFound("Auth Configuration".into()))
}

/// A recipient by any of its identities, of `recipient_type` when given.
pub async fn resolve_of_type(
    store: &Store,
    identity: &str,
    recipient_type: Option<RecipientType>,
) -> Result<Stored<Recipient>, OnPremError> {
    let found: Vec<_> = all::<Recipient>(store)
        .await?
        .into_iter()
        .filter(|o| {
            recipient_type.is_none_or(|t| o.value.recipient_type == t) && o.value.is_named(identity)
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
) -> Result<Stored<Recipient>, OnPremError> {
    resolve_of_type(store, identity, None).await
}
