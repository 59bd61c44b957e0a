//! The partner's STS client: the assertion grant with its own signing key, and a token cache per
//! resource, refreshed when two thirds of a token's lifetime have passed.

use crate::PartnerError;
use crate::signing::SigningPair;
use s2s::ids::{ACS_APP_ID, Audience, PrincipalId};
use s2s::token::ClientAssertion;
use s2s::token_answer::TokenAnswer;
use std::collections::HashMap;
use std::sync::Mutex;

/// Where and as whom to ask for tokens.
#[derive(Debug, Clone)]
pub struct TokenSource {
    pub tenant: String,
    pub token_endpoint: String,
    pub client_app_id: String,
}

#[derive(Clone)]
struct Cached {
    token: String,
    fetched: i64,
    expires: i64,
}

pub struct TokenClient {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Cached>>,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl TokenClient {
    pub fn new(http: reqwest::Client) -> Self {
        TokenClient {
            http,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// An actor token of `src`'s application for `resource`, from the cache while less than 2/3 of its life has passed.
    pub async fn actor_token(
        &self,
        src: &TokenSource,
        signing: &SigningPair,
        resource: &str,
    ) -> Result<String, PartnerError> {
        let t = now();
        let key = cache_key(&src.client_app_id, resource);
        if let Some(c) = self.cache.lock().expect("token cache").get(&key).cloned()
            && t < c.fetched + (c.expires - c.fetched) * 2 / 3
        {
            return Ok(c.token);
        }
        let fresh = self.fetch(src, signing, resource).await?;
        self.cache
            .lock()
            .expect("token cache")
            .insert(key, fresh.clone());
        Ok(fresh.token)
    }

    /// Forgets a token the resource refused, for every application the partner acts as.
    pub fn forget(&self, resource: &str) {
        self.cache
            .lock()
            .expect("token cache")
            .retain(|k, _| k.split_once('|').map(|(_, r)| r) != Some(resource));
    }

    async fn fetch(
        &self,
        src: &TokenSource,
        signing: &SigningPair,
        resource: &str,
    ) -> Result<Cached, PartnerError> {
        let authority = src
            .token_endpoint
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or("");
        let jti = uuid::Uuid::new_v4().to_string();
        let t = now();
        let assertion = ClientAssertion {
            client: &PrincipalId::new(&src.client_app_id, &src.tenant),
            audience: &Audience::new(ACS_APP_ID, authority, &src.tenant),
            not_before: t,
            expires: t + 600,
            jti: Some(&jti),
        }
        .sign(&signing.key, &signing.certificate);
        let form = [
            ("grant_type", "http://oauth.net/grant_type/jwt/1.0/bearer"),
            ("assertion", assertion.as_str()),
            ("resource", resource),
        ];
        let resp = self
            .http
            .post(&src.token_endpoint)
            .form(&form)
            .send()
            .await
            .map_err(|e| {
                PartnerError::Unavailable(format!(
                    "the token service at {} cannot be reached: {e}",
                    src.token_endpoint
                ))
            })?;
        let status = resp.status();
        let body: TokenAnswer = resp.json().await.map_err(|e| {
            PartnerError::Unavailable(format!("the token service answered no JSON: {e}"))
        })?;
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(PartnerError::Unavailable(format!(
                "the token service answered HTTP {status}"
            )));
        }
        if !status.is_success() {
            return Err(PartnerError::TokenRefused {
                code: body.aadsts_code().unwrap_or_else(|| "TokenRefused".into()),
                message: body.reason().to_string(),
            });
        }
        let token = body
            .access_token
            .ok_or_else(|| PartnerError::Internal("no access_token in the answer".into()))?;
        let expires = body.expires_on.unwrap_or(t + 3600);
        tracing::info!(resource, token = %s2s::jwt::token_digest(&token), "actor token obtained");
        Ok(Cached {
            token,
            fetched: t,
            expires,
        })
    }
}

/// Tokens are cached per application and resource: the Teams edition's partner acts as three.
fn cache_key(client_app_id: &str, resource: &str) -> String {
    format!("{}|{resource}", client_app_id.to_ascii_lowercase())
}
