//! The partner's state, outside its router: its store, settings and users (cached), the signing
//! key, the token and EWS clients, the peer trust, the metrics; and the admin credential check.

use crate::PartnerError;
use crate::admin_types::PartnerUser;
use crate::ewsclient::EwsClient;
use crate::kinds::*;
use crate::tokens::{TokenClient, TokenSource};
use axum::http::{HeaderMap, header};
use s2s::ids::{PrincipalId, SKYPE_APP_ID};
use s2s::token::{OuterToken, UserContext};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use store::Store;

/// Where the partner finds the token service and on-premises EWS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Settings naming the tenant, its token endpoint, on-premises EWS and the resource
    /// (`00000002-…/<EWS host>@<realm>`), with the other members as their defaults.
    pub fn new(tenant_id: &str, token_endpoint: &str, ews_url: &str, resource: &str) -> Settings {
        Settings {
            tenant_id: tenant_id.into(),
            token_endpoint: token_endpoint.into(),
            ews_url: ews_url.into(),
            autodiscover_url: None,
            ews_url_setting: external_ews_url(),
            resource: resource.into(),
            client_app_id: skype(),
            edition: String::new(),
        }
    }

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
    pub(crate) signing: std::sync::RwLock<Arc<crate::signing::SigningPair>>,
    /// Delay before the first retry; doubled each time up to a minute.
    pub retry_base_ms: i64,
    /// How long a claim on queued work lasts (`HYBRID_WORK_LEASE_MS`, default a minute): a
    /// process that dies holding work frees it after this.
    pub work_lease_ms: i64,
    /// The keys on this service's own principal: whom it trusts for presence requests.
    pub peer_trust: crate::peer_trust::PeerTrust,
    /// EWS URLs found by Autodiscover, by lowercase SMTP address.
    pub discovered: std::sync::Mutex<HashMap<String, String>>,
    /// Settings and users as last read (see config_cache.rs).
    pub(crate) config: crate::config_cache::ConfigCache,
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
        self.config
            .get_or_read(&self.store, "settings", async || {
                let obj = self
                    .store
                    .directory()
                    .find(KIND_SETTINGS, "", "settings")
                    .await?;
                let data = obj.map(|o| o.data).ok_or_else(|| {
                    PartnerError::NotConfigured(
                        "set the tenant, token endpoint and EWS URL first (hybrid partner configure)"
                            .into(),
                    )
                })?;
                serde_json::from_value(data).map_err(|e| PartnerError::Internal(e.to_string()))
            })
            .await
    }

    pub async fn user(&self, id: &str) -> Result<PartnerUser, PartnerError> {
        let id = id.trim_start_matches("sip:");
        let key = format!("user:{}", id.to_ascii_lowercase());
        self.config
            .get_or_read(&self.store, &key, async || self.read_user(id).await)
            .await
    }

    async fn read_user(&self, id: &str) -> Result<PartnerUser, PartnerError> {
        // Users are stored under their SIP address: one keyed read; the SMTP address (usually
        // the same) falls back to a scan.
        let dir = self.store.directory();
        let read = |data| {
            serde_json::from_value::<PartnerUser>(data)
                .map_err(|e| PartnerError::Internal(format!("a stored user: {e}")))
        };
        if let Some(u) = dir.find(KIND_USER, "", &id.to_ascii_lowercase()).await? {
            return read(u.data);
        }
        for u in dir.list(KIND_USER, Some("")).await? {
            let u = read(u.data)?;
            if u.sip.eq_ignore_ascii_case(id) || u.smtp.eq_ignore_ascii_case(id) {
                return Ok(u);
            }
        }
        Err(PartnerError::NotFound(format!("user '{id}'")))
    }

    /// The outer token for `user` around the cached actor token.
    pub async fn token_for(
        &self,
        s: &Settings,
        user: &PartnerUser,
    ) -> Result<String, PartnerError> {
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
            smtp: Some(user.smtp.clone()).filter(|a| !a.is_empty()),
            sip: Some(user.sip.clone()).filter(|a| !a.is_empty()),
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
        user: &PartnerUser,
        request: &ews::Request,
    ) -> Result<ews::ResponseMessage, PartnerError> {
        let token = self.token_for(s, user).await?;
        let smtp = user.smtp.as_str();
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
        user: &PartnerUser,
        request: &ews::Request,
    ) -> Result<Vec<ews::ResponseMessage>, PartnerError> {
        let token = self.token_for(s, user).await?;
        let smtp = user.smtp.as_str();
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
