//! The partner service's server: its start (the operator credential, the signing key, the queue
//! worker) and its router over the handlers.

use crate::PartnerError;
use crate::api;
use crate::ewsclient::EwsClient;
use crate::kinds::*;
use crate::state::{AppState, PartnerState};
use crate::tokens::TokenClient;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post, put};
use crypto::Certificate;
use std::sync::Arc;
use store::{NewObject, Store};

pub struct PartnerServer {
    pub state: Arc<PartnerState>,
    operator_hash: String,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for PartnerServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The operator credential, created on first start; returned when it was just made.
pub async fn ensure_operator_credential(store: &Store) -> Result<Option<String>, PartnerError> {
    if store
        .directory()
        .find(KIND_OPERATOR, "", "operator")
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let c = crypto::secret::new_credential();
    store
        .directory()
        .create(NewObject::new(
            KIND_OPERATOR,
            "",
            "operator",
            serde_json::to_value(OperatorCredential {
                hash: crypto::secret::credential_hash(&c),
            })
            .map_err(|e| PartnerError::Internal(e.to_string()))?,
        ))
        .await?;
    Ok(Some(c))
}

/// The operator credential as stored: its hash, never the credential.
#[derive(serde::Serialize, serde::Deserialize)]
struct OperatorCredential {
    hash: String,
}

impl PartnerServer {
    pub async fn start(store: Store, retry_base_ms: i64) -> Result<PartnerServer, PartnerError> {
        let lease_ms = std::env::var("HYBRID_WORK_LEASE_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|v| *v >= 100)
            .unwrap_or(60_000);
        Self::start_with_lease(store, retry_base_ms, lease_ms).await
    }

    /// [`PartnerServer::start`] with how long a claim on queued work lasts.
    pub async fn start_with_lease(
        store: Store,
        retry_base_ms: i64,
        lease_ms: i64,
    ) -> Result<PartnerServer, PartnerError> {
        let operator = store
            .directory()
            .find(KIND_OPERATOR, "", "operator")
            .await?;
        let operator_hash = operator
            .and_then(|o| serde_json::from_value::<OperatorCredential>(o.data).ok())
            .map(|o| o.hash)
            .unwrap_or_default();
        let signing = crate::signing::load_current(&store).await?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            // Hybrid's servers close a connection idle for 10 s (their header deadline); a
            // pooled connection is let go before that, so a request never races the close.
            .pool_idle_timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| PartnerError::Internal(e.to_string()))?;
        let state = Arc::new(PartnerState {
            store,
            tokens: TokenClient::new(http.clone()),
            ews: EwsClient::new(http),
            signing: std::sync::RwLock::new(Arc::new(signing)),
            retry_base_ms,
            work_lease_ms: lease_ms,
            peer_trust: Default::default(),
            discovered: Default::default(),
            config: Default::default(),
            metrics: Default::default(),
        });
        let adopted = crate::work::adopt_directory_work(&state.store).await?;
        if adopted > 0 {
            tracing::info!(
                jobs = adopted,
                "work of the first release moved into the queue"
            );
        }
        let tasks = vec![tokio::spawn(crate::work::worker(state.clone()))];
        Ok(PartnerServer {
            state,
            operator_hash,
            tasks,
        })
    }

    pub fn router(&self) -> Router {
        let app = AppState {
            state: self.state.clone(),
            operator_hash: Arc::new(self.operator_hash.clone()),
        };
        let router = Router::new()
            .route("/health", get(|| async { "ok" }))
            .route(
                "/admin/settings",
                put(api::put_settings).get(api::get_settings),
            )
            .route(
                "/admin/signing-certificate",
                get(crate::signing_api::get_certificate),
            )
            .route(
                "/admin/signing-certificate/next",
                post(crate::signing_api::stage_next),
            )
            .route(
                "/admin/signing-certificate/publish",
                post(crate::signing_api::publish),
            )
            .route(
                "/admin/test-oauth-connectivity",
                post(api::test_oauth_connectivity),
            )
            .route("/api/users", post(api::new_user).get(api::list_users))
            .route("/api/conversations", post(crate::work::new_conversation))
            .route("/api/work/{id}", get(crate::work::get_work))
            .route("/admin/queue", get(crate::work::list_queue))
            .route("/admin/queue/{id}/retry", post(crate::work::retry_job))
            .route("/metrics", get(metrics))
            .route(
                "/api/users/{user}/presence",
                put(crate::presence::set_presence).get(crate::presence::show_presence),
            )
            .route("/s2s/presence/{user}", get(crate::presence::get_presence))
            .route("/admin/handshakes", get(crate::presence::handshakes))
            .route(
                "/api/users/{user}/greeting",
                put(api::set_greeting)
                    .get(api::get_greeting)
                    .delete(api::delete_greeting),
            )
            .route("/api/users/{user}/delegates", get(api::get_delegates))
            .layer(DefaultBodyLimit::max(6 * 1024 * 1024));
        self.state.metrics.telemetry.layer(router).with_state(app)
    }

    /// Stops this server's queue worker (the work is left to other processes).
    pub fn stop_worker(&self) {
        self.tasks.iter().for_each(|t| t.abort());
    }

    pub fn certificate(&self) -> Certificate {
        self.state.signing().certificate.clone()
    }
}

/// `GET /metrics` (the operator's).
async fn metrics(State(a): State<AppState>, headers: HeaderMap) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let m = &a.state.metrics;
    m.observe_queue(&a.state.store.queue().stats().await?);
    m.telemetry
        .set_change_feed_lag_ms(a.state.store.change_feed_lag_ms());
    Ok(m.telemetry.response())
}
