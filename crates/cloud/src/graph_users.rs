//! The directory API for users and sign-in: Graph's `users` (with `revokeSignInSessions`) and
//! `oauth2PermissionGrants`, and the administrator's operations Graph does not have: directory
//! synchronization from on premises, a user's sign-in password, and a client's sign-in flows.

use crate::consent;
use crate::error::CloudError;
use crate::graph::parse_body;
use crate::odata::{collection, entity, single};
use crate::state::CloudState;
use crate::users;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;

type AppState = State<Arc<CloudState>>;

pub fn routes() -> Router<Arc<CloudState>> {
    Router::new()
        .route("/v1.0/users", get(list_users))
        .route("/v1.0/users/{id}", get(get_user).patch(patch_user))
        .route("/v1.0/users/{id}/revokeSignInSessions", post(revoke))
        .route(
            "/v1.0/oauth2PermissionGrants",
            get(list_grants).post(new_grant),
        )
        .route(
            "/v1.0/oauth2PermissionGrants/{id}",
            axum::routing::delete(delete_grant),
        )
        .route("/admin/directory-sync", post(sync))
        .route("/admin/users/{id}/password", post(set_password))
        .route(
            "/admin/public-clients/{app_id}",
            get(get_public_client).put(put_public_client),
        )
}

fn ok<T: serde::Serialize>(v: T) -> Response {
    axum::Json(v).into_response()
}

async fn list_users(State(state): AppState, headers: HeaderMap) -> Result<Response, CloudError> {
    let tenant = state.tenant_admin(&headers)?;
    let value: Vec<users::User> = users::list(&state.store, &tenant)
        .await?
        .into_iter()
        .map(|(_, u)| u)
        .collect();
    Ok(ok(collection("users", value)))
}

async fn get_user(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, CloudError> {
    let tenant = state.tenant_admin(&headers)?;
    let (_, u) = users::find(&state.store, &tenant, &id).await?;
    Ok(ok(entity("users/$entity", u)))
}

async fn patch_user(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant = state.tenant_admin(&headers)?;
    let p: users::UserPatch = parse_body(&body)?;
    users::patch(&state.store, &tenant, &id, p).await?;
    state.reload().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn revoke(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, CloudError> {
    let tenant = state.tenant_admin(&headers)?;
    users::revoke_sessions(&state.store, &tenant, &id).await?;
    state.reload().await?;
    Ok(ok(single("Edm.Boolean", true)))
}

async fn list_grants(State(state): AppState, headers: HeaderMap) -> Result<Response, CloudError> {
    let tenant = state.tenant_admin(&headers)?;
    let value = consent::grants(&state.store, &tenant).await?;
    Ok(ok(collection("oauth2PermissionGrants", value)))
}

async fn new_grant(
    State(state): AppState,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant = state.tenant_admin(&headers)?;
    let input: consent::PermissionGrantInput = parse_body(&body)?;
    let g = consent::grant(&state.store, &tenant, input).await?;
    state.reload().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(entity("oauth2PermissionGrants/$entity", g)),
    )
        .into_response())
}

async fn delete_grant(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, CloudError> {
    let tenant = state.tenant_admin(&headers)?;
    consent::revoke(&state.store, &tenant, &id).await?;
    state.reload().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn sync(
    State(state): AppState,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant = state.tenant_admin(&headers)?;
    let request: users::SyncRequest = parse_body(&body)?;
    let report = users::sync(&state.store, &tenant, request).await?;
    state.reload().await?;
    tracing::info!(
        added = report.added.len(),
        updated = report.updated.len(),
        disabled = report.disabled.len(),
        removed = report.removed.len(),
        "directory synchronized"
    );
    Ok(ok(report))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

async fn set_password(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant = state.tenant_admin(&headers)?;
    let b: PasswordBody = parse_body(&body)?;
    let u = users::set_password(&state.store, &tenant, &id, &b.password).await?;
    state.reload().await?;
    tracing::info!(user = %u.id, "sign-in password set");
    Ok(ok(crate::admin_types::PasswordSet {
        id: u.id,
        user_principal_name: u.user_principal_name,
        password_set: true,
    }))
}

async fn get_public_client(
    State(state): AppState,
    headers: HeaderMap,
    Path(app_id): Path<String>,
) -> Result<Response, CloudError> {
    let tenant = state.tenant_admin(&headers)?;
    crate::directory::find_service_principal(&state.store, &tenant, &app_id).await?;
    let pc = consent::public_client(&state.store, &tenant, &app_id).await?;
    Ok(ok(
        serde_json::to_value(pc).map_err(|e| CloudError::Internal(e.to_string()))?
    ))
}

async fn put_public_client(
    State(state): AppState,
    headers: HeaderMap,
    Path(app_id): Path<String>,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant = state.tenant_admin(&headers)?;
    let input: consent::PublicClientInput = parse_body(&body)?;
    let pc = consent::set_public_client(&state.store, &tenant, &app_id, input).await?;
    state.reload().await?;
    Ok(ok(
        serde_json::to_value(pc).map_err(|e| CloudError::Internal(e.to_string()))?
    ))
}
