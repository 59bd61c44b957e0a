//! RBAC: the built-in management roles, custom roles derived from them, their role entries
//! (each entry one EWS method the role allows), and role assignments to users.

use crate::error::OnPremError;
use crate::model::{CmdletObject, ManagementRole, Recipient, RoleAssignment, RoleEntry};
use crate::objects::*;
use crate::params::Params;
use store::Store;

/// A direct assignment of `role` to `user`, organization-wide.
pub fn assignment(name: &str, role: &str, user: &Recipient) -> RoleAssignment {
    RoleAssignment {
        name: name.into(),
        identity: name.into(),
        role: role.into(),
        role_assignee_name: user.name.clone(),
        role_assignee_type: "User".into(),
        role_assignee: user.identity.clone(),
        user: user.identity.clone(),
        user_guid: user.guid.clone(),
        assignment_method: "Direct".into(),
        effective_user_name: user.name.clone(),
        role_assignment_delegation_type: "Regular".into(),
        recipient_read_scope: "Organization".into(),
        recipient_write_scope: "Organization".into(),
        config_read_scope: "OrganizationConfig".into(),
        config_write_scope: "OrganizationConfig".into(),
        enabled: true,
        is_valid: true,
        guid: guid(),
        when_created: now_text(),
    }
}

pub async fn get_role(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let found = get::<ManagementRole>(store, p.string("Identity")?.as_deref()).await?;
    Ok(found.into_iter().map(CmdletObject::from).collect())
}

/// The UM methods Exchange's UserApplication role lists; Hybrid's EWS does not run them, and the
/// role shows them as Exchange's does.
const UM_METHODS: &[&str] = &["GetUMProperties", "IsUMEnabled", "PlayOnPhoneGreeting"];

/// What the ArchiveApplication role grants (and UserApplication does not).
const ARCHIVE_APPLICATION_METHODS: &[&str] = &["UpdateItemInRecoverableItems"];

/// The EWS methods the UserApplication role grants: every operation Hybrid's EWS runs but the
/// archive's, from the one list of operations ([`ews::Operation::NAMES`]), and the UM methods.
pub fn user_application_methods() -> Vec<&'static str> {
    ews::Operation::NAMES
        .iter()
        .filter(|m| !ARCHIVE_APPLICATION_METHODS.contains(m))
        .chain(UM_METHODS)
        .copied()
        .collect()
}

fn archive_application_methods() -> Vec<&'static str> {
    ARCHIVE_APPLICATION_METHODS.to_vec()
}

fn no_methods() -> Vec<&'static str> {
    Vec::new()
}

/// The built-in management roles: (Name, RoleType, its EWS methods).
pub type BuiltInRole = (&'static str, &'static str, fn() -> Vec<&'static str>);

pub const BUILT_IN_ROLES: &[BuiltInRole] = &[
    (
        "UserApplication",
        "UserApplication",
        user_application_methods,
    ),
    (
        "ArchiveApplication",
        "ArchiveApplication",
        archive_application_methods,
    ),
    (
        "ApplicationImpersonation",
        "ApplicationImpersonation",
        no_methods,
    ),
    ("Mail Recipients", "MailRecipients", no_methods),
    ("LegalHoldApplication", "LegalHoldApplication", no_methods),
    ("Mailbox Search", "MailboxSearch", no_methods),
];

/// The EWS methods a role allows: its entries (a built-in role's are this release's).
pub fn role_methods(role: &ManagementRole) -> Vec<String> {
    if let Some((_, _, methods)) = BUILT_IN_ROLES.iter().find(|(n, _, _)| *n == role.name) {
        return methods().into_iter().map(String::from).collect();
    }
    role.ews_methods.clone()
}

fn is_built_in(role: &ManagementRole) -> bool {
    BUILT_IN_ROLES.iter().any(|(n, _, _)| *n == role.name)
}

/// A built-in role as Setup creates it.
pub fn built_in_role(role: &BuiltInRole) -> ManagementRole {
    let (name, role_type, methods) = role;
    ManagementRole {
        name: name.to_string(),
        identity: name.to_string(),
        role_type: role_type.to_string(),
        is_root_role: true,
        ews_methods: methods().into_iter().map(String::from).collect(),
        guid: guid(),
        when_created: now_text(),
        ..Default::default()
    }
}

/// PowerShell's `-like`: `*` any run, `?` one character, case-insensitive.
pub fn like(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b) && go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    go(&p, &t)
}

/// New-ManagementRole -Name -Parent: a custom role of the parent's type with its entries.
pub async fn new_role(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let name = p.required("Name")?;
    let parent = resolve::<ManagementRole>(store, &p.required("Parent")?)
        .await?
        .value;
    if name.contains('\\') || name.chars().count() > 64 {
        return Err(OnPremError::InvalidArgument(format!(
            "'{name}' is not a role name: at most 64 characters, no backslash."
        )));
    }
    if all::<ManagementRole>(store)
        .await?
        .iter()
        .any(|r| r.value.name.eq_ignore_ascii_case(&name))
    {
        return Err(OnPremError::AlreadyExists(format!(
            "The management role '{name}' already exists."
        )));
    }
    let role = ManagementRole {
        identity: name.clone(),
        name,
        role_type: parent.role_type.clone(),
        parent: parent.name.clone(),
        is_root_role: false,
        is_end_user_role: false,
        description: p.string("Description")?.unwrap_or_default(),
        ews_methods: role_methods(&parent),
        guid: guid(),
        when_created: now_text(),
    };
    Ok(vec![create(store, role).await?.value.into()])
}

/// `Role\Entry`, each part possibly a wildcard pattern.
fn entry_identity(identity: &str) -> Result<(String, String), OnPremError> {
    identity
        .split_once('\\')
        .map(|(r, e)| (r.trim().to_string(), e.trim().to_string()))
        .filter(|(r, e)| !r.is_empty() && !e.is_empty())
        .ok_or_else(|| {
            OnPremError::InvalidArgument(format!(
                "'{identity}' is not a role entry identity: write Role\\Entry (wildcards allowed)."
            ))
        })
}

/// Get-ManagementRoleEntry "Role\Entry" (wildcards in either part).
pub async fn get_role_entry(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let identity = p.required("Identity")?;
    let (role_pattern, entry_pattern) = entry_identity(&identity)?;
    let mut out = Vec::new();
    for role in all::<ManagementRole>(store).await? {
        let role = role.value;
        if !like(&role_pattern, &role.name) {
            continue;
        }
        for m in role_methods(&role) {
            if like(&entry_pattern, &m) {
                out.push(RoleEntry::new(&role.name, &m).into());
            }
        }
    }
    if out.is_empty() && !identity.contains(['*', '?']) {
        return Err(OnPremError::NotFound(identity));
    }
    Ok(out)
}

/// A custom role (entries of built-in roles cannot change) and the entry the identity names.
async fn custom_role_entry(
    store: &Store,
    identity: &str,
) -> Result<(Stored<ManagementRole>, String), OnPremError> {
    let (role, entry) = entry_identity(identity)?;
    let obj = resolve::<ManagementRole>(store, &role).await?;
    if is_built_in(&obj.value) {
        return Err(OnPremError::InvalidArgument(format!(
            "The role entries of the built-in role '{role}' can't be changed; make a role from it with New-ManagementRole -Parent {role}."
        )));
    }
    Ok((obj, entry))
}

/// Remove-ManagementRoleEntry "Role\Entry" [-Confirm:$false].
pub async fn remove_role_entry(
    store: &Store,
    p: &Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let identity = p.required("Identity")?;
    let (obj, entry) = custom_role_entry(store, &identity).await?;
    let mut v = obj.value.clone();
    let before = v.ews_methods.len();
    v.ews_methods.retain(|m| !m.eq_ignore_ascii_case(&entry));
    if v.ews_methods.len() == before {
        return Err(OnPremError::NotFound(identity));
    }
    save(store, &obj, v).await?;
    Ok(Vec::new())
}

/// Add-ManagementRoleEntry "Role\Entry": an entry of the parent role, back on a custom role.
pub async fn add_role_entry(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let identity = p.required("Identity")?;
    let (obj, entry) = custom_role_entry(store, &identity).await?;
    let parent = resolve::<ManagementRole>(store, &obj.value.parent)
        .await?
        .value;
    let Some(method) = role_methods(&parent)
        .into_iter()
        .find(|m| m.eq_ignore_ascii_case(&entry))
    else {
        return Err(OnPremError::InvalidArgument(format!(
            "The role entry '{entry}' isn't on the parent role '{}'; a role can only hold its parent's entries.",
            parent.name
        )));
    };
    let mut v = obj.value.clone();
    if v.ews_methods
        .iter()
        .any(|m| m.eq_ignore_ascii_case(&method))
    {
        return Err(OnPremError::AlreadyExists(format!(
            "The role entry '{identity}' already exists."
        )));
    }
    v.ews_methods.push(method.clone());
    let saved = save(store, &obj, v).await?;
    Ok(vec![RoleEntry::new(&saved.value.name, &method).into()])
}

/// `<Role>-<Assignee>`, at most 64 characters, made unique with a number.
fn unique_name(role: &str, assignee: &str, taken: &[String]) -> String {
    let base: String = format!("{role}-{assignee}").chars().take(64).collect();
    if !taken.iter().any(|t| t.eq_ignore_ascii_case(&base)) {
        return base;
    }
    for n in 1.. {
        let suffix = n.to_string();
        let stem: String = base.chars().take(64 - suffix.len()).collect();
        let candidate = format!("{stem}{suffix}");
        if !taken.iter().any(|t| t.eq_ignore_ascii_case(&candidate)) {
            return candidate;
        }
    }
    unreachable!("some number is free")
}

pub async fn new_assignment(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let role = resolve::<ManagementRole>(store, &p.required("Role")?)
        .await?
        .value;
    let user = resolve_recipient(store, &p.required("User")?).await?.value;
    let existing = all::<RoleAssignment>(store).await?;
    if existing
        .iter()
        .any(|a| a.value.role == role.name && a.value.user_guid == user.guid)
    {
        return Err(OnPremError::AlreadyExists(format!(
            "The role assignment of '{}' to '{}' already exists.",
            role.name, user.name
        )));
    }
    let taken: Vec<String> = existing.into_iter().map(|a| a.value.name).collect();
    let name = match p.string("Name")? {
        Some(n) => n,
        None => unique_name(&role.name, &user.name, &taken),
    };
    let v = assignment(&name, &role.name, &user);
    Ok(vec![create(store, v).await?.value.into()])
}

pub async fn get_assignment(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let mut out = get::<RoleAssignment>(store, p.string("Identity")?.as_deref()).await?;
    if let Some(role) = p.string("Role")? {
        out.retain(|a| a.role.eq_ignore_ascii_case(&role));
    }
    if let Some(who) = p.string("RoleAssignee")? {
        let user = resolve_recipient(store, &who).await?.value;
        out.retain(|a| a.user_guid == user.guid);
    }
    Ok(out.into_iter().map(CmdletObject::from).collect())
}

pub async fn remove_assignment(
    store: &Store,
    p: &Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let obj = resolve::<RoleAssignment>(store, &p.required("Identity")?).await?;
    delete(store, &obj).await?;
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::{BUILT_IN_ROLES, like, unique_name, user_application_methods};

    /// A new operation in the EWS crate's list is granted by the application roles without an
    /// edit here: UserApplication, or ArchiveApplication for the archive's own.
    #[test]
    fn every_operation_is_granted_by_one_application_role() {
        for op in ews::Operation::NAMES {
            let granted_by: Vec<&str> = BUILT_IN_ROLES
                .iter()
                .filter(|(_, _, methods)| methods().contains(op))
                .map(|(name, _, _)| *name)
                .collect();
            assert_eq!(granted_by.len(), 1, "{op}: {granted_by:?}");
        }
        assert!(user_application_methods().contains(&"PlayOnPhoneGreeting"));
        assert!(!user_application_methods().contains(&"UpdateItemInRecoverableItems"));
    }

    #[test]
    fn like_as_powershell_matches() {
        assert!(like("TeamsSchedulerRole", "teamsschedulerrole"));
        assert!(like("*", "GetDelegate"));
        assert!(like("Get*", "GetDelegate") && !like("Get*", "FindItem"));
        assert!(like("?etDelegate", "GetDelegate") && !like("?", ""));
        assert!(!like("GetDelegate", "GetDelegates"));
    }

    #[test]
    fn generated_names() {
        assert_eq!(
            unique_name("UserApplication", "SfBOnline-ApplicationAccount", &[]),
            "UserApplication-SfBOnline-ApplicationAccount"
        );
        let taken = vec!["UserApplication-x".to_string()];
        assert_eq!(
            unique_name("UserApplication", "x", &taken),
            "UserApplication-x1"
        );
        let long = "a".repeat(80);
        assert_eq!(unique_name("Role", &long, &[]).chars().count(), 64);
    }
}
