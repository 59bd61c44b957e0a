//! RBAC: management roles (each entry an EWS method the role allows), their entries, and
//! role assignments to users.

use super::{AdminObject, any_named};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ManagementRole {
    pub name: String,
    pub identity: String,
    pub role_type: String,
    /// The role a custom role was made from; empty for built-in roles.
    pub parent: String,
    pub is_root_role: bool,
    pub is_end_user_role: bool,
    pub description: String,
    /// The EWS methods a custom role allows (a built-in role's are this release's).
    pub ews_methods: Vec<String>,
    pub guid: String,
    pub when_created: String,
}

impl AdminObject for ManagementRole {
    const KIND: &'static str = "ManagementRole";

    fn name(&self) -> &str {
        &self.name
    }

    fn is_named(&self, identity: &str) -> bool {
        any_named(identity, &[&self.name, &self.identity, &self.guid])
    }
}

/// One entry of a role: `Role\Method`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RoleEntry {
    pub name: String,
    pub role: String,
    pub identity: String,
    /// WebService: an EWS method.
    #[serde(rename = "Type")]
    pub kind: String,
    pub parameters: Vec<String>,
}

impl RoleEntry {
    pub fn new(role: &str, method: &str) -> Self {
        RoleEntry {
            name: method.to_string(),
            role: role.to_string(),
            identity: format!("{role}\\{method}"),
            kind: "WebService".into(),
            parameters: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RoleAssignment {
    pub name: String,
    pub identity: String,
    pub role: String,
    pub role_assignee_name: String,
    pub role_assignee_type: String,
    pub role_assignee: String,
    pub user: String,
    /// The assigned user's GUID: what decides whose tokens the role applies to.
    pub user_guid: String,
    pub assignment_method: String,
    pub effective_user_name: String,
    pub role_assignment_delegation_type: String,
    pub recipient_read_scope: String,
    pub recipient_write_scope: String,
    pub config_read_scope: String,
    pub config_write_scope: String,
    pub enabled: bool,
    pub is_valid: bool,
    pub guid: String,
    pub when_created: String,
}

impl AdminObject for RoleAssignment {
    const KIND: &'static str = "ManagementRoleAssignment";

    fn name(&self) -> &str {
        &self.name
    }

    fn is_named(&self, identity: &str) -> bool {
        any_named(identity, &[&self.name, &self.identity, &self.guid])
    }
}
