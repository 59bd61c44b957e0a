//! The cloud role's state, outside its router: the store, the settings, the in-memory directory
//! kept fresh from the store, the replay record and the metrics; and who an admin request is.

use crate::error::CloudError;
use crate::replay::ReplayCache;
use crate::snapshot::{Caller, Snapshot};
use crate::sts::StsSettings;
use axum::http::{HeaderMap, header};
use std::sync::{Arc, RwLock};
use store::Store;

/// Settings of a cloud server.
#[derive(Debug, Clone)]
pub struct CloudConfig {
    /// The URL clients reach this server at, e.g. `http://127.0.0.1:8441`; it names the token
    /// endpoint in metadata documents.
    pub public_url: String,
    pub sts: StsSettings,
}

pub struct CloudState {
    pub store: Store,
    pub config: CloudConfig,
    pub(crate) snapshot: RwLock<Arc<Snapshot>>,
    pub replay: ReplayCache,
    /// The shared record of used assertions, written in batches (group commit).
    pub replay_record: store::ReplayRecorder,
    /// What `GET /metrics` reports.
    pub metrics: crate::metrics::CloudMetrics,
    /// Password sign-in failures by name and by address.
    pub lockout: crate::lockout::Lockout,
    /// One reload at a time: otherwise a reload that read the store before a write could
    /// replace the directory a later reload built after it.
    pub(crate) reloading: tokio::sync::Mutex<()>,
}

impl CloudState {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().expect("snapshot lock").clone()
    }

    /// Rebuilds the in-memory directory from the store.
    pub async fn reload(&self) -> Result<(), CloudError> {
        let _one_at_a_time = self.reloading.lock().await;
        let fresh = Snapshot::load(&self.store).await?;
        *self.snapshot.write().expect("snapshot lock") = Arc::new(fresh);
        Ok(())
    }

    /// The caller an admin credential belongs to.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, CloudError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or("")
            .trim();
        if token.is_empty() {
            return Err(CloudError::Unauthorized("Access token is empty.".into()));
        }
        if token.matches('.').count() == 2 {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let authority = authority_of(&self.config.public_url);
            return crate::apptoken::application(&self.snapshot(), token, &authority, now).map_err(
                |why| CloudError::Unauthorized(format!("Access token validation failure: {why}.")),
            );
        }
        let hash = crypto::secret::credential_hash(token);
        self.snapshot()
            .credentials
            .get(&hash)
            .cloned()
            .ok_or_else(|| {
                CloudError::Unauthorized(
                    "Access token validation failure. Invalid credential.".into(),
                )
            })
    }

    pub fn tenant_admin(&self, headers: &HeaderMap) -> Result<String, CloudError> {
        match self.authenticate(headers)? {
            Caller::TenantAdmin { tenant_id } => Ok(tenant_id),
            Caller::Operator => Err(CloudError::Forbidden("The operator credential manages the server; use a tenant administrator credential for the directory.".into())),
            Caller::Application { .. } => Err(CloudError::Forbidden(
                "Insufficient privileges to complete the operation: an application token may only read its own service principal.".into(),
            )),
        }
    }

    pub fn operator(&self, headers: &HeaderMap) -> Result<(), CloudError> {
        match self.authenticate(headers)? {
            Caller::Operator => Ok(()),
            Caller::TenantAdmin { .. } | Caller::Application { .. } => Err(CloudError::Forbidden(
                "This operation needs the server operator credential.".into(),
            )),
        }
    }
}

/// The host (and port) of a URL, lower-cased: the authority an assertion's audience names.
pub(crate) fn authority_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}
