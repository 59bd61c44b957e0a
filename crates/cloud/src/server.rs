//! The cloud role's server: its lifetime (the directory watcher, the pruning of used
//! assertions) and its router over the handlers of each surface.

use crate::directory;
use crate::error::CloudError;
use crate::graph;
use crate::replay::ReplayCache;
use crate::snapshot::Snapshot;
use crate::state::{CloudConfig, CloudState};
use crate::token_endpoint;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use std::sync::{Arc, RwLock};
use store::Store;

/// A running cloud role: its state and its router.
pub struct CloudServer {
    pub state: Arc<CloudState>,
    watcher: tokio::task::JoinHandle<()>,
}

impl Drop for CloudServer {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

impl CloudServer {
    /// Prepares the store (signing keys) and loads the directory. Needs a Tokio runtime.
    pub async fn start(store: Store, config: CloudConfig) -> Result<CloudServer, CloudError> {
        directory::ensure_signing_keys(&store).await?;
        directory::ensure_first_party_principals(&store).await?;
        let replay_record = store::ReplayRecorder::start(store.clone());
        let state = Arc::new(CloudState {
            snapshot: RwLock::new(Arc::new(Snapshot::load(&store).await?)),
            reloading: tokio::sync::Mutex::new(()),
            store,
            config,
            replay: ReplayCache::default(),
            replay_record,
            metrics: Default::default(),
            lockout: Default::default(),
        });
        let watcher = tokio::spawn(watch(state.clone()));
        tokio::spawn(prune_used_assertions(state.clone()));
        Ok(CloudServer { state, watcher })
    }

    pub fn router(&self) -> Router {
        router(self.state.clone())
    }
}

/// Forgets used assertions once they can no longer be accepted, every minute.
async fn prune_used_assertions(state: Arc<CloudState>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        if state.store.is_closed() {
            return;
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if let Err(e) = state.store.used_assertions().prune(now).await {
            tracing::debug!("pruning used assertions: {e}");
        }
        if let Err(e) = state.store.device_authorizations().prune(now).await {
            tracing::debug!("pruning device authorizations: {e}");
        }
    }
}

/// Reloads the snapshot whenever the store reports a change (from any process).
async fn watch(state: Arc<CloudState>) {
    let mut changes = state.store.subscribe();
    loop {
        match changes.recv().await {
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                // Coalesce a burst of changes into one reload.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                while changes.try_recv().is_ok() {}
                if let Err(e) = state.reload().await {
                    tracing::warn!("directory reload failed: {e}");
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

pub fn router(state: Arc<CloudState>) -> Router {
    let token_routes = Router::new()
        .route("/tokens/OAuth/2", post(token_endpoint::token_global))
        .route(
            "/{tenant}/tokens/OAuth/2",
            post(token_endpoint::token_tenant),
        )
        .merge(crate::entra::token_routes())
        .layer(DefaultBodyLimit::max(64 * 1024));
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/metadata/json/1", get(token_endpoint::metadata_global))
        .route(
            "/{tenant}/metadata/json/1",
            get(token_endpoint::metadata_tenant),
        )
        .merge(token_routes)
        .merge(graph::routes())
        .merge(crate::graph_users::routes())
        .merge(crate::signin::routes())
        .merge(crate::entra::discovery_routes())
        .layer(DefaultBodyLimit::max(1024 * 1024));
    state.metrics.telemetry.layer(app).with_state(state)
}

/// `GET /metrics` (the operator's).
async fn metrics(
    State(state): State<Arc<CloudState>>,
    headers: HeaderMap,
) -> Result<Response, CloudError> {
    state.operator(&headers)?;
    let m = &state.metrics;
    m.observe_keys(&state.snapshot(), time::OffsetDateTime::now_utc());
    m.telemetry
        .set_change_feed_lag_ms(state.store.change_feed_lag_ms());
    Ok(m.telemetry.response())
}
