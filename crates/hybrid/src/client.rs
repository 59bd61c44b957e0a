//! The CLI's admin client: the admin crate's one HTTP client, driven from the CLI's
//! synchronous commands, with a refusal carried into the CLI's error under the server's code.

use crate::error::{CliError, Code};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde::de::IgnoredAny;

pub struct AdminClient {
    inner: admin::AdminClient,
    runtime: tokio::runtime::Runtime,
}

/// A refusal or failure of an admin call, as the CLI reports it.
pub fn refusal(e: admin::AdminError) -> CliError {
    CliError::Refused {
        code: Code::from_wire(e.code()),
        message: e.to_string(),
    }
}

impl AdminClient {
    /// A client that also trusts the PEM certificates in `ca`: a server's self-signed one, or
    /// its certificate with the chain it serves (the CA that issued it).
    pub fn with_ca(base: &str, credential: &str, ca: Option<&std::path::Path>) -> Self {
        let mut builder = reqwest::Client::builder().timeout(std::time::Duration::from_secs(60));
        let certs = ca
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).ok())
            .unwrap_or_default();
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
        let http = builder.build().expect("an HTTP client builds");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime builds");
        AdminClient {
            inner: admin::AdminClient::with_http(http, base, credential),
            runtime,
        }
    }

    /// Runs one of the admin crate's typed calls to its end.
    pub fn wait<T>(
        &self,
        call: impl Future<Output = Result<T, admin::AdminError>>,
    ) -> Result<T, CliError> {
        self.runtime.block_on(call).map_err(refusal)
    }

    pub fn onprem(&self) -> admin::OnPremAdmin {
        admin::OnPremAdmin(self.inner.clone())
    }

    pub fn cloud(&self) -> admin::CloudAdmin {
        admin::CloudAdmin(self.inner.clone())
    }

    pub fn partner(&self) -> admin::PartnerAdmin {
        admin::PartnerAdmin(self.inner.clone())
    }

    /// A call whose answer, if it has one, is read as `T`.
    pub fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<Option<T>, CliError> {
        self.wait(self.inner.call_optional(method, path, query, body))
    }

    /// A GET whose answer is read as `T`.
    pub fn fetch<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, CliError> {
        self.call::<(), T>(Method::GET, path, query, None)?
            .ok_or_else(|| {
                refusal(admin::AdminError::EmptyResponse {
                    what: path.to_string(),
                })
            })
    }

    /// A call whose answer is read as `T`.
    pub fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, CliError> {
        self.call(method.clone(), path, &[], Some(body))?
            .ok_or_else(|| {
                refusal(admin::AdminError::EmptyResponse {
                    what: path.to_string(),
                })
            })
    }

    /// A PATCH whose answer (Graph's 204) is not read.
    pub fn patch<B: Serialize>(&self, path: &str, body: &B) -> Result<(), CliError> {
        self.call::<B, IgnoredAny>(Method::PATCH, path, &[], Some(body))
            .map(drop)
    }

    /// A DELETE whose answer is not read.
    pub fn delete(&self, path: &str) -> Result<(), CliError> {
        self.call::<(), IgnoredAny>(Method::DELETE, path, &[], None)
            .map(drop)
    }
}
