//! The on-premises role's HTTP surface: the cmdlet API for administrators, the organization
//! bootstrap for the operator, and the organization's own metadata document.

use crate::cmdlets::Outcome;
use crate::error::OnPremError;
use crate::objects::*;
use crate::trust::{self, TrustState};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::{Arc, RwLock};
use store::Store;

#[derive(Debug, Clone)]
pub struct OnPremConfig {
    /// The URL clients reach this server at.
    pub public_url: String,
    /// When issuers' metadata documents are fetched again.
    pub refresh: crate::refresh::RefreshPolicy,
    /// What the web view shows of the whole trust (findings, certificates, the partner's
    /// queue), from whoever holds the other organizations' credentials; None: not shown.
    pub trust_report: Option<crate::ui::TrustReport>,
}

impl OnPremConfig {
    pub fn new(public_url: &str) -> Self {
        OnPremConfig {
            public_url: public_url.to_string(),
            refresh: Default::default(),
            trust_report: None,
        }
    }
}

pub struct OnPremState {
    pub store: Store,
    /// Mailboxes' folder trees, cleared on every change the store reports.
    pub folder_trees: mailbox::FolderTrees,
    pub config: OnPremConfig,
    trust: RwLock<Arc<TrustState>>,
    /// Actor tokens already verified; cleared with every trust reload.
    pub actor_cache: s2s::ActorCache,
    /// S2S tokens already validated here (with the user each names), by token and host, each
    /// with the trust configuration it was decided under: an entry counts only while that is
    /// still the server's (a decision that raced a reload is never taken for a new one).
    pub validated: s2s::ValidatedCache<ValidatedEntry>,
    pub handshakes: crate::handshake::HandshakeLog,
    /// What `GET /metrics` reports.
    pub metrics: crate::metrics::OnPremMetrics,
    credentials: RwLock<Arc<Vec<(String, bool)>>>,
    /// One reload at a time: otherwise a reload that read the store before a write could
    /// replace the configuration a later reload built after it.
    reloading: tokio::sync::Mutex<()>,
}

/// A cached S2S decision: the trust it was made under, the token's validation, its user.
pub type ValidatedEntry = (
    Arc<TrustState>,
    s2s::ValidatedToken,
    Option<crate::trust::UserEntry>,
);

impl OnPremState {
    pub fn trust(&self) -> Arc<TrustState> {
        self.trust.read().expect("trust lock").clone()
    }

    /// Rebuilds the in-memory trust configuration and credential list from the store.
    pub async fn reload(&self) -> Result<(), OnPremError> {
        let _one_at_a_time = self.reloading.lock().await;
        let fresh = trust::load(&self.store).await?;
        *self.trust.write().expect("trust lock") = Arc::new(fresh);
        self.actor_cache.clear();
        self.validated.clear();
        self.folder_trees.clear();
        let mut creds = Vec::new();
        for (kind, operator) in [(ADMIN_CREDENTIAL, false), (OPERATOR_CREDENTIAL, true)] {
            for o in all(&self.store, kind).await? {
                creds.push((text(&o.data, "hash").to_string(), operator));
            }
        }
        *self.credentials.write().expect("credential lock") = Arc::new(creds);
        Ok(())
    }

    /// For a request that only reads: Ok(true) for the operator, Ok(false) for an
    /// organization administrator. A browser's HTTP Basic credential is accepted here (the
    /// web view), and only here.
    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Result<bool, OnPremError> {
        self.check_credential(admin_credential(headers, true))
    }

    /// For a request that changes something: the credential must come as a Bearer token,
    /// which a browser never attaches on its own, and the request must not come from another
    /// site. So no page elsewhere can use an administrator's signed-in browser to make a
    /// change (cross-site request forgery).
    pub(crate) fn authenticate_change(&self, headers: &HeaderMap) -> Result<bool, OnPremError> {
        refuse_cross_site(headers)?;
        if admin_credential(headers, true).is_some() && admin_credential(headers, false).is_none() {
            return Err(OnPremError::Unauthorized(
                "Changes need the admin credential as a Bearer token (Authorization: Bearer …); a browser's remembered password is accepted for reading only.".into(),
            ));
        }
        self.check_credential(admin_credential(headers, false))
    }

    fn check_credential(&self, token: Option<String>) -> Result<bool, OnPremError> {
        let token = token.ok_or_else(|| {
            OnPremError::Unauthorized(
                "An admin credential is required (Authorization: Bearer …).".into(),
            )
        })?;
        let hash = crypto::secret::credential_hash(&token);
        let creds = self.credentials.read().expect("credential lock").clone();
        creds
            .iter()
            .find(|(h, _)| crypto::secret::hashes_equal(h, &hash))
            .map(|(_, op)| *op)
            .ok_or_else(|| OnPremError::Unauthorized("The admin credential is not valid.".into()))
    }
}

/// The admin credential a request carries: a Bearer token, or (when `basic` is allowed) the
/// password of HTTP Basic, any user name, as a browser sends it.
fn admin_credential(headers: &HeaderMap, basic: bool) -> Option<String> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = match value.strip_prefix("Basic ") {
        Some(b) if basic => {
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|up| up.split_once(':').map(|(_, p)| p.to_string()))?
        }
        Some(_) => return None,
        None => value.strip_prefix("Bearer ")?.to_string(),
    };
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// Refuses a request a browser marks as sent from another site (`Sec-Fetch-Site`), or whose
/// `Origin` is not this server's own. Clients that are not browsers send neither.
fn refuse_cross_site(headers: &HeaderMap) -> Result<(), OnPremError> {
    let refused = || {
        OnPremError::Forbidden(
            "A request from another site cannot change this server (cross-site requests are refused).".into(),
        )
    };
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return Err(refused());
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let same = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, a)| a);
        if host.is_none() || same != host {
            return Err(refused());
        }
    }
    Ok(())
}

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
    if !all(store, OPERATOR_CREDENTIAL).await?.is_empty() {
        return Ok(None);
    }
    let credential = crypto::secret::new_credential();
    let hash = crypto::secret::credential_hash(&credential);
    store
        .directory()
        .create(new_object(
            OPERATOR_CREDENTIAL,
            "operator",
            json!({ "hash": hash }),
        ))
        .await?;
    Ok(Some(credential))
}

impl OnPremServer {
    pub async fn start(store: Store, config: OnPremConfig) -> Result<OnPremServer, OnPremError> {
        match mailbox::upgrade_stored_items(&store).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                items = n,
                "mailbox items carried forward to the typed property form"
            ),
            Err(mailbox::MailboxError::Store(e)) => return Err(e.into()),
            Err(e) => tracing::warn!("mailbox upgrade: {e}"),
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
            store,
            config,
            trust: RwLock::new(Arc::new(TrustState::default())),
            actor_cache: s2s::ActorCache::new(100_000),
            validated: s2s::ValidatedCache::new(100_000),
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
            .route("/admin/organization", post(new_organization))
            .route("/admin/cmdlet", post(cmdlet))
            .route("/admin/handshakes", get(handshakes))
            .route("/admin/ui", get(crate::ui::page))
            .route("/admin/presence", post(presence))
            .layer(DefaultBodyLimit::max(1024 * 1024));
        let app = Router::new()
            .route("/health", get(|| async { "ok" }))
            .route("/metrics", get(crate::metrics::metrics))
            .route("/autodiscover/metadata/json/1", get(metadata))
            .route("/Autodiscover/metadata/json/1", get(metadata))
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

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NewOrganizationBody {
    name: String,
    domain_name: String,
    ews_url: String,
}

async fn new_organization(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OnPremError> {
    if !state.authenticate_change(&headers)? {
        return Err(OnPremError::Forbidden(
            "Creating the organization needs the server operator credential.".into(),
        ));
    }
    let b: NewOrganizationBody = serde_json::from_slice(&body)
        .map_err(|e| OnPremError::InvalidArgument(format!("The request body is not valid: {e}")))?;
    let req = crate::org::NewOrganization {
        name: b.name,
        domain: b.domain_name,
        ews_url: b.ews_url,
    };
    let (org, credential) = crate::org::create(&state.store, &req).await?;
    state.reload().await?;
    let cfg = crate::oauth_config::auth_config(&state.store).await?;
    let mut out = org.clone();
    set(
        &mut out,
        "CurrentCertificateThumbprint",
        cfg.data["CurrentCertificateThumbprint"].clone(),
    );
    set(&mut out, "AdminCredential", json!(credential));
    Ok((StatusCode::CREATED, axum::Json(out)).into_response())
}

/// The newest handshake events after `after` (a sequence number), oldest first.
async fn handshakes(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, OnPremError> {
    if state.authenticate(&headers)? {
        return Err(OnPremError::Forbidden(
            "Use the organization admin credential.".into(),
        ));
    }
    let after = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let limit = q
        .get("limit")
        .and_then(|a| a.parse().ok())
        .unwrap_or(100i64)
        .clamp(1, 1000);
    let events = state.store.handshakes().after(after, limit).await?;
    Ok(axum::Json(json!({ "Events": events })).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PresenceBody {
    identity: String,
    partner_url: String,
}

/// `POST /admin/presence`: a user's presence from the partner, over the self-issued path.
async fn presence(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OnPremError> {
    if state.authenticate_change(&headers)? {
        return Err(OnPremError::Forbidden(
            "Use the organization admin credential.".into(),
        ));
    }
    let b: PresenceBody = serde_json::from_slice(&body)
        .map_err(|e| OnPremError::InvalidArgument(format!("The request body is not valid: {e}")))?;
    let v = crate::outbound::presence(&state, &b.identity, &b.partner_url).await?;
    Ok(axum::Json(v).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CmdletBody {
    cmdlet: String,
    #[serde(default)]
    parameters: Map<String, Value>,
}

async fn cmdlet(
    State(state): State<Arc<OnPremState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OnPremError> {
    if state.authenticate_change(&headers)? {
        return Err(OnPremError::Forbidden("The operator credential creates the organization; use the organization admin credential for cmdlets.".into()));
    }
    if body.len() > crate::params::MAX_REQUEST_BYTES {
        return Err(OnPremError::InvalidArgument(format!(
            "The cmdlet request is {} bytes; at most {} are accepted.",
            body.len(),
            crate::params::MAX_REQUEST_BYTES
        )));
    }
    let b: CmdletBody = serde_json::from_slice(&body)
        .map_err(|e| OnPremError::InvalidArgument(format!("The request body is not valid: {e}")))?;
    crate::params::check_bounds(&b.cmdlet, &b.parameters)?;
    // The one cmdlet that makes calls of its own: it needs the server, not only the store.
    let outcome = if b.cmdlet.eq_ignore_ascii_case("Test-OAuthConnectivity") {
        let p = crate::params::Params::new("Test-OAuthConnectivity", b.parameters);
        Outcome::Ran(crate::connectivity::test_oauth_connectivity(&state, &p).await?)
    } else {
        crate::cmdlets::call(&state.store, &b.cmdlet, b.parameters).await?
    };
    let output = match outcome {
        Outcome::WhatIf(line) => {
            return Ok(axum::Json(json!({ "Output": [], "WhatIf": [line] })).into_response());
        }
        Outcome::Ran(output) => output,
    };
    if crate::safety::changes(&b.cmdlet) {
        tracing::info!(cmdlet = %b.cmdlet, "ran");
        state.reload().await?;
    } else {
        tracing::debug!(cmdlet = %b.cmdlet, "ran");
    }
    Ok(axum::Json(json!({ "Output": output })).into_response())
}

/// The organization's metadata document (Exchange/1.0): issuer `<ServiceName>@<realm>`, the
/// current and previous auth certificates (not the next one), this URL as its location.
async fn metadata(
    State(state): State<Arc<OnPremState>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, OnPremError> {
    let cfg = crate::oauth_config::auth_config(&state.store).await?;
    let org = crate::org::organization(&state.store).await?;
    let trust = state.trust();
    let mut certs = Vec::new();
    for m in [
        "CurrentCertificateThumbprint",
        "PreviousCertificateThumbprint",
    ] {
        let t = text(&cfg.data, m);
        if t.is_empty() {
            continue;
        }
        if let Ok(obj) = crate::certs::by_thumbprint(&state.store, t).await {
            let (c, _) = crate::certs::load(&obj.data)?;
            if c.is_valid_at(time::OffsetDateTime::now_utc()) {
                certs.push(c);
            }
        }
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let location = format!("http://{host}{}", uri.path());
    let refs: Vec<&crypto::Certificate> = certs.iter().collect();
    let doc = s2s::MetadataDocument::exchange(
        &format!("_{}", text(&org, "Guid")),
        text(&cfg.data, "ServiceName"),
        &trust.realm,
        &location,
        &refs,
    );
    Ok((
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        doc.to_json(s2s::metadata::MetadataFlavor::Exchange),
    )
        .into_response())
}
