//! RBAC: the built-in management roles and role assignments to users.

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
    let user = crate::recipients::resolve_recipient(store, &p.required("User")?).await?;
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
        let user = crate::recipients::resolve_recipient(store, &who).await?;
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
    use super::unique_name;

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
