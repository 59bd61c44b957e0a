//! The cloud's admin API: tenants (the operator's) and Graph's service principals (a tenant
//! administrator's).

use crate::client::AdminClient;
use crate::error::AdminError;
use cloud::admin_types::{NewTenantRequest, NewTenantResponse, ServicePrincipalPatch};
use reqwest::Method;

#[derive(Clone)]
pub struct CloudAdmin(pub AdminClient);

impl CloudAdmin {
    pub fn new(base: &str, credential: &str) -> CloudAdmin {
        CloudAdmin(AdminClient::new(base, credential))
    }

    /// Creates a tenant (the operator credential): its id and first admin credential.
    pub async fn new_tenant(
        &self,
        domain: &str,
        display_name: Option<&str>,
    ) -> Result<NewTenantResponse, AdminError> {
        let req = NewTenantRequest {
            domain: domain.to_string(),
            display_name: display_name.map(str::to_string),
        };
        self.0.post("/admin/tenants", &req).await
    }

    /// Changes the service principal of `app_id` (a tenant administrator's credential).
    pub async fn patch_service_principal(
        &self,
        app_id: &str,
        patch: &ServicePrincipalPatch,
    ) -> Result<(), AdminError> {
        let path = format!("/v1.0/servicePrincipals(appId='{app_id}')");
        self.0.call_unread(Method::PATCH, &path, Some(patch)).await
    }
}
