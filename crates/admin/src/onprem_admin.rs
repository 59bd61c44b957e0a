//! The on-premises admin API: the organization's bootstrap, and cmdlets answering the
//! organization's own types.

use crate::client::AdminClient;
use crate::error::AdminError;
use onprem::model::api::{
    CmdletRequest, CmdletResponse, NewOrganizationRequest, NewOrganizationResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A cmdlet's parameters as the shell binds them: text, `$true`, lists.
#[derive(Debug, Clone, Default)]
pub struct Parameters(Map<String, Value>);

impl Parameters {
    pub fn new() -> Parameters {
        Parameters::default()
    }

    /// With `name` set to `value` (text, a boolean, a list of text).
    pub fn with(mut self, name: &str, value: impl Serialize) -> Parameters {
        let v = serde_json::to_value(value).expect("a parameter value serializes");
        self.0.insert(name.to_string(), v);
        self
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

impl From<Map<String, Value>> for Parameters {
    fn from(m: Map<String, Value>) -> Parameters {
        Parameters(m)
    }
}

/// The organization admin's (or, for the bootstrap, the operator's) calls.
#[derive(Clone)]
pub struct OnPremAdmin(pub AdminClient);

impl OnPremAdmin {
    pub fn new(base: &str, credential: &str) -> OnPremAdmin {
        OnPremAdmin(AdminClient::new(base, credential))
    }

    /// Creates the organization (the operator credential): its admin credential, shown once.
    pub async fn new_organization(
        &self,
        req: &NewOrganizationRequest,
    ) -> Result<NewOrganizationResponse, AdminError> {
        self.0.post("/admin/organization", req).await
    }

    /// One cmdlet call, its objects read as `T` (and what -WhatIf said).
    pub async fn cmdlet<T: DeserializeOwned>(
        &self,
        cmdlet: &str,
        parameters: Parameters,
    ) -> Result<CmdletResponse<T>, AdminError> {
        let req = CmdletRequest {
            cmdlet: cmdlet.to_string(),
            parameters: parameters.into_map(),
        };
        self.0.post("/admin/cmdlet", &req).await
    }

    /// One cmdlet call's objects.
    pub async fn run<T: DeserializeOwned>(
        &self,
        cmdlet: &str,
        parameters: Parameters,
    ) -> Result<Vec<T>, AdminError> {
        Ok(self.cmdlet(cmdlet, parameters).await?.output)
    }

    /// One cmdlet call whose objects are not read.
    pub async fn invoke(&self, cmdlet: &str, parameters: Parameters) -> Result<(), AdminError> {
        self.cmdlet::<serde::de::IgnoredAny>(cmdlet, parameters)
            .await
            .map(drop)
    }
}
