//! The Entra ID (v1 and v2) surface beside ACS, for token clients such as MSAL and
//! azure-identity: OpenID discovery, the signing keys as a JWKS, instance discovery for this
//! host, and the `oauth2` token endpoints (client credentials with a certificate assertion).
//! Tokens come from the same issuing core as ACS's (`sts::issue`).

use crate::respond::{json_response, sts_error};
use crate::state::CloudState;
use crate::sts::Endpoint;
use crate::token_endpoint::token;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use s2s::entra::{KeySet, KeySetKey, OpenIdConfiguration};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

pub fn token_routes() -> Router<Arc<CloudState>> {
    Router::new()
        .route("/{tenant}/oauth2/token", post(token_v1))
        .route("/{tenant}/oauth2/v2.0/token", post(token_v2))
        .layer(DefaultBodyLimit::max(64 * 1024))
}

pub fn discovery_routes() -> Router<Arc<CloudState>> {
    Router::new()
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(openid_v2),
        )
        .route("/{tenant}/.well-known/openid-configuration", get(openid_v1))
        .route("/{tenant}/discovery/v2.0/keys", get(keys_v2))
        .route("/{tenant}/discovery/keys", get(keys_v1))
        .route("/common/discovery/instance", get(instance_discovery))
        .route(
            "/{tenant}/federationmetadata/2007-06/federationmetadata.xml",
            get(federation_metadata),
        )
}

/// The client's address, as the accept loop recorded it.
pub(crate) type Peer = Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>;

pub(crate) fn address(peer: &Peer) -> String {
    peer.as_ref()
        .map(|p| p.0.0.ip().to_string())
        .unwrap_or_default()
}

async fn token_v1(
    State(state): State<Arc<CloudState>>,
    Path(tenant): Path<String>,
    peer: Peer,
    body: Bytes,
) -> Response {
    token(
        &state,
        Endpoint::EntraV1,
        Some(&tenant),
        &body,
        &address(&peer),
    )
    .await
}

async fn token_v2(
    State(state): State<Arc<CloudState>>,
    Path(tenant): Path<String>,
    peer: Peer,
    body: Bytes,
) -> Response {
    token(
        &state,
        Endpoint::EntraV2,
        Some(&tenant),
        &body,
        &address(&peer),
    )
    .await
}

/// The tenant's id, or the refusal for a tenant not known here.
fn tenant_id(state: &CloudState, tenant: &str) -> Result<String, crate::error::StsError> {
    state
        .snapshot()
        .tenant(tenant)
        .map(|t| t.tenant.id.clone())
        .ok_or_else(|| crate::error::sts::tenant_not_found(tenant))
}

/// The OpenID Provider configuration, in Entra's member names.
fn openid_configuration(base: &str, tid: &str, v2: bool) -> OpenIdConfiguration {
    let (oauth, keys, issuer) = if v2 {
        (
            format!("{base}/{tid}/oauth2/v2.0"),
            format!("{base}/{tid}/discovery/v2.0/keys"),
            format!("{base}/{tid}/v2.0"),
        )
    } else {
        (
            format!("{base}/{tid}/oauth2"),
            format!("{base}/{tid}/discovery/keys"),
            format!("{base}/{tid}/"),
        )
    };
    let list = |items: &[&str]| items.iter().map(|i| i.to_string()).collect::<Vec<_>>();
    OpenIdConfiguration {
        token_endpoint: format!("{oauth}/token"),
        token_endpoint_auth_methods_supported: list(&["private_key_jwt", "none"]),
        token_endpoint_auth_signing_alg_values_supported: list(&["RS256", "PS256"]),
        jwks_uri: keys,
        response_modes_supported: list(&["query", "fragment", "form_post"]),
        subject_types_supported: list(&["pairwise"]),
        id_token_signing_alg_values_supported: list(&["RS256"]),
        response_types_supported: list(&["code", "id_token", "code id_token", "id_token token"]),
        scopes_supported: list(&["openid", "profile", "email", "offline_access"]),
        grant_types_supported: list(&[
            "client_credentials",
            "authorization_code",
            "refresh_token",
            "password",
            "urn:ietf:params:oauth:grant-type:device_code",
        ]),
        code_challenge_methods_supported: list(&["S256", "plain"]),
        issuer,
        request_uri_parameter_supported: false,
        authorization_endpoint: format!("{oauth}/authorize"),
        device_authorization_endpoint: format!("{oauth}/devicecode"),
        end_session_endpoint: format!("{oauth}/logout"),
        tenant_region_scope: "WW".into(),
        cloud_instance_name: authority(base),
    }
}

fn authority(base: &str) -> String {
    base.split("://")
        .nth(1)
        .unwrap_or(base)
        .trim_end_matches('/')
        .to_string()
}

async fn openid_v2(State(state): State<Arc<CloudState>>, Path(tenant): Path<String>) -> Response {
    if crate::delegated::is_multi_tenant(&tenant) {
        return ok(multi_tenant(
            openid_configuration(&state.config.public_url, &tenant, true),
            &state.config.public_url,
            true,
        ));
    }
    match tenant_id(&state, &tenant) {
        Ok(tid) => ok(openid_configuration(&state.config.public_url, &tid, true)),
        Err(e) => sts_error(e),
    }
}

async fn openid_v1(State(state): State<Arc<CloudState>>, Path(tenant): Path<String>) -> Response {
    if crate::delegated::is_multi_tenant(&tenant) {
        return ok(multi_tenant(
            openid_configuration(&state.config.public_url, &tenant, false),
            &state.config.public_url,
            false,
        ));
    }
    match tenant_id(&state, &tenant) {
        Ok(tid) => ok(openid_configuration(&state.config.public_url, &tid, false)),
        Err(e) => sts_error(e),
    }
}

/// The `common` configuration: its issuer names `{tenantid}`, as Entra's does, since the
/// tokens come from the signed-in user's tenant.
fn multi_tenant(config: OpenIdConfiguration, base: &str, v2: bool) -> OpenIdConfiguration {
    let issuer = if v2 {
        format!("{base}/{{tenantid}}/v2.0")
    } else {
        format!("{base}/{{tenantid}}/")
    };
    OpenIdConfiguration { issuer, ..config }
}

/// The published signing certificates as a JWK Set (each with `x5c`, `x5t` and `kid`).
fn jwks(state: &CloudState, issuer: Option<String>) -> KeySet {
    let snap = state.snapshot();
    let keys = snap
        .published_certificates()
        .into_iter()
        .filter_map(|c| {
            let (n, e) = c.public_key().ok()?.modulus_and_exponent();
            Some(KeySetKey {
                kty: "RSA".into(),
                key_use: "sig".into(),
                kid: c.x5t().to_string(),
                x5t: c.x5t().to_string(),
                n: crypto::base64url(n),
                e: crypto::base64url(e),
                x5c: vec![c.to_base64()],
                issuer: issuer.clone(),
            })
        })
        .collect();
    KeySet { keys }
}

async fn keys_v2(State(state): State<Arc<CloudState>>, Path(tenant): Path<String>) -> Response {
    if crate::delegated::is_multi_tenant(&tenant) {
        return ok(jwks(&state, None));
    }
    match tenant_id(&state, &tenant) {
        Ok(tid) => {
            let issuer = format!("{}/{tid}/v2.0", state.config.public_url);
            ok(jwks(&state, Some(issuer)))
        }
        Err(e) => sts_error(e),
    }
}

async fn keys_v1(State(state): State<Arc<CloudState>>, Path(tenant): Path<String>) -> Response {
    if crate::delegated::is_multi_tenant(&tenant) {
        return ok(jwks(&state, None));
    }
    match tenant_id(&state, &tenant) {
        Ok(_) => ok(jwks(&state, None)),
        Err(e) => sts_error(e),
    }
}

/// The WS-Federation metadata document Exchange's `New-AuthServer -Type AzureAD` reads: the
/// v1 issuer as `entityID` and the published signing certificates.
async fn federation_metadata(
    State(state): State<Arc<CloudState>>,
    Path(tenant): Path<String>,
) -> Response {
    let tid = match tenant_id(&state, &tenant) {
        Ok(t) => t,
        Err(e) => return sts_error(e),
    };
    let base = &state.config.public_url;
    let doc = s2s::federation::FederationMetadata {
        entity_id: format!("{base}/{tid}/"),
        signing_certificates: state
            .snapshot()
            .published_certificates()
            .iter()
            .map(|c| c.to_base64())
            .collect(),
        passive_endpoint: Some(format!("{base}/{tid}/wsfed")),
    };
    let mut resp = (StatusCode::OK, doc.to_xml()).into_response();
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/samlmetadata+xml"),
    );
    resp
}

/// Instance discovery: this host is its own cloud with no aliases. The authorization endpoint
/// asked about (`https://<host>/<tenant>/oauth2/v2.0/authorize`) must be on this host; the
/// answer names that tenant's OpenID configuration, which is where a client goes next.
async fn instance_discovery(
    State(state): State<Arc<CloudState>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let base = &state.config.public_url;
    let host = authority(base);
    let asked = q
        .get("authorization_endpoint")
        .map(String::as_str)
        .unwrap_or("");
    // Hosts are compared without ports: clients (MSAL) write the endpoint without one.
    let hostname = |a: &str| a.split(':').next().unwrap_or("").to_ascii_lowercase();
    let Some(path) = asked
        .strip_prefix("https://")
        .or_else(|| asked.strip_prefix("http://"))
        .and_then(|rest| rest.split_once('/'))
        .filter(|(authority, _)| hostname(authority) == hostname(&host))
        .map(|(_, path)| path)
    else {
        let refusal = InstanceRefused {
            error: "invalid_instance",
            error_description: format!(
                "AADSTS50049: Unknown or invalid instance. The authorization endpoint '{asked}' is not on {host}."
            ),
            error_codes: [50049],
        };
        return json_response(StatusCode::BAD_REQUEST, to_json(&refusal));
    };
    let tenant = path.split('/').next().unwrap_or("common");
    ok(InstanceDiscovery {
        tenant_discovery_endpoint: format!("{base}/{tenant}/v2.0/.well-known/openid-configuration"),
        api_version: "1.1",
        metadata: vec![InstanceMetadata {
            preferred_network: host.clone(),
            preferred_cache: host.clone(),
            aliases: vec![host],
        }],
    })
}

/// MSAL's instance discovery answer: this service is its own cloud, under one name.
#[derive(Serialize)]
struct InstanceDiscovery {
    tenant_discovery_endpoint: String,
    #[serde(rename = "api-version")]
    api_version: &'static str,
    metadata: Vec<InstanceMetadata>,
}

#[derive(Serialize)]
struct InstanceMetadata {
    preferred_network: String,
    preferred_cache: String,
    aliases: Vec<String>,
}

/// An authority on another host, refused as Entra refuses it.
#[derive(Serialize)]
struct InstanceRefused {
    error: &'static str,
    error_description: String,
    error_codes: [u32; 1],
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("an answer serializes")
}

fn ok<T: Serialize>(v: T) -> Response {
    json_response(StatusCode::OK, to_json(&v))
}
