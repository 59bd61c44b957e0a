//! The on-premises role's state, outside its router: the store, the settings, the trust
//! configuration held in memory for inbound validation (with its caches), the handshake log,
//! the metrics, and the admin credentials; and how an admin request is authenticated.

use crate::error::OnPremError;
use crate::objects::*;
use crate::trust::{self, TrustState};
use axum::http::{HeaderMap, header};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use store::Store;

#[derive(Debug, Clone)]
pub struct OnPremConfig {
    /// The URL clients reach this server at.
    pub public_url: String,
    /// When issuers' metadata documents are fetched again.
    pub refresh: RefreshPolicy,
    /// What the web view shows of the whole trust (findings, certificates, the partner's
    /// queue), from whoever holds the other organizations' credentials; None: not shown.
    pub trust_report: Option<ReportHook>,
    /// Hosts (`host` or `host:port`) push notifications may be posted to, besides loopback.
    pub push_destinations: Vec<String>,
}

impl OnPremConfig {
    pub fn new(public_url: &str) -> Self {
        OnPremConfig {
            public_url: public_url.to_string(),
            refresh: Default::default(),
            trust_report: None,
            push_destinations: Vec::new(),
        }
    }
}

pub struct OnPremState {
    pub store: Store,
    /// Mailboxes' folder trees, cleared on every change the store reports.
    pub folder_trees: mailbox::FolderTrees,
    pub config: OnPremConfig,
    pub(crate) trust: RwLock<Arc<TrustState>>,
    /// Actor tokens already verified; cleared with every trust reload.
    pub actor_cache: s2s::ActorCache,
    /// S2S tokens already validated here (with the user each names), by token and host, each
    /// with the trust configuration it was decided under: an entry counts only while that is
    /// still the server's (a decision that raced a reload is never taken for a new one).
    pub validated: s2s::ValidatedCache<ValidatedEntry>,
    /// Users' own (HMA) tokens already validated here, as `validated` is for S2S tokens.
    pub validated_users: s2s::ValidatedCache<ValidatedUserEntry>,
    pub handshakes: crate::handshake::HandshakeLog,
    /// Which mailboxes changed, for the streaming notification connections of this process.
    pub events: Arc<crate::event_hub::EventHub>,
    /// Told when this process queues work (a sent message), so that it runs at once.
    pub work: tokio::sync::Notify,
    /// What `GET /metrics` reports.
    pub metrics: crate::metrics::OnPremMetrics,
    pub(crate) credentials: RwLock<Arc<Vec<(String, bool)>>>,
    /// One reload at a time: otherwise a reload that read the store before a write could
    /// replace the configuration a later reload built after it.
    pub(crate) reloading: tokio::sync::Mutex<()>,
}

/// A cached user-token decision: the trust it was made under, the token's validation, its user.
pub type ValidatedUserEntry = (
    Arc<TrustState>,
    s2s::user_token::ValidatedUserToken,
    crate::trust::UserEntry,
);

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
        self.validated_users.clear();
        self.folder_trees.clear();
        let mut creds = Vec::new();
        for (kind, operator) in [(ADMIN_CREDENTIAL, false), (OPERATOR_CREDENTIAL, true)] {
            for o in rows(&self.store, kind).await? {
                let c: StoredCredential = serde_json::from_value(o.data).unwrap_or_default();
                creds.push((c.hash, operator));
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

/// When to fetch metadata documents again.
#[derive(Debug, Clone, Copy)]
pub struct RefreshPolicy {
    /// Fetch a document again when its last fetch is older than this (24 hours).
    pub period: Duration,
    /// How often to look for documents due (every hour).
    pub check_every: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            period: Duration::from_secs(24 * 3600),
            check_every: Duration::from_secs(3600),
        }
    }
}

pub type ReportFuture =
    Pin<Box<dyn Future<Output = Result<crate::model::report::TrustReport, String>> + Send>>;

/// Reads the whole trust for the page (findings, certificates, queue); the command line,
/// which holds the other roles' credentials, supplies it.
#[derive(Clone)]
pub struct ReportHook(pub Arc<dyn Fn() -> ReportFuture + Send + Sync>);

impl std::fmt::Debug for ReportHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReportHook")
    }
}
