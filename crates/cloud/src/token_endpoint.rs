//! The ACS surface: the metadata documents (`/metadata/json/1`) and the token endpoint
//! (`/tokens/OAuth/2`); the token handler is shared with the Entra endpoints.

use crate::respond::{json_response, sts_error};
use crate::state::{CloudState, authority_of};
use crate::sts::{self, TokenRequest};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use s2s::metadata::{MetadataDocument, MetadataFlavor};
use std::collections::HashMap;
use std::sync::Arc;

fn metadata_for(state: &CloudState, tenant: &str) -> Response {
    let snap = state.snapshot();
    let Some(t) = snap.tenant(tenant) else {
        return sts_error(crate::error::sts::tenant_not_found(tenant));
    };
    let issuance = format!("{}/{}/tokens/OAuth/2", state.config.public_url, t.tenant.id);
    let doc = MetadataDocument::acs(&t.tenant.id, &issuance, &snap.published_certificates());
    json_response(StatusCode::OK, doc.to_json(MetadataFlavor::Acs))
}

pub(crate) async fn metadata_tenant(
    State(state): State<Arc<CloudState>>,
    Path(tenant): Path<String>,
) -> Response {
    metadata_for(&state, &tenant)
}

pub(crate) async fn metadata_global(
    State(state): State<Arc<CloudState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match q.get("realm") {
        Some(realm) => metadata_for(&state, realm),
        None => sts_error(crate::error::sts::missing_parameter("realm")),
    }
}

pub(crate) async fn token_global(State(state): State<Arc<CloudState>>, body: Bytes) -> Response {
    token(&state, sts::Endpoint::Acs, None, &body, "").await
}

pub(crate) async fn token_tenant(
    State(state): State<Arc<CloudState>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    token(&state, sts::Endpoint::Acs, Some(&tenant), &body, "").await
}

pub(crate) async fn token(
    state: &CloudState,
    endpoint: sts::Endpoint,
    tenant: Option<&str>,
    body: &[u8],
    address: &str,
) -> Response {
    let started = std::time::Instant::now();
    let form = match sts::parse_form(body) {
        Ok(f) => f,
        Err(e) => return sts_error(e),
    };
    let user_grant = form
        .get("grant_type")
        .is_some_and(|g| crate::user_grants::is_user_grant(g));
    if endpoint != sts::Endpoint::Acs && user_grant {
        let tenant = tenant.unwrap_or("common");
        return match crate::user_grants::issue(state, endpoint, tenant, &form, address).await {
            Ok((body, digest)) => {
                state.metrics.issued(endpoint);
                tracing::info!(
                    grant = form.get("grant_type").map(String::as_str).unwrap_or(""),
                    client = form.get("client_id").map(String::as_str).unwrap_or(""),
                    token = %digest, "issued a user access token"
                );
                json_response(StatusCode::OK, to_json(&body))
            }
            Err(e) => {
                state.metrics.refused(endpoint, e.code);
                tracing::info!(
                    code = e.code,
                    "user token request refused: {}",
                    e.description
                );
                sts_error(e)
            }
        };
    }
    let snap = state.snapshot();
    // The audience an assertion must name is this service's public address as configured,
    // never the Host the request claims: a client cannot choose whom it is talking to.
    let authorities = [authority_of(&state.config.public_url)];
    let path = match endpoint {
        sts::Endpoint::Acs => "tokens/OAuth/2",
        sts::Endpoint::EntraV1 => "oauth2/token",
        sts::Endpoint::EntraV2 => "oauth2/v2.0/token",
    };
    let mut endpoint_urls = vec![format!("{}/{path}", state.config.public_url)];
    if let Some(t) = tenant {
        endpoint_urls.push(format!("{}/{t}/{path}", state.config.public_url));
        // The assertion may name the tenant by id or by a domain.
        if let Some(ts) = snap.tenant(t) {
            endpoint_urls.push(format!(
                "{}/{}/{path}",
                state.config.public_url, ts.tenant.id
            ));
        }
    }
    let req = TokenRequest {
        endpoint,
        public_url: &state.config.public_url,
        path_tenant: tenant,
        form: &form,
        authorities: &authorities,
        endpoint_urls: &endpoint_urls,
        now: time::OffsetDateTime::now_utc().unix_timestamp(),
    };
    let issued = match sts::admit(&snap, &state.replay, &state.config.sts, &req) {
        Ok(admitted) => record_and_sign(state, &admitted, &req).await,
        Err(e) => Err(e),
    };
    match issued {
        Ok((resp, issued)) => {
            state.metrics.issued(endpoint);
            tracing::info!(
                client = %issued.client, resource = %issued.resource, token = %issued.response_digest,
                micros = started.elapsed().as_micros() as u64, "issued an access token"
            );
            json_response(StatusCode::OK, to_json(&resp))
        }
        Err(e) => {
            state.metrics.refused(endpoint, e.code);
            tracing::info!(code = e.code, "token request refused: {}", e.description);
            sts_error(e)
        }
    }
}

/// Records the admitted assertion's use and signs its token at the same time: the use goes
/// to the shared record (a durable write on the recorder's thread) before the signature (this
/// request's CPU), and the token is answered only once the record says this was the first
/// use anywhere. Then this process's front remembers it too.
async fn record_and_sign(
    state: &CloudState,
    admitted: &sts::Admitted<'_>,
    req: &TokenRequest<'_>,
) -> Result<(sts::TokenResponse, sts::Issued), crate::StsError> {
    let unavailable = |e: store::StoreError| {
        tracing::warn!(code = e.code(), "shared replay check failed: {e}");
        crate::error::sts::replay_check_unavailable()
    };
    let pending = state
        .replay_record
        .submit(
            admitted.assertion_key(),
            admitted.assertion_forget_after,
            req.now,
        )
        .await
        .map_err(unavailable)?;
    let (resp, issued) = admitted.sign(&state.config.sts, req);
    match pending.outcome().await.map_err(unavailable)? {
        true => {
            state.replay.first_use(
                admitted.assertion_id,
                admitted.assertion_forget_after,
                req.now,
            );
            Ok((resp, issued))
        }
        false => Err(crate::error::sts::replayed()),
    }
}

/// A token answer's body (its types cannot fail to serialize).
fn to_json(body: &sts::TokenResponse) -> String {
    serde_json::to_string(body).expect("a token response serializes")
}
