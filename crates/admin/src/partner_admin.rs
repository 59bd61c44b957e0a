//! The partner's operator API: its signing certificate, its users and its settings.

use crate::client::AdminClient;
use crate::error::AdminError;
use partner::Settings;
use partner::admin_types::{NewUser, PartnerUser, SigningCertificate};
use reqwest::Method;

#[derive(Clone)]
pub struct PartnerAdmin(pub AdminClient);

impl PartnerAdmin {
    pub fn new(base: &str, credential: &str) -> PartnerAdmin {
        PartnerAdmin(AdminClient::new(base, credential))
    }

    /// The certificate the partner signs with now.
    pub async fn signing_certificate(&self) -> Result<SigningCertificate, AdminError> {
        self.0.get("/admin/signing-certificate").await
    }

    pub async fn new_user(&self, user: &NewUser) -> Result<PartnerUser, AdminError> {
        self.0.post("/api/users", user).await
    }

    pub async fn settings(&self) -> Result<Settings, AdminError> {
        self.0.get("/admin/settings").await
    }

    pub async fn set_settings(&self, settings: &Settings) -> Result<(), AdminError> {
        self.0
            .call_unread(Method::PUT, "/admin/settings", Some(settings))
            .await
    }
}
