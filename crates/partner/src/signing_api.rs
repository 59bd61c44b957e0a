//! The operator's signing-certificate API: see the current or staged certificate (never its
//! key), stage a next one, publish it once the directory holds it.

use crate::PartnerError;
use crate::admin_types::SigningCertificate;
use crate::kinds::KIND_KEY;
use crate::signing::{decode, generate};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use crypto::Certificate;

use std::collections::HashMap;
use std::sync::Arc;
use store::NewObject;

fn describe(cert: &Certificate, which: &str) -> SigningCertificate {
    SigningCertificate {
        which: which.into(),
        certificate: cert.to_base64(),
        thumbprint: cert.thumbprint().to_string(),
        not_before: cert.not_before().unix_timestamp(),
        not_after: cert.not_after().unix_timestamp(),
    }
}

/// `GET /admin/signing-certificate[?which=next]`: the public certificate, never the key.
pub async fn get_certificate(
    State(a): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    if q.get("which").map(String::as_str) == Some("next") {
        let obj = a.state.store.directory().find(KIND_KEY, "", "next").await?;
        let obj =
            obj.ok_or_else(|| PartnerError::NotFound("the next signing certificate".into()))?;
        return Ok(axum::Json(describe(&decode(&obj.data)?.certificate, "next")).into_response());
    }
    Ok(axum::Json(describe(&a.state.signing().certificate, "current")).into_response())
}

/// `POST /admin/signing-certificate/next`: stages a next certificate (or returns the staged one).
pub async fn stage_next(
    State(a): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let dir = a.state.store.directory();
    let obj = match dir.find(KIND_KEY, "", "next").await? {
        Some(o) => o,
        None => {
            dir.create(NewObject::new(KIND_KEY, "", "next", generate()?))
                .await?
        }
    };
    Ok(axum::Json(describe(&decode(&obj.data)?.certificate, "next")).into_response())
}

/// `POST /admin/signing-certificate/publish`: the staged certificate becomes current, once the
/// directory holds it as a Verify key of this service (`?force=true` skips that check).
pub async fn publish(
    State(a): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PartnerError> {
    a.check(&headers)?;
    let dir = a.state.store.directory();
    let next = dir
        .find(KIND_KEY, "", "next")
        .await?
        .ok_or_else(|| PartnerError::BadRequest("no next signing certificate is staged".into()))?;
    let pair = decode(&next.data)?;
    if q.get("force").map(String::as_str) != Some("true") {
        let registered = a.state.registered_thumbprints().await?;
        if !registered
            .iter()
            .any(|t| t.eq_ignore_ascii_case(pair.certificate.thumbprint()))
        {
            return Err(PartnerError::NextCertificateNotRegistered(format!(
                "the next signing certificate {} is not a Verify key of {} valid now: register it first (hybrid cloud add-service-principal-key)",
                pair.certificate.thumbprint(),
                a.state.settings().await?.client_app_id
            )));
        }
    }
    let current = dir
        .find(KIND_KEY, "", "current")
        .await?
        .ok_or_else(|| PartnerError::Internal("no signing key".into()))?;
    dir.update(&current, "current", next.data.clone()).await?;
    dir.delete(&next).await?;
    let described = describe(&pair.certificate, "current");
    a.state.set_signing(Arc::new(pair));
    tracing::info!(thumbprint = %described.thumbprint, "signing certificate published");
    Ok(axum::Json(described).into_response())
}
