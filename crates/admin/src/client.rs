//! One HTTP client for every admin call: the bearer credential, JSON in and out, and a
//! refusal read into the server's own code and message.

use crate::error::AdminError;
use reqwest::{Method, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How long an admin call may take: a cmdlet that fetches a metadata document included.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Clone)]
pub struct AdminClient {
    base: String,
    credential: String,
    http: reqwest::Client,
}

impl AdminClient {
    pub fn new(base: &str, credential: &str) -> AdminClient {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .expect("an HTTP client builds");
        AdminClient::with_http(http, base, credential)
    }

    /// A client over an HTTP client of the caller's (one that trusts a development CA).
    pub fn with_http(http: reqwest::Client, base: &str, credential: &str) -> AdminClient {
        AdminClient {
            base: base.trim_end_matches('/').to_string(),
            credential: credential.trim().to_string(),
            http,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// The same server under another credential.
    pub fn as_credential(&self, credential: &str) -> AdminClient {
        AdminClient::with_http(self.http.clone(), &self.base, credential)
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.credential)
    }

    async fn send(&self, req: RequestBuilder) -> Result<Option<String>, AdminError> {
        let resp = req.send().await.map_err(|e| AdminError::Unreachable {
            url: self.base.clone(),
            message: e.to_string(),
        })?;
        read(resp).await
    }

    /// A call whose answer, if it has one, is read as `T`.
    pub async fn call_optional<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<Option<T>, AdminError> {
        let mut req = self.request(method, path);
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let Some(text) = self.send(req).await? else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| AdminError::UnexpectedResponse {
                what: format!("{}{path}", self.base),
                message: e.to_string(),
            })
    }

    /// A call whose answer is read as `T`.
    pub async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, AdminError> {
        self.call_optional(method, path, &[], body)
            .await?
            .ok_or_else(|| AdminError::EmptyResponse {
                what: format!("{}{path}", self.base),
            })
    }

    /// A call whose answer (if any) is not read.
    pub async fn call_unread<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<(), AdminError> {
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req).await.map(drop)
    }

    /// A body of bytes (a greeting's WAV) sent; the answer read as `T`.
    pub async fn put_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        bytes: Vec<u8>,
    ) -> Result<T, AdminError> {
        let req = self.request(Method::PUT, path).query(query).body(bytes);
        let text = self.send(req).await?.unwrap_or_default();
        serde_json::from_str(&text).map_err(|e| AdminError::UnexpectedResponse {
            what: format!("{}{path}", self.base),
            message: e.to_string(),
        })
    }

    /// An answer of bytes (a greeting's WAV).
    pub async fn get_bytes(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<u8>, AdminError> {
        let req = self.request(Method::GET, path).query(query);
        let resp = req.send().await.map_err(|e| AdminError::Unreachable {
            url: self.base.clone(),
            message: e.to_string(),
        })?;
        if !resp.status().is_success() {
            // A refusal: read as every other, into the server's code.
            return read(resp).await.map(|_| Vec::new());
        }
        let bytes = resp.bytes().await.map_err(|e| AdminError::Unreachable {
            url: self.base.clone(),
            message: e.to_string(),
        })?;
        Ok(bytes.to_vec())
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, AdminError> {
        self.call::<(), T>(Method::GET, path, None).await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, AdminError> {
        self.call(Method::POST, path, Some(body)).await
    }
}

/// The error body of every role: Graph's and the partner's `{"error":{"code","message"}}`,
/// on-premises' `{"error":{"code","message"}}` with the cmdlet's exception, OAuth's
/// `{"error","error_description"}`.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum ErrorBody {
    Nested {
        error: Nested,
    },
    OAuth {
        error: String,
        #[serde(default)]
        error_description: String,
    },
}

#[derive(serde::Deserialize)]
struct Nested {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The body of a success (None when empty); a refusal with the server's code.
async fn read(resp: Response) -> Result<Option<String>, AdminError> {
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if status.is_success() {
        return Ok(Some(text).filter(|t| !t.trim().is_empty()));
    }
    let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
        Ok(ErrorBody::Nested { error }) => (error.code, error.message),
        Ok(ErrorBody::OAuth {
            error,
            error_description,
        }) => (
            error,
            error_description.lines().next().unwrap_or("").to_string(),
        ),
        Err(_) => (
            format!("Http{}", status.as_u16()),
            text.chars().take(200).collect(),
        ),
    };
    Err(AdminError::Refused {
        status: status.as_u16(),
        code: if code.is_empty() {
            "Error".into()
        } else {
            code
        },
        message,
    })
}
