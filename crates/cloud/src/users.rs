//! The tenant's users, synchronized from the on-premises directory as Entra Connect does it:
//! each on-premises recipient becomes a user with its immutable id (base64 of its object guid),
//! its security identifier, its UPN and its mail address, kept in step by a full
//! synchronization (added, changed, disabled, removed). Users sign in with a password an
//! administrator sets here; it is kept as a slow salted hash in an object of its own, never in
//! the user's Graph shape.

use crate::directory::{from_json, to_json};
use crate::error::CloudError;
use crate::model::graph_time;
use serde::{Deserialize, Serialize};
use store::{DirectoryObject, NewObject, Store};

pub const KIND_USER: &str = "User";
pub const KIND_USER_PASSWORD: &str = "UserPassword";

/// A user as Graph's `user` resource shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub display_name: String,
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub account_enabled: bool,
    pub on_premises_security_identifier: Option<String>,
    pub on_premises_immutable_id: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
    pub on_premises_last_sync_date_time: Option<String>,
    /// Refresh tokens and sessions issued before this instant are refused.
    pub sign_in_sessions_valid_from_date_time: String,
    pub created_date_time: String,
}

/// One on-premises recipient as the synchronization sends it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncedUser {
    pub on_premises_immutable_id: String,
    pub on_premises_security_identifier: String,
    pub user_principal_name: String,
    #[serde(default)]
    pub mail: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default = "enabled")]
    pub account_enabled: bool,
}

fn enabled() -> bool {
    true
}

/// What `POST /admin/directory-sync` takes: every on-premises recipient to synchronize.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncRequest {
    pub users: Vec<SyncedUser>,
}

/// What a synchronization changed.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub disabled: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: usize,
}

fn now() -> String {
    graph_time(time::OffsetDateTime::now_utc())
}

impl SyncedUser {
    fn check(&self) -> Result<(), CloudError> {
        let upn = &self.user_principal_name;
        if upn.len() > 256 || upn.split('@').count() != 2 || upn.starts_with('@') {
            return Err(CloudError::BadRequest(format!(
                "userPrincipalName '{upn}' is not of the form name@domain"
            )));
        }
        if !s2s::user_token::is_sid(&self.on_premises_security_identifier) {
            return Err(CloudError::BadRequest(format!(
                "onPremisesSecurityIdentifier '{}' of {upn} is not a security identifier",
                self.on_premises_security_identifier
            )));
        }
        if self.on_premises_immutable_id.trim().is_empty() {
            return Err(CloudError::BadRequest(format!(
                "{upn} has no onPremisesImmutableId"
            )));
        }
        Ok(())
    }

    /// Applies the synchronized attributes; true when anything changed.
    fn apply_to(&self, u: &mut User) -> bool {
        let before = u.clone();
        u.user_principal_name = self.user_principal_name.clone();
        u.mail = self.mail.clone();
        u.display_name = self
            .display_name
            .clone()
            .unwrap_or_else(|| self.user_principal_name.clone());
        u.on_premises_security_identifier = Some(self.on_premises_security_identifier.clone());
        u.account_enabled = self.account_enabled;
        if before.account_enabled && !u.account_enabled {
            // A disabled account loses its sessions at once, as Entra does.
            u.sign_in_sessions_valid_from_date_time = now();
        }
        *u != before
    }
}

pub async fn list(
    store: &Store,
    tenant_id: &str,
) -> Result<Vec<(DirectoryObject, User)>, CloudError> {
    let objs = store.directory().list(KIND_USER, Some(tenant_id)).await?;
    objs.into_iter()
        .map(|o| from_json(&o).map(|u| (o, u)))
        .collect()
}

/// A user by object id or UPN.
pub async fn find(
    store: &Store,
    tenant_id: &str,
    id: &str,
) -> Result<(DirectoryObject, User), CloudError> {
    list(store, tenant_id)
        .await?
        .into_iter()
        .find(|(_, u)| {
            u.id.eq_ignore_ascii_case(id) || u.user_principal_name.eq_ignore_ascii_case(id)
        })
        .ok_or_else(|| CloudError::NotFound(id.to_string()))
}

/// Brings the tenant's synchronized users in step with `request`: new recipients added,
/// changed ones updated, missing ones removed (with their passwords). Users created in the
/// cloud are left alone. Nothing is written when the request is invalid.
pub async fn sync(
    store: &Store,
    tenant_id: &str,
    request: SyncRequest,
) -> Result<SyncReport, CloudError> {
    let mut seen = std::collections::HashSet::new();
    for u in &request.users {
        u.check()?;
        if !seen.insert(u.on_premises_immutable_id.clone()) {
            return Err(CloudError::BadRequest(format!(
                "onPremisesImmutableId '{}' appears twice",
                u.on_premises_immutable_id
            )));
        }
    }
    let existing = list(store, tenant_id).await?;
    let mut report = SyncReport::default();
    let dir = store.directory();
    for (obj, user) in &existing {
        let synced = user.on_premises_sync_enabled == Some(true);
        let kept = user
            .on_premises_immutable_id
            .as_ref()
            .is_some_and(|i| seen.contains(i));
        if synced && !kept {
            dir.delete(obj).await?;
            if let Some(p) = dir.find(KIND_USER_PASSWORD, tenant_id, &user.id).await? {
                dir.delete(&p).await?;
            }
            report.removed.push(user.user_principal_name.clone());
        }
    }
    // New people are added in one transaction: a first synchronization of a large
    // organization is one commit, not one a user.
    let mut added = Vec::new();
    for incoming in &request.users {
        let found = existing.iter().find(|(_, u)| {
            u.on_premises_immutable_id.as_deref() == Some(&incoming.on_premises_immutable_id)
        });
        match found {
            Some((obj, user)) => {
                let mut changed = user.clone();
                if incoming.apply_to(&mut changed) {
                    changed.on_premises_last_sync_date_time = Some(now());
                    dir.update(obj, &obj.name, to_json(&changed)?).await?;
                    if user.account_enabled && !changed.account_enabled {
                        report.disabled.push(changed.user_principal_name.clone());
                    } else {
                        report.updated.push(changed.user_principal_name.clone());
                    }
                } else {
                    report.unchanged += 1;
                }
            }
            None => {
                let user = new_user(incoming);
                // Named by the immutable id: two synchronizations at once cannot both add the
                // same person (the second is refused and adds nothing).
                let name = &incoming.on_premises_immutable_id;
                added.push(NewObject::new(KIND_USER, tenant_id, name, to_json(&user)?));
                report.added.push(user.user_principal_name.clone());
            }
        }
    }
    if !added.is_empty() {
        dir.create_all(added).await?;
    }
    Ok(report)
}

fn new_user(incoming: &SyncedUser) -> User {
    let mut user = User {
        id: uuid::Uuid::new_v4().to_string(),
        display_name: String::new(),
        user_principal_name: String::new(),
        mail: None,
        account_enabled: true,
        on_premises_security_identifier: None,
        on_premises_immutable_id: Some(incoming.on_premises_immutable_id.clone()),
        on_premises_sync_enabled: Some(true),
        on_premises_last_sync_date_time: Some(now()),
        sign_in_sessions_valid_from_date_time: now(),
        created_date_time: now(),
    };
    incoming.apply_to(&mut user);
    user
}

/// Sets (or replaces) a user's sign-in password. Replacing it also ends the user's sessions.
pub async fn set_password(
    store: &Store,
    tenant_id: &str,
    id: &str,
    password: &str,
) -> Result<User, CloudError> {
    if password.chars().count() < 8 || password.len() > 256 {
        return Err(CloudError::BadRequest(
            "a password has 8 to 256 characters".into(),
        ));
    }
    let (_, user) = find(store, tenant_id, id).await?;
    let hash = crypto::password::hash(password);
    let dir = store.directory();
    let data = crate::directory::to_json(&crate::stored::CredentialHash { hash })?;
    match dir.find(KIND_USER_PASSWORD, tenant_id, &user.id).await? {
        Some(existing) => {
            dir.update(&existing, &existing.name, data).await?;
            return revoke_sessions(store, tenant_id, &user.id).await;
        }
        None => {
            dir.create(NewObject::new(
                KIND_USER_PASSWORD,
                tenant_id,
                &user.id,
                data,
            ))
            .await?;
        }
    }
    Ok(user)
}

/// Ends every session and refresh token the user holds (`revokeSignInSessions`).
pub async fn revoke_sessions(store: &Store, tenant_id: &str, id: &str) -> Result<User, CloudError> {
    let (obj, mut user) = find(store, tenant_id, id).await?;
    // Sessions are compared by whole seconds: a token issued in the same second as the
    // revocation is refused too.
    let later = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    user.sign_in_sessions_valid_from_date_time = graph_time(later);
    store
        .directory()
        .update(&obj, &obj.name, to_json(&user)?)
        .await?;
    Ok(user)
}

/// What `PATCH /v1.0/users/{id}` takes.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserPatch {
    pub account_enabled: Option<bool>,
    pub display_name: Option<String>,
}

pub async fn patch(
    store: &Store,
    tenant_id: &str,
    id: &str,
    p: UserPatch,
) -> Result<User, CloudError> {
    let (obj, mut user) = find(store, tenant_id, id).await?;
    if let Some(enabled) = p.account_enabled {
        if user.account_enabled && !enabled {
            user.sign_in_sessions_valid_from_date_time = now();
        }
        user.account_enabled = enabled;
    }
    if let Some(n) = p.display_name {
        user.display_name = n;
    }
    store
        .directory()
        .update(&obj, &obj.name, to_json(&user)?)
        .await?;
    Ok(user)
}
