//! The partner service: its settings, users, signing key, the admin/feature API, and the
//! background worker that drains the durable queue into on-premises mailboxes.

use crate::PartnerError;
use crate::ewsclient::{self, EwsClient};
use crate::tokens::{TokenClient, TokenSource};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crypto::Certificate;
use s2s::ids::{PrincipalId, SKYPE_APP_ID};
use s2s::token::{OuterToken, UserContext};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use store::{NewObject, Store};

pub const KIND_SETTINGS: &str = "PartnerSettings";
pub const KIND_USER: &str = "PartnerUser";
pub const KIND_KEY: &str = "SigningKey";
pub const KIND_OPERATOR: &str = "OperatorCredential";
pub const KIND_WORK: &str = "Work";

/// Where the partner finds the token service and on-premises EWS.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub tenant_id: String,
    pub token_endpoint: String,
    /// A fixed on-premises EWS URL; empty when each user's is found by Autodiscover.
    #[serde(default)]
    pub ews_url: String,
    /// Autodiscover (`…/autodiscover/autodiscover.svc`), used when `ews_url` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autodiscover_url: Option<String>,
    /// Which Autodiscover setting names the EWS URL: ExternalEwsUrl (default) or InternalEwsUrl.
    #[serde(default = "external_ews_url")]
    pub ews_url_setting: String,
    /// `00000002-0000-0ff1-ce00-000000000000/<EWS host>@<realm>`.
    pub resource: String,
    #[serde(default = "skype")]
    pub client_app_id: String,
    /// `sfb` (the default: every call as `client_app_id`) or `teams`: voicemail greetings as
    /// Cloud Voicemail, the calendar's delegate reads as Teams Scheduler, the rest (archiving,
    /// conversation history, the out-of-office greeting, presence) as `client_app_id`, which
    /// the Teams edition keeps.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub edition: String,
}

impl Settings {
    pub fn is_teams(&self) -> bool {
        self.edition.eq_ignore_ascii_case("teams")
    }

    /// These settings acting as another application of the tenant.
    pub fn as_application(&self, app_id: &str) -> Settings {
        Settings {
            client_app_id: app_id.to_string(),
            ..self.clone()
        }
    }

    /// Who sets and reads a voicemail greeting: Cloud Voicemail in the Teams edition, except
    /// the out-of-office greeting, which the legacy application still serves there.
    pub fn for_greeting(&self, name: &str) -> Settings {
        if self.is_teams() && !name.ends_with(".Oof") {
            self.as_application(s2s::ids::CLOUD_VOICEMAIL_APP_ID)
        } else {
            self.clone()
        }
    }

    /// Who reads a user's delegates for the calendar: Teams Scheduler in the Teams edition.
    pub fn for_calendar(&self) -> Settings {
        if self.is_teams() {
            self.as_application(s2s::ids::TEAMS_SCHEDULER_APP_ID)
        } else {
            self.clone()
        }
    }
}

fn external_ews_url() -> String {
    "ExternalEwsUrl".into()
}

fn skype() -> String {
    SKYPE_APP_ID.to_string()
}

pub struct PartnerState {
    pub store: Store,
    pub tokens: TokenClient,
    pub ews: EwsClient,
    /// The current signing certificate and key (replaced when a next one is published).
    signing: std::sync::RwLock<Arc<crate::signing::SigningPair>>,
    /// Delay before the first retry; doubled each time up to a minute.
    pub retry_base_ms: i64,
    /// How long a claim on queued work lasts (`HYBRID_WORK_LEASE_MS`, default a minute): a
    /// process that dies holding work frees it after this.
    pub work_lease_ms: i64,
    /// The keys on this service's own principal: whom it trusts for presence requests.
    pub peer_trust: crate::presence::PeerTrust,
    /// EWS URLs found by Autodiscover, by lowercase SMTP address.
    pub discovered: std::sync::Mutex<HashMap<String, String>>,
    /// Settings and users as last read (see config_cache.rs).
    config: crate::config_cache::ConfigCache,
    /// What `GET /metrics` reports.
    pub metrics: crate::metrics::PartnerMetrics,
}

impl PartnerState {
    pub fn signing(&self) -> Arc<crate::signing::SigningPair> {
        self.signing.read().expect("signing lock").clone()
    }

    pub fn set_signing(&self, pair: Arc<crate::signing::SigningPair>) {
        *self.signing.write().expect("signing lock") = pair;
    }

    pub async fn settings(&self) -> Result<Settings, PartnerError> {
        let data = self
            .config
            .get_or_read(&self.store, "settings", async || {
                let obj = self
                    .store
                    .directory()
                    .find(KIND_SETTINGS, "", "settings")
                    .await?;
                obj.map(|o| o.data).ok_or_else(|| {
                    PartnerError::NotConfigured(
                        "set the tenant, token endpoint and EWS URL first (hybrid partner configure)"
                            .into(),
                    )
                })
            })
            .await?;
        serde_json::from_value(data).map_err(|e| PartnerError::Internal(e.to_string()))
    }

    pub async fn user(&self, id: &str) -> Result<Value, PartnerError> {
        let id = id.trim_start_matches("sip:");
        let key = format!("user:{}", id.to_ascii_lowercase());
        self.config
            .get_or_read(&self.store, &key, async || self.read_user(id).await)
            .await
    }

    async fn read_user(&self, id: &str) -> Result<Value, PartnerError> {
        // Users are stored under their SIP address: one keyed read; the SMTP address (usually
        // the same) falls back to a scan.
        let dir = self.store.directory();
        if let Some(u) = dir.find(KIND_USER, "", &id.to_ascii_lowercase()).await? {
            return Ok(u.data);
        }
        let users = dir.list(KIND_USER, Some("")).await?;
        users
            .into_iter()
            .map(|u| u.data)
            .find(|u| {
                [u["sip"].as_str(), u["smtp"].as_str()]
                    .iter()
                    .flatten()
                    .any(|a| a.eq_ignore_ascii_case(id))
            })
            .ok_or_else(|| PartnerError::NotFound(format!("user '{id}'")))
    }

    /// The outer token for `user` around the cached actor token.
    pub async fn token_for(&self, s: &Settings, user: &Value) -> Result<String, PartnerError> {
        let src = TokenSource {
            tenant: s.tenant_id.clone(),
            token_endpoint: s.token_endpoint.clone(),
            client_app_id: s.client_app_id.clone(),
        };
        let actor = self
            .tokens
            .actor_token(&src, &self.signing(), &s.resource)
            .await?;
        let jwt = s2s::Jwt::decode(&actor).map_err(|e| PartnerError::Internal(e.to_string()))?;
        let aud = jwt
            .claims
            .aud
            .as_deref()
            .and_then(s2s::Audience::parse)
            .ok_or_else(|| PartnerError::Internal("the actor token has no audience".into()))?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let expires = jwt
            .claims
            .exp
            .map(|e| e.seconds)
            .unwrap_or(now + 3600)
            .min(now + 3600);
        let ctx = UserContext {
            smtp: user["smtp"].as_str().map(String::from),
            sip: user["sip"].as_str().map(String::from),
            ..Default::default()
        };
        Ok(OuterToken {
            actor_token: &actor,
            audience: &aud,
            issuer: &PrincipalId::new(&s.client_app_id, &s.tenant_id),
            not_before: now,
            expires,
            user: &ctx,
        }
        .encode())
    }

    /// One EWS call for `user`; a 401 drops the cached actor token so the next attempt gets a new one.
    pub async fn ews_call(
        &self,
        s: &Settings,
        user: &Value,
        request: &ews::Request,
    ) -> Result<ews::ResponseMessage, PartnerError> {
        let token = self.token_for(s, user).await?;
        let smtp = user["smtp"].as_str().unwrap_or("");
        let url = self.ews_url(s, smtp, &token).await?;
        match self.ews.call(&url, &token, request).await {
            // The token was fine; the user is not (no mailbox, no such user): a new token
            // would not help.
            Err(PartnerError::EwsRefused { code, message })
                if code == "Http401" && message.contains("error_category=\"invalid_user\"") =>
            {
                Err(PartnerError::EwsRefused { code, message })
            }
            Err(PartnerError::EwsRefused { code, message }) if code == "Http401" => {
                self.tokens.forget(&s.resource);
                Err(PartnerError::Unavailable(format!(
                    "on-premises EWS refused the token ({message}); a new one will be requested"
                )))
            }
            other => other,
        }
    }

    /// One EWS call for `user` whose answer holds any number of messages (GetDelegate's one
    /// per delegate); a refusal of the whole request is an error.
    pub async fn ews_call_all(
        &self,
        s: &Settings,
        user: &Value,
        request: &ews::Request,
    ) -> Result<Vec<ews::ResponseMessage>, PartnerError> {
        let token = self.token_for(s, user).await?;
        let smtp = user["smtp"].as_str().unwrap_or("");
        let url = self.ews_url(s, smtp, &token).await?;
        self.ews.call_all(&url, &token, request).await
    }

    /// The configured EWS URL, or `smtp`'s from Autodiscover (asked once per user).
    pub async fn ews_url(
        &self,
        s: &Settings,
        smtp: &str,
        token: &str,
    ) -> Result<String, PartnerError> {
        if !s.ews_url.is_empty() {
            return Ok(s.ews_url.clone());
        }
        let key = smtp.to_ascii_lowercase();
        if let Some(u) = self.discovered.lock().expect("discovered").get(&key) {
            return Ok(u.clone());
        }
        let autodiscover = s.autodiscover_url.as_deref().ok_or_else(|| {
            PartnerError::NotConfigured("neither an EWS URL nor an Autodiscover URL is set".into())
        })?;
        let url = crate::autodiscover::ews_url(
            self.ews.http(),
            autodiscover,
            token,
            smtp,
            &s.ews_url_setting,
        )
        .await?;
        self.discovered
            .lock()
            .expect("discovered")
            .insert(key, url.clone());
        Ok(url)
    }

    fn authenticate(&self, headers: &HeaderMap, operator_hash: &str) -> Result<(), PartnerError> {
        let v = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let token = v.strip_prefix("Bearer ").unwrap_or("").trim();
        if !token.is_empty()
            && crypto::secret::hashes_equal(&crypto::secret::credential_hash(token), operator_hash)
        {
            Ok(())
        } else {
            Err(PartnerError::Unauthorized(
                "the partner admin credential is required".into(),
            ))
        }
    }
}

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
            json!({ "hash": crypto::secret::credential_hash(&c) }),
        ))
        .await?;
    Ok(Some(c))
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
            .and_then(|o| o.data["hash"].as_str().map(String::from))
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
            .route("/admin/settings", put(put_settings).get(get_settings))
            .route(
                "/admin/signing-certificate",
                get(crate::signing::get_certificate),
            )
            .route(
                "/admin/signing-certificate/next",
                post(crate::signing::stage_next),
            )
            .route(
                "/admin/signing-certificate/publish",
                post(crate::signing::publish),
            )
            .route(
                "/admin/test-oauth-connectivity",
                post(test_oauth_connectivity),
            )
            .route("/api/users", post(new_user).get(list_users))
            .route("/api/conversations", post(crate::work::new_conversation))
            .route("/api/work/{id}", get(crate::work::get_work))
            .route("/admin/queue", get(crate::work::list_queue))
            .route("/admin/queue/{id}/retry", post(crate::work::retry_job))
            .route("/metrics", get(crate::metrics::metrics))
            .route(
                "/api/users/{user}/presence",
                put(crate::presence::set_presence).get(crate::presence::show_presence),
            )
            .route("/s2s/presence/{user}", get(crate::presence::get_presence))
            .route("/admin/handshakes", get(crate::presence::handshakes))
            .route(
                "/api/users/{user}/greeting",
                put(set_greeting).get(get_greeting).delete(delete_greeting),
            )
            .route("/api/users/{user}/delegates", get(get_delegates))
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

#[derive(Clone)]
pub struct AppState {
    pub state: Arc<PartnerState>,
    pub operator_hash: Arc<String>,
}

impl AppState {
    pub fn check(&self, headers: &HeaderMap) -> Result<(), PartnerError> {
        self.state.authenticate(headers, &self.operator_hash)
    }
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, PartnerError> {
    serde_json::from_slice(body)
        .map_err(|e| PartnerError::BadRequest(format!("the request body is not valid: {e}")))
}

async fn put_settings(
    State(a): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let s: Settings = parse(&body)?;
    let url = |u: &str| u.starts_with("http://") || u.starts_with("https://");
    let ews_ok = if s.ews_url.is_empty() {
        s.autodiscover_url.as_deref().is_some_and(url)
    } else {
        url(&s.ews_url)
    };
    if !matches!(
        s.edition.to_ascii_lowercase().as_str(),
        "" | "sfb" | "teams"
    ) {
        return Err(PartnerError::BadRequest(format!(
            "edition '{}' is not sfb or teams",
            s.edition
        )));
    }
    if s2s::Audience::parse(&s.resource).is_none()
        || !ews_ok
        || !url(&s.token_endpoint)
        || !crate::autodiscover::EWS_URL_SETTINGS.contains(&s.ews_url_setting.as_str())
    {
        return Err(PartnerError::BadRequest(
            "resource must be app/host@realm; tokenEndpoint and ewsUrl (or, without it, autodiscoverUrl) must be http(s) URLs; ewsUrlSetting is ExternalEwsUrl or InternalEwsUrl".into(),
        ));
    }
    a.state.discovered.lock().expect("discovered").clear();
    let dir = a.state.store.directory();
    let data = serde_json::to_value(&s).map_err(|e| PartnerError::Internal(e.to_string()))?;
    match dir.find(KIND_SETTINGS, "", "settings").await? {
        Some(obj) => {
            dir.update(&obj, "settings", data).await?;
        }
        None => {
            dir.create(NewObject::new(KIND_SETTINGS, "", "settings", data))
                .await?;
        }
    }
    Ok(axum::Json(s).into_response())
}

async fn test_oauth_connectivity(
    State(a): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let t: crate::connectivity::ConnectivityTest = parse(&body)?;
    let node = crate::connectivity::run(&a.state, &t).await?;
    Ok(axum::Json(node).into_response())
}

async fn get_settings(
    State(a): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    Ok(axum::Json(a.state.settings().await?).into_response())
}

#[derive(Deserialize)]
struct NewUser {
    sip: String,
    smtp: String,
    #[serde(default)]
    display_name: Option<String>,
}

async fn new_user(
    State(a): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let u: NewUser = parse(&body)?;
    let sip = u.sip.trim_start_matches("sip:").to_ascii_lowercase();
    if !sip.contains('@') || !u.smtp.contains('@') {
        return Err(PartnerError::BadRequest(
            "sip and smtp must be addresses".into(),
        ));
    }
    let data = json!({ "sip": sip, "smtp": u.smtp.to_ascii_lowercase(), "displayName": u.display_name.unwrap_or_else(|| sip.clone()) });
    a.state
        .store
        .directory()
        .create(NewObject::new(KIND_USER, "", &sip, data.clone()))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(data)).into_response())
}

async fn list_users(
    State(a): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let users: Vec<Value> = a
        .state
        .store
        .directory()
        .list(KIND_USER, Some(""))
        .await?
        .into_iter()
        .map(|u| u.data)
        .collect();
    Ok(axum::Json(json!({ "users": users })).into_response())
}

/// `Um.CustomGreetings.External` (the voicemail greeting) or `.Oof` (the away greeting).
fn greeting_name(q: &HashMap<String, String>) -> Result<&'static str, PartnerError> {
    match q.get("kind").map(|k| k.to_ascii_lowercase()).as_deref() {
        None | Some("external") => Ok("Um.CustomGreetings.External"),
        Some("oof") => Ok("Um.CustomGreetings.Oof"),
        Some(other) => Err(PartnerError::BadRequest(format!(
            "kind '{other}' is not External or Oof"
        ))),
    }
}

async fn set_greeting(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(user): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    if body.len() < 12 || &body[..4] != b"RIFF" || &body[8..12] != b"WAVE" {
        return Err(PartnerError::BadRequest(
            "a greeting is a WAV file (RIFF/WAVE)".into(),
        ));
    }
    let name = greeting_name(&q)?;
    let s = a.state.settings().await?.for_greeting(name);
    let u = a.state.user(&user).await?;
    let data = STANDARD.encode(&body);
    let update = ewsclient::user_configuration("UpdateUserConfiguration", name, Some(&data));
    let created = match a.state.ews_call(&s, &u, &update).await {
        Ok(_) => false,
        Err(PartnerError::EwsRefused { code, .. }) if code == "ErrorItemNotFound" => {
            a.state
                .ews_call(
                    &s,
                    &u,
                    &ewsclient::user_configuration("CreateUserConfiguration", name, Some(&data)),
                )
                .await?;
            true
        }
        Err(e) => return Err(e),
    };
    tracing::info!(user = %u["smtp"], greeting = name, bytes = body.len(), created, "voicemail greeting set");
    Ok(axum::Json(
        json!({ "user": u["smtp"], "name": name, "bytes": body.len(), "created": created }),
    )
    .into_response())
}

async fn get_greeting(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(user): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let m = greeting_call(&a, &user, greeting_name(&q)?, "GetUserConfiguration").await?;
    let data = match &m.payload {
        ews::Payload::UserConfiguration(c) => c.binary_data.clone().unwrap_or_default(),
        _ => String::new(),
    };
    let bytes = STANDARD
        .decode(data)
        .map_err(|e| PartnerError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "audio/wav")], bytes).into_response())
}

async fn delete_greeting(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(user): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    greeting_call(&a, &user, greeting_name(&q)?, "DeleteUserConfiguration").await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The user's delegates, read as the calendar reads them (GetDelegate; as Teams Scheduler in the
/// Teams edition): `[{smtp, displayName, calendar}]`.
async fn get_delegates(
    State(a): State<AppState>,
    headers: HeaderMap,
    Path(user): Path<String>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let s = a.state.settings().await?.for_calendar();
    let u = a.state.user(&user).await?;
    let smtp = u["smtp"].as_str().unwrap_or("").to_string();
    let (messages, app) = (
        a.state
            .ews_call_all(&s, &u, &ewsclient::get_delegates(&smtp))
            .await?,
        s.client_app_id.clone(),
    );
    let delegates: Vec<Value> = messages
        .iter()
        .filter_map(|m| match &m.payload {
            ews::Payload::DelegateUser(d) => Some(json!({
                "smtp": d.user_id.primary_smtp_address,
                "displayName": d.user_id.display_name,
                "calendar": d.permissions.as_ref().and_then(|p| p.calendar.clone()),
            })),
            _ => None,
        })
        .collect();
    Ok(
        axum::Json(json!({ "user": smtp, "application": app, "delegates": delegates }))
            .into_response(),
    )
}

/// Get- or DeleteUserConfiguration of a greeting; a missing one is NotFound.
async fn greeting_call(
    a: &AppState,
    user: &str,
    name: &str,
    op: &str,
) -> Result<ews::ResponseMessage, PartnerError> {
    let s = a.state.settings().await?.for_greeting(name);
    let u = a.state.user(user).await?;
    a.state
        .ews_call(&s, &u, &ewsclient::user_configuration(op, name, None))
        .await
        .map_err(|e| match e {
            PartnerError::EwsRefused { code, .. } if code == "ErrorItemNotFound" => {
                PartnerError::NotFound(format!("the {name} greeting of {user}"))
            }
            other => other,
        })
}
