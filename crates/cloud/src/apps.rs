//! App registrations in Microsoft Graph's shapes: applications (with their key credentials and
//! the permissions they require), the service principal of each in its tenant, and app role
//! assignments (an administrator's consent to an application permission).
//!
//! Microsoft's first-party applications define their application permissions themselves; the
//! one this service knows is Office 365 Exchange Online's `full_access_as_app`, which an
//! Exchange hybrid application is granted.

use crate::directory::{from_json, to_json};
use crate::error::CloudError;
use crate::model::{KeyCredential, ServicePrincipal, complete_key_credential, graph_time};
use serde::{Deserialize, Serialize};
use store::{NewObject, Store};

pub const KIND_APPLICATION: &str = "Application";
pub const KIND_APP_ROLE_ASSIGNMENT: &str = "AppRoleAssignment";

/// Office 365 Exchange Online's application permission "Use Exchange Web Services with full
/// access to all mailboxes".
pub const FULL_ACCESS_AS_APP: &str = "full_access_as_app";
pub const FULL_ACCESS_AS_APP_ID: &str = "dc890d15-9560-4a4c-9b7f-a736ec74ec40";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AppRole {
    pub id: String,
    pub value: String,
    pub display_name: String,
    pub description: String,
    pub allowed_member_types: Vec<String>,
    pub is_enabled: bool,
}

/// The application permissions a first-party application defines.
pub fn first_party_app_roles(app_id: &str) -> Vec<AppRole> {
    if !app_id.eq_ignore_ascii_case(s2s::ids::EXCHANGE_APP_ID) {
        return Vec::new();
    }
    vec![AppRole {
        id: FULL_ACCESS_AS_APP_ID.into(),
        value: FULL_ACCESS_AS_APP.into(),
        display_name: "Use Exchange Web Services with full access to all mailboxes".into(),
        description: "Allows the app to have full access via Exchange Web Services to all mailboxes without a signed-in user.".into(),
        allowed_member_types: vec!["Application".into()],
        is_enabled: true,
    }]
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ResourceAccess {
    pub id: String,
    /// "Role" (an application permission) or "Scope" (a delegated one).
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RequiredResourceAccess {
    pub resource_app_id: String,
    pub resource_access: Vec<ResourceAccess>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub sign_in_audience: String,
    #[serde(default)]
    pub identifier_uris: Vec<String>,
    #[serde(default)]
    pub key_credentials: Vec<KeyCredential>,
    #[serde(default)]
    pub required_resource_access: Vec<RequiredResourceAccess>,
    pub created_date_time: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AppRoleAssignment {
    pub id: String,
    pub app_role_id: String,
    pub created_date_time: String,
    pub principal_display_name: String,
    pub principal_id: String,
    pub principal_type: String,
    pub resource_display_name: String,
    pub resource_id: String,
}

/// What `POST /v1.0/applications` and `PATCH` take.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplicationInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_audience: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier_uris: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_credentials: Option<Vec<KeyCredential>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_resource_access: Option<Vec<RequiredResourceAccess>>,
}

impl ApplicationInput {
    /// Applies the given properties, each checked (key credentials completed from their
    /// certificates; permissions must be ones the resource defines).
    pub fn apply_to(self, app: &mut Application) -> Result<(), CloudError> {
        if let Some(n) = self.display_name {
            if n.trim().is_empty() {
                return Err(CloudError::BadRequest(
                    "displayName may not be empty".into(),
                ));
            }
            app.display_name = n;
        }
        if let Some(a) = self.sign_in_audience {
            if a != "AzureADMyOrg" && a != "AzureADMultipleOrgs" {
                return Err(CloudError::BadRequest(format!(
                    "signInAudience '{a}' is not supported; use AzureADMyOrg or AzureADMultipleOrgs"
                )));
            }
            app.sign_in_audience = a;
        }
        if let Some(uris) = self.identifier_uris {
            app.identifier_uris = uris;
        }
        if let Some(keys) = self.key_credentials {
            app.key_credentials = keys
                .iter()
                .map(|k| complete_key_credential(k).map(|(k, _)| k))
                .collect::<Result<_, _>>()?;
        }
        if let Some(rra) = self.required_resource_access {
            for r in &rra {
                for a in &r.resource_access {
                    let known = a.kind == "Role"
                        && first_party_app_roles(&r.resource_app_id)
                            .iter()
                            .any(|role| role.id.eq_ignore_ascii_case(&a.id));
                    if !known {
                        return Err(CloudError::BadRequest(format!(
                            "the permission {} ({}) is not defined by application {}",
                            a.id, a.kind, r.resource_app_id
                        )));
                    }
                }
            }
            app.required_resource_access = rra;
        }
        Ok(())
    }
}

fn now() -> String {
    graph_time(time::OffsetDateTime::now_utc())
}

pub async fn create_application(
    store: &Store,
    tenant_id: &str,
    input: ApplicationInput,
) -> Result<Application, CloudError> {
    if input
        .display_name
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        return Err(CloudError::BadRequest(
            "an application needs a displayName".into(),
        ));
    }
    let mut app = Application {
        id: uuid::Uuid::new_v4().to_string(),
        app_id: uuid::Uuid::new_v4().to_string(),
        display_name: String::new(),
        sign_in_audience: "AzureADMyOrg".into(),
        identifier_uris: Vec::new(),
        key_credentials: Vec::new(),
        required_resource_access: Vec::new(),
        created_date_time: now(),
    };
    input.apply_to(&mut app)?;
    let policy = crate::policy::get(store, tenant_id).await?;
    crate::policy::check_new_keys(&policy, &app.created_date_time, &[], &app.key_credentials)?;
    store
        .directory()
        .create(NewObject::new(
            KIND_APPLICATION,
            tenant_id,
            &app.app_id,
            to_json(&app)?,
        ))
        .await?;
    Ok(app)
}

pub async fn list_applications(
    store: &Store,
    tenant_id: &str,
) -> Result<Vec<(store::DirectoryObject, Application)>, CloudError> {
    let objs = store
        .directory()
        .list(KIND_APPLICATION, Some(tenant_id))
        .await?;
    objs.into_iter()
        .map(|o| from_json(&o).map(|a| (o, a)))
        .collect()
}

/// An application by appId (one keyed read: applications are stored under it) or object id.
pub async fn find_application(
    store: &Store,
    tenant_id: &str,
    id: &str,
) -> Result<(store::DirectoryObject, Application), CloudError> {
    if let Some(obj) = store
        .directory()
        .find(KIND_APPLICATION, tenant_id, id)
        .await?
    {
        let app = from_json(&obj)?;
        return Ok((obj, app));
    }
    list_applications(store, tenant_id)
        .await?
        .into_iter()
        .find(|(_, a)| a.id.eq_ignore_ascii_case(id) || a.app_id.eq_ignore_ascii_case(id))
        .ok_or_else(|| CloudError::NotFound(id.to_string()))
}

pub async fn update_application(
    store: &Store,
    tenant_id: &str,
    id: &str,
    input: ApplicationInput,
) -> Result<Application, CloudError> {
    let (obj, mut app) = find_application(store, tenant_id, id).await?;
    let before = app.key_credentials.clone();
    input.apply_to(&mut app)?;
    let policy = crate::policy::get(store, tenant_id).await?;
    crate::policy::check_new_keys(
        &policy,
        &app.created_date_time,
        &before,
        &app.key_credentials,
    )?;
    store
        .directory()
        .update(&obj, &obj.name, to_json(&app)?)
        .await?;
    Ok(app)
}

/// The service principal of one of the tenant's applications (`POST /v1.0/servicePrincipals`).
pub async fn create_service_principal(
    store: &Store,
    tenant_id: &str,
    app_id: &str,
) -> Result<ServicePrincipal, CloudError> {
    let (_, app) = find_application(store, tenant_id, app_id).await.map_err(|_| {
        CloudError::BadRequest(format!(
            "The appId '{app_id}' of the object referenced does not exist or is not an application of this tenant."
        ))
    })?;
    let mut names = vec![app.app_id.clone()];
    names.extend(app.identifier_uris.iter().cloned());
    let sp = ServicePrincipal {
        id: uuid::Uuid::new_v4().to_string(),
        app_id: app.app_id.clone(),
        display_name: app.display_name.clone(),
        account_enabled: true,
        service_principal_type: "Application".into(),
        sign_in_audience: app.sign_in_audience.clone(),
        app_owner_organization_id: Some(tenant_id.to_string()),
        service_principal_names: names,
        key_credentials: Vec::new(),
    };
    store
        .directory()
        .create(NewObject::new(
            crate::model::KIND_SERVICE_PRINCIPAL,
            tenant_id,
            &sp.app_id,
            to_json(&sp)?,
        ))
        .await
        .map_err(|e| match e {
            store::StoreError::Duplicate { .. } => CloudError::Conflict(format!(
                "application {app_id} already has a service principal in this tenant"
            )),
            other => other.into(),
        })?;
    Ok(sp)
}

/// What `POST /v1.0/servicePrincipals/{id}/appRoleAssignments` takes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentInput {
    pub principal_id: String,
    pub resource_id: String,
    pub app_role_id: String,
}

/// Grants `principal` (a service principal) the application permission `app_role_id` of
/// `resource` (a service principal): admin consent. Granting it again is refused.
pub async fn assign_app_role(
    store: &Store,
    tenant_id: &str,
    principal: &ServicePrincipal,
    resource: &ServicePrincipal,
    app_role_id: &str,
) -> Result<AppRoleAssignment, CloudError> {
    let defined = first_party_app_roles(&resource.app_id)
        .into_iter()
        .any(|r| r.id.eq_ignore_ascii_case(app_role_id));
    if !defined {
        return Err(CloudError::BadRequest(format!(
            "Permission being assigned was not found on application '{}'.",
            resource.app_id
        )));
    }
    let existing = assignments(store, tenant_id).await?;
    if existing.iter().any(|a| {
        a.principal_id.eq_ignore_ascii_case(&principal.id)
            && a.resource_id.eq_ignore_ascii_case(&resource.id)
            && a.app_role_id.eq_ignore_ascii_case(app_role_id)
    }) {
        return Err(CloudError::Conflict(
            "Permission being assigned already exists on the object.".into(),
        ));
    }
    let a = AppRoleAssignment {
        id: uuid::Uuid::new_v4().to_string(),
        app_role_id: app_role_id.to_ascii_lowercase(),
        created_date_time: now(),
        principal_display_name: principal.display_name.clone(),
        principal_id: principal.id.clone(),
        principal_type: "ServicePrincipal".into(),
        resource_display_name: resource.display_name.clone(),
        resource_id: resource.id.clone(),
    };
    store
        .directory()
        .create(NewObject::new(
            KIND_APP_ROLE_ASSIGNMENT,
            tenant_id,
            &a.id,
            to_json(&a)?,
        ))
        .await?;
    Ok(a)
}

pub async fn assignments(
    store: &Store,
    tenant_id: &str,
) -> Result<Vec<AppRoleAssignment>, CloudError> {
    let objs = store
        .directory()
        .list(KIND_APP_ROLE_ASSIGNMENT, Some(tenant_id))
        .await?;
    objs.iter().map(from_json).collect()
}
