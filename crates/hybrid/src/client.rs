//! A small client of the roles' admin APIs: bearer credential, JSON in and out, and the
//! server's own error code and message carried into the CLI's error.

use crate::error::CliError;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;

pub struct AdminClient {
    base: String,
    credential: String,
    http: Client,
}

impl AdminClient {
    /// A client that also trusts the PEM certificates in `ca`: a server's self-signed one, or
    /// its certificate with the chain it serves (the CA that issued it).
    pub fn with_ca(base: &str, credential: &str, ca: Option<&std::path::Path>) -> Self {
        let mut builder = Client::builder().timeout(std::time::Duration::from_secs(60));
        let certs = ca
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).ok())
            .unwrap_or_default();
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
        let http = builder.build().expect("an HTTP client builds");
        AdminClient {
            base: base.trim_end_matches('/').to_string(),
            credential: credential.to_string(),
            http,
        }
    }

    fn send(&self, req: RequestBuilder) -> Result<Option<Value>, CliError> {
        let resp = req
            .bearer_auth(&self.credential)
            .send()
            .map_err(|e| CliError::Refused {
                code: crate::error::Code::ServerUnreachable,
                message: format!("{}: {e}", self.base),
            })?;
        read(resp)
    }

    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, CliError> {
        self.send(self.http.get(format!("{}{path}", self.base)).query(query))?
            .ok_or_else(empty)
    }

    pub fn post(&self, path: &str, body: &Value) -> Result<Option<Value>, CliError> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(body))
    }

    pub fn patch(&self, path: &str, body: &Value) -> Result<Option<Value>, CliError> {
        self.send(self.http.patch(format!("{}{path}", self.base)).json(body))
    }

    pub fn delete(&self, path: &str) -> Result<Option<Value>, CliError> {
        self.send(self.http.delete(format!("{}{path}", self.base)))
    }

    pub fn put(&self, path: &str, body: &Value) -> Result<Option<Value>, CliError> {
        self.send(self.http.put(format!("{}{path}", self.base)).json(body))
    }
}

fn empty() -> CliError {
    CliError::Refused {
        code: crate::error::Code::EmptyResponse,
        message: "the server answered with no body".into(),
    }
}

/// The body of a success; a Graph error (`{"error":{"code","message"}}`) or an OAuth error
/// (`{"error","error_description"}`) becomes a refusal with the server's code.
fn read(resp: Response) -> Result<Option<Value>, CliError> {
    let status = resp.status();
    let text = resp.text().unwrap_or_default();
    let body: Option<Value> = if text.trim().is_empty() {
        None
    } else {
        serde_json::from_str(&text).ok()
    };
    if status.is_success() {
        return Ok(body);
    }
    let (code, message) = match &body {
        Some(v) if v["error"].is_object() => (
            v["error"]["code"].as_str().unwrap_or("Error").to_string(),
            v["error"]["message"].as_str().unwrap_or("").to_string(),
        ),
        Some(v) if v["error"].is_string() => (
            v["error"].as_str().unwrap_or("error").to_string(),
            v["error_description"]
                .as_str()
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
        ),
        _ => (
            format!("Http{}", status.as_u16()),
            text.chars().take(200).collect(),
        ),
    };
    Err(CliError::Refused {
        code: crate::error::Code::from_wire(&code),
        message: format!("{message} (HTTP {})", status.as_u16()),
    })
}
