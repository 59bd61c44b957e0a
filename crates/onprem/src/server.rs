//! The on-premises role's HTTP surface: the cmdlet API for administrators, the organization
//! bootstrap for the operator, and the organization's own metadata document.

use crate::admin_api;
use crate::error::OnPremError;
use crate::objects::*;
use crate::state::{OnPremConfig, OnPremState};
use crate::trust::TrustState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::{Arc, RwLock};
use store::Store;

pub struct OnPremServer {
    pub state: Arc<OnPremState>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for OnPremServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The operator credential, created on first start; returned when it was just made.
pub async fn ensure_operator_credential(store: &Store) -> Result<Option<String>, OnPremError> {
    if !rows(store, OPERATOR_CREDENTIAL).await?.is_empty() {
        return Ok(None);
    }
    let credential = crypto::secret::new_credential();
    let hash = crypto::secret::credential_hash(&credential);
    let mut operator = StoredCredential::object(OPERATOR_CREDENTIAL, &hash)?;
    operator.name = "operator".into();
    store.directory().create(operator).await?;
    Ok(Some(credential))
}

impl OnPremServer {
    pub async fn start(store: Store, config: OnPremConfig) -> Result<OnPremServer, OnPremError> {
        match crate::ews::upgrade_stored_items(&store).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                items = n,
                "mailbox items carried forward to the typed property form"
            ),
            Err(mailbox::MailboxError::Store(e)) => return Err(e.into()),
            Err(e) => tracing::warn!("mailbox upgrade: {e}"),
        }
        match crate::ews::upgrade_stored_configurations(&store).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                configurations = n,
                "user configurations carried forward to the mailbox's dictionary form"
            ),
            Err(e) => return Err(e.into()),
        }
        // Folder synchronization reads the item journal; a month of it is kept.
        let month_ago = store::now_ms() - 30 * 24 * 3_600_000;
        if let Err(e) = store.mailboxes().prune_journal(month_ago).await {
            return Err(e.into());
        }
        // Attachment contents no item refers to any more (deleted items, removed attachments).
        let hour_ago = store::now_ms() - 3_600_000;
        match store.mailboxes().collect_blobs(hour_ago).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(blobs = n, "unreferenced attachment contents removed"),
            Err(e) => return Err(e.into()),
        }
        let metrics = crate::metrics::OnPremMetrics::default();
        let (handshakes, handshake_task) =
            crate::handshake::HandshakeLog::start(store.clone(), metrics.handshakes.clone());
        let state = Arc::new(OnPremState {
            handshakes,
            metrics,
            events: Arc::default(),
            work: tokio::sync::Notify::new(),
            store,
            config,
            trust: RwLock::new(Arc::new(TrustState::default())),
            actor_cache: s2s::ActorCache::new(100_000),
            validated: s2s::ValidatedCache::new(100_000),
            validated_users: s2s::ValidatedCache::new(100_000),
            folder_trees: mailbox::FolderTrees::default(),
            credentials: RwLock::new(Arc::new(Vec::new())),
            reloading: tokio::sync::Mutex::new(()),
        });
        state.reload().await?;
        // Mailboxes made by an earlier release get the folders this one creates with a mailbox.
        let mailboxes: Vec<String> = state
            .trust()
            .users
            .iter()
            .filter(|u| u.has_mailbox())
            .map(|u| u.guid.clone())
            .collect();
        for guid in mailboxes {
            mailbox::provision(&state.store, &guid).await?;
        }
        let tasks = vec![
            tokio::spawn(watch(state.clone())),
            tokio::spawn(state.events.clone().run(state.store.clone())),
            tokio::spawn(crate::work::run(state.clone())),
            tokio::spawn(crate::refresh::periodic(
                state.clone(),
                state.config.refresh,
            )),
            handshake_task,
        ];
        Ok(OnPremServer { state, tasks })
    }

    pub fn router(&self) -> Router {
        let admin = Router::new()
            .route("/admin/organization", post(admin_api::new_organization))
            .route("/admin/cmdlet", post(admin_api::cmdlet))
            .route("/admin/handshakes", get(admin_api::handshakes))
            .route("/admin/ui", get(crate::ui::page))
            .route("/admin/presence", post(admin_api::presence))
            .layer(DefaultBodyLimit::max(1024 * 1024));
        let app = Router::new()
            .route("/health", get(|| async { "ok" }))
            .route("/metrics", get(admin_api::metrics))
            .route("/autodiscover/metadata/json/1", get(admin_api::metadata))
            .route("/Autodiscover/metadata/json/1", get(admin_api::metadata))
            .merge(admin)
            .route("/EWS/Exchange.asmx", post(crate::ews::handle))
            // IIS matches paths without regard to case; so does this server for EWS.
            .fallback(ews_any_case)
            .layer(DefaultBodyLimit::max(ews::soap::MAX_REQUEST_BYTES));
        self.state
            .metrics
            .telemetry
            .layer(app)
            .with_state(self.state.clone())
    }
}

async fn ews_any_case(
    state: State<Arc<OnPremState>>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == axum::http::Method::POST {
        match uri.path().to_ascii_lowercase().as_str() {
            "/ews/exchange.asmx" => return crate::ews::handle(state, headers, body).await,
            "/autodiscover/autodiscover.svc" => {
                return crate::ews::autodiscover::soap(state, headers, body).await;
            }
            "/autodiscover/autodiscover.xml" => {
                return crate::ews::autodiscover::pox(state, headers, body).await;
            }
            _ => {}
        }
    }
    if method == axum::http::Method::GET
        && let Some(request) =
            ews::autodiscover::AutodiscoverV2Request::parse(uri.path(), uri.query())
    {
        return crate::ews::autodiscover::json_v2(&state, request).await;
    }
    (StatusCode::NOT_FOUND, "Not found").into_response()
}

/// Reloads the trust configuration when any process changes the store.
async fn watch(state: Arc<OnPremState>) {
    let mut changes = state.store.subscribe();
    loop {
        match changes.recv().await {
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                while changes.try_recv().is_ok() {}
                if let Err(e) = state.reload().await {
                    tracing::warn!("trust reload failed: {e}");
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}
