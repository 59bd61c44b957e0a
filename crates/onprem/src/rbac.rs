//! RBAC: the built-in management roles, custom roles derived from them, their role entries
//! (each entry one EWS method the role allows), and role assignments to users.

use crate::error::OnPremError;
use crate::objects::*;
use crate::params::Params;
use serde_json::{Value, json};
use store::Store;

pub fn assignment_object(
    name: &str,
    role: &str,
    user_identity: &str,
    user_guid: &str,
    assignee_name: &str,
) -> Value {
    object(&[
        ("Name", json!(name)),
        ("Identity", json!(name)),
        ("Role", json!(role)),
        ("RoleAssigneeName", json!(assignee_name)),
        ("RoleAssigneeType", json!("User")),
        ("RoleAssignee", json!(user_identity)),
        ("User", json!(user_identity)),
        ("UserGuid", json!(user_guid)),
        ("AssignmentMethod", json!("Direct")),
        ("EffectiveUserName", json!(assignee_name)),
        ("RoleAssignmentDelegationType", json!("Regular")),
        ("RecipientReadScope", json!("Organization")),
        ("RecipientWriteScope", json!("Organization")),
        ("ConfigReadScope", json!("OrganizationConfig")),
        ("ConfigWriteScope", json!("OrganizationConfig")),
        ("Enabled", json!(true)),
        ("IsValid", json!(true)),
        ("Guid", json!(guid())),
        ("WhenCreated", json!(now_text())),
    ])
}

pub async fn get_role(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity"])?;
    Ok(
        select(store, MANAGEMENT_ROLE, p.string("Identity")?.as_deref())
            .await?
            .iter()
            .map(present)
            .collect(),
    )
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
pub fn role_methods(role: &Value) -> Vec<String> {
    let name = text(role, "Name");
    if let Some((_, _, methods)) = BUILT_IN_ROLES.iter().find(|(n, _, _)| *n == name) {
        return methods().into_iter().map(String::from).collect();
    }
    role["EwsMethods"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect()
}

fn is_built_in(role: &Value) -> bool {
    BUILT_IN_ROLES
        .iter()
        .any(|(n, _, _)| *n == text(role, "Name"))
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
pub async fn new_role(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Name", "Parent", "Description"])?;
    let name = p.required("Name")?;
    let parent = resolve(store, MANAGEMENT_ROLE, &p.required("Parent")?).await?;
    if name.contains('\\') || name.chars().count() > 64 {
        return Err(OnPremError::InvalidArgument(format!(
            "'{name}' is not a role name: at most 64 characters, no backslash."
        )));
    }
    if all(store, MANAGEMENT_ROLE)
        .await?
        .iter()
        .any(|r| text(&r.data, "Name").eq_ignore_ascii_case(&name))
    {
        return Err(OnPremError::AlreadyExists(format!(
            "The management role '{name}' already exists."
        )));
    }
    let v = object(&[
        ("Name", json!(name)),
        ("Identity", json!(name)),
        ("RoleType", json!(text(&parent.data, "RoleType"))),
        ("Parent", json!(text(&parent.data, "Name"))),
        ("IsRootRole", json!(false)),
        ("IsEndUserRole", json!(false)),
        (
            "Description",
            json!(p.string("Description")?.unwrap_or_default()),
        ),
        ("EwsMethods", json!(role_methods(&parent.data))),
        ("Guid", json!(guid())),
        ("WhenCreated", json!(now_text())),
    ]);
    let obj = store
        .directory()
        .create(new_object(MANAGEMENT_ROLE, &name, v))
        .await?;
    Ok(vec![present(&obj)])
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

fn entry_object(role: &str, method: &str) -> Value {
    json!({
        "Name": method, "Role": role, "Identity": format!("{role}\\{method}"),
        "Type": "WebService", "Parameters": [],
    })
}

/// Get-ManagementRoleEntry "Role\Entry" (wildcards in either part).
pub async fn get_role_entry(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity"])?;
    let identity = p.required("Identity")?;
    let (role_pattern, entry_pattern) = entry_identity(&identity)?;
    let mut out = Vec::new();
    for role in all(store, MANAGEMENT_ROLE).await? {
        let name = text(&role.data, "Name");
        if !like(&role_pattern, name) {
            continue;
        }
        for m in role_methods(&role.data) {
            if like(&entry_pattern, &m) {
                out.push(entry_object(name, &m));
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
) -> Result<(store::DirectoryObject, String), OnPremError> {
    let (role, entry) = entry_identity(identity)?;
    let obj = resolve(store, MANAGEMENT_ROLE, &role).await?;
    if is_built_in(&obj.data) {
        return Err(OnPremError::InvalidArgument(format!(
            "The role entries of the built-in role '{role}' can't be changed; make a role from it with New-ManagementRole -Parent {role}."
        )));
    }
    Ok((obj, entry))
}

/// Remove-ManagementRoleEntry "Role\Entry" [-Confirm:$false].
pub async fn remove_role_entry(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity", "Confirm"])?;
    let identity = p.required("Identity")?;
    let (obj, entry) = custom_role_entry(store, &identity).await?;
    let mut methods = role_methods(&obj.data);
    let before = methods.len();
    methods.retain(|m| !m.eq_ignore_ascii_case(&entry));
    if methods.len() == before {
        return Err(OnPremError::NotFound(identity));
    }
    let mut v = obj.data.clone();
    set(&mut v, "EwsMethods", json!(methods));
    save(store, &obj, v).await?;
    Ok(Vec::new())
}

/// Add-ManagementRoleEntry "Role\Entry": an entry of the parent role, back on a custom role.
pub async fn add_role_entry(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity"])?;
    let identity = p.required("Identity")?;
    let (obj, entry) = custom_role_entry(store, &identity).await?;
    let parent = resolve(store, MANAGEMENT_ROLE, text(&obj.data, "Parent")).await?;
    let Some(method) = role_methods(&parent.data)
        .into_iter()
        .find(|m| m.eq_ignore_ascii_case(&entry))
    else {
        return Err(OnPremError::InvalidArgument(format!(
            "The role entry '{entry}' isn't on the parent role '{}'; a role can only hold its parent's entries.",
            text(&parent.data, "Name")
        )));
    };
    let mut methods = role_methods(&obj.data);
    if methods.iter().any(|m| m.eq_ignore_ascii_case(&method)) {
        return Err(OnPremError::AlreadyExists(format!(
            "The role entry '{identity}' already exists."
        )));
    }
    methods.push(method.clone());
    let mut v = obj.data.clone();
    set(&mut v, "EwsMethods", json!(methods));
    save(store, &obj, v).await?;
    Ok(vec![entry_object(text(&obj.data, "Name"), &method)])
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

pub async fn new_assignment(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Role", "User", "Name"])?;
    let role = resolve(store, MANAGEMENT_ROLE, &p.required("Role")?).await?;
    let user = crate::objects::resolve_recipient(store, &p.required("User")?).await?;
    let role_name = text(&role.data, "Name").to_string();
    let existing = all(store, ROLE_ASSIGNMENT).await?;
    if existing.iter().any(|a| {
        text(&a.data, "Role") == role_name && text(&a.data, "UserGuid") == text(&user.data, "Guid")
    }) {
        return Err(OnPremError::AlreadyExists(format!(
            "The role assignment of '{role_name}' to '{}' already exists.",
            text(&user.data, "Name")
        )));
    }
    let taken: Vec<String> = existing
        .iter()
        .map(|a| text(&a.data, "Name").to_string())
        .collect();
    let name = match p.string("Name")? {
        Some(n) => n,
        None => unique_name(&role_name, text(&user.data, "Name"), &taken),
    };
    let v = assignment_object(
        &name,
        &role_name,
        text(&user.data, "Identity"),
        text(&user.data, "Guid"),
        text(&user.data, "Name"),
    );
    let obj = store
        .directory()
        .create(new_object(ROLE_ASSIGNMENT, &name, v))
        .await?;
    Ok(vec![present(&obj)])
}

pub async fn get_assignment(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity", "Role", "RoleAssignee"])?;
    let mut out: Vec<Value> = select(store, ROLE_ASSIGNMENT, p.string("Identity")?.as_deref())
        .await?
        .iter()
        .map(present)
        .collect();
    if let Some(role) = p.string("Role")? {
        out.retain(|a| text(a, "Role").eq_ignore_ascii_case(&role));
    }
    if let Some(who) = p.string("RoleAssignee")? {
        let user = crate::objects::resolve_recipient(store, &who).await?;
        out.retain(|a| text(a, "UserGuid") == text(&user.data, "Guid"));
    }
    Ok(out)
}

pub async fn remove_assignment(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity"])?;
    let obj = resolve(store, ROLE_ASSIGNMENT, &p.required("Identity")?).await?;
    store.directory().delete(&obj).await?;
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
