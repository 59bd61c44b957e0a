//! The cloud role's HTTP surface: metadata, the token endpoint, the Graph-like directory API
//! and the operator API, over an in-memory snapshot kept fresh from the store.

use crate::directory;
use crate::error::{CloudError, StsError};
use crate::graph;
use crate::replay::ReplayCache;
use crate::snapshot::{Caller, Snapshot};
use crate::sts::{self, StsSettings, TokenRequest};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use s2s::metadata::{MetadataDocument, MetadataFlavor};
use serde_json::json;
use std::collections::HashMap;
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
    snapshot: RwLock<Arc<Snapshot>>,
    pub replay: ReplayCache,
    /// The shared record of used assertions, written in batches (group commit).
    pub replay_record: store::ReplayRecorder,
    /// What `GET /metrics` reports.
    pub metrics: crate::metrics::CloudMetrics,
    /// One reload at a time: otherwise a reload that read the store before a write could
    /// replace the directory a later reload built after it.
    reloading: tokio::sync::Mutex<()>,
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
        .route("/tokens/OAuth/2", post(token_global))
        .route("/{tenant}/tokens/OAuth/2", post(token_tenant))
        .merge(crate::entra::token_routes())
        .layer(DefaultBodyLimit::max(64 * 1024));
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(crate::metrics::metrics))
        .route("/metadata/json/1", get(metadata_global))
        .route("/{tenant}/metadata/json/1", get(metadata_tenant))
        .merge(token_routes)
        .merge(graph::routes())
        .merge(crate::entra::discovery_routes())
        .layer(DefaultBodyLimit::max(1024 * 1024));
    state.metrics.telemetry.layer(app).with_state(state)
}

fn authority_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

pub(crate) fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

fn metadata_for(state: &CloudState, tenant: &str) -> Response {
    let snap = state.snapshot();
    let Some(t) = snap.tenant(tenant) else {
        return sts_error(crate::error::sts::tenant_not_found(tenant));
    };
    let issuance = format!("{}/{}/tokens/OAuth/2", state.config.public_url, t.tenant.id);
    let doc = MetadataDocument::acs(&t.tenant.id, &issuance, &snap.published_certificates());
    json_response(StatusCode::OK, doc.to_json(MetadataFlavor::Acs))
}

async fn metadata_tenant(
    State(state): State<Arc<CloudState>>,
    Path(tenant): Path<String>,
) -> Response {
    metadata_for(&state, &tenant)
}

async fn metadata_global(
    State(state): State<Arc<CloudState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match q.get("realm") {
        Some(realm) => metadata_for(&state, realm),
        None => sts_error(crate::error::sts::missing_parameter("realm")),
    }
}

pub fn sts_error(e: StsError) -> Response {
    let now = crate::model::graph_time(time::OffsetDateTime::now_utc()).replace('T', " ");
    let trace = uuid::Uuid::new_v4().to_string();
    let correlation = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "error": e.error,
        "error_description": format!("AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {now}", e.code, e.description),
        "error_codes": [e.code],
        "timestamp": now,
        "trace_id": trace,
        "correlation_id": correlation,
    });
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, body.to_string())
}

async fn token_global(State(state): State<Arc<CloudState>>, body: Bytes) -> Response {
    token(&state, sts::Endpoint::Acs, None, &body).await
}

async fn token_tenant(
    State(state): State<Arc<CloudState>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    token(&state, sts::Endpoint::Acs, Some(&tenant), &body).await
}

pub(crate) async fn token(
    state: &CloudState,
    endpoint: sts::Endpoint,
    tenant: Option<&str>,
    body: &[u8],
) -> Response {
    let started = std::time::Instant::now();
    let form = match sts::parse_form(body) {
        Ok(f) => f,
        Err(e) => return sts_error(e),
    };
    let snap = state.snapshot();
    // The audience an assertion must name is this service's public address as configured,
    // never the Host the request claims: a client cannot choose whom it is talking to.
    let authorities = [authority_of(&state.config.public_url)];
    let path = match endpoint {
        sts::Endpoint::Acs => "tokens/OAuth/2",
        sts::Endpoint::EntraV1 => "oauth2/token",
        sts::Endpoint::EntraV2 => "oauth2/v2.0/token",
    };
    let mut endpoint_urls = vec![format!("{}/{path}", state.config.public_url)];
    if let Some(t) = tenant {
        endpoint_urls.push(format!("{}/{t}/{path}", state.config.public_url));
        // The assertion may name the tenant by id or by a domain.
        if let Some(ts) = snap.tenant(t) {
            endpoint_urls.push(format!(
                "{}/{}/{path}",
                state.config.public_url, ts.tenant.id
            ));
        }
    }
    let req = TokenRequest {
        endpoint,
        public_url: &state.config.public_url,
        path_tenant: tenant,
        form: &form,
        authorities: &authorities,
        endpoint_urls: &endpoint_urls,
        now: time::OffsetDateTime::now_utc().unix_timestamp(),
    };
    let issued = match sts::issue(&snap, &state.replay, &state.config.sts, &req) {
        Ok((resp, issued)) => {
            // This process had not seen the assertion; neither may any other have. The use is
            // recorded here, once the token is made and before it is answered: durable in the
            // shared record first, then in this process's front.
            match state
                .replay_record
                .first_use(
                    issued.assertion_key(),
                    issued.assertion_forget_after,
                    req.now,
                )
                .await
            {
                Ok(true) => {
                    state.replay.first_use(
                        issued.assertion_id,
                        issued.assertion_forget_after,
                        req.now,
                    );
                    Ok((resp, issued))
                }
                Ok(false) => Err(crate::error::sts::replayed()),
                Err(e) => {
                    tracing::warn!(code = e.code(), "shared replay check failed: {e}");
                    Err(crate::error::sts::replay_check_unavailable())
                }
            }
        }
        Err(e) => Err(e),
    };
    match issued {
        Ok((resp, issued)) => {
            state.metrics.issued(endpoint);
            tracing::info!(
                client = %issued.client, resource = %issued.resource, token = %issued.response_digest,
                micros = started.elapsed().as_micros() as u64, "issued an access token"
            );
            json_response(StatusCode::OK, resp.to_string())
        }
        Err(e) => {
            state.metrics.refused(endpoint, e.code);
            tracing::info!(code = e.code, "token request refused: {}", e.description);
            sts_error(e)
        }
    }
}
