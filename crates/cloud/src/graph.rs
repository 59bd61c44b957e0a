//! The Graph-like directory API (`/v1.0/…`, tenant administrators) and the operator API
//! (`/admin/…`).

use crate::apps;
use crate::directory;
use crate::error::CloudError;
use crate::model::{KeyCredential, ServicePrincipal, complete_key_credential, graph_time};
use crate::odata::{collection, entity};
use crate::snapshot::Caller;
use crate::state::CloudState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

type AppState = State<Arc<CloudState>>;
type Q = Query<HashMap<String, String>>;

/// A principal whole, or only the properties `$select` names.
#[derive(Serialize)]
#[serde(untagged)]
enum Shown<T> {
    Whole(T),
    Selected(Map<String, Value>),
}

pub fn routes() -> Router<Arc<CloudState>> {
    Router::new()
        .route("/v1.0/organization", get(organization))
        .route(
            "/v1.0/servicePrincipals",
            get(list).post(new_service_principal),
        )
        .route(
            "/v1.0/servicePrincipals/{id}/appRoleAssignments",
            get(list_assignments).post(new_assignment),
        )
        .route(
            "/v1.0/applications",
            get(list_applications).post(new_application),
        )
        .route(
            "/v1.0/applications/{id}",
            get(get_application).patch(patch_application),
        )
        .route(
            "/v1.0/policies/defaultAppManagementPolicy",
            get(get_app_management_policy).patch(patch_app_management_policy),
        )
        .route("/v1.0/servicePrincipals/{id}", get(get_one).patch(patch))
        .route("/v1.0/servicePrincipals/{id}/addKey", post(add_key))
        .route("/v1.0/servicePrincipals/{id}/removeKey", post(remove_key))
        .route("/v1.0/{spec}", get(get_one).patch(patch))
        .route("/v1.0/{spec}/addKey", post(add_key))
        .route("/v1.0/{spec}/removeKey", post(remove_key))
        .route("/admin/tenants", post(new_tenant))
        .route("/admin/signing-keys/rotate", post(rotate))
}

/// `servicePrincipals(appId='…')` names a principal by appId; anything else is an object id.
fn principal_ref(segment: &str) -> Result<String, CloudError> {
    if let Some(rest) = segment.strip_prefix("servicePrincipals(appId=") {
        let inner = rest.strip_suffix(')').unwrap_or(rest).trim_matches('\'');
        return Ok(inner.to_string());
    }
    if segment.contains('(') {
        return Err(CloudError::BadRequest(format!(
            "Resource not found for the segment '{segment}'."
        )));
    }
    Ok(segment.to_string())
}

pub(crate) fn parse_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, CloudError> {
    serde_json::from_slice(body)
        .map_err(|e| CloudError::BadRequest(format!("The request body is not valid: {e}")))
}

/// The principal as Graph shows it: `key` values only when asked for with $select on one object;
/// only the selected properties when $select is given (a projection: JSON by nature).
fn present(sp: &ServicePrincipal, select: Option<&str>, single: bool) -> Shown<ServicePrincipal> {
    let wanted: Option<Vec<String>> = select.map(|s| {
        s.split(',')
            .map(|p| p.trim().to_ascii_lowercase())
            .collect()
    });
    let keys_selected = wanted
        .as_ref()
        .is_some_and(|w| w.iter().any(|p| p == "keycredentials"));
    let mut sp = sp.clone();
    if !(single && keys_selected) {
        hide_keys(&mut sp.key_credentials);
    }
    let Some(wanted) = wanted else {
        return Shown::Whole(sp);
    };
    let whole = serde_json::to_value(&sp).expect("service principals serialize");
    let kept: Map<String, Value> = whole
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| *k == "id" || wanted.contains(&k.to_ascii_lowercase()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Shown::Selected(kept)
}

/// Key values are written, never listed: Graph answers `"key": null`.
fn hide_keys(keys: &mut [KeyCredential]) {
    for k in keys {
        k.key = None;
    }
}

async fn organization(State(state): AppState, headers: HeaderMap) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let snap = state.snapshot();
    let t = snap
        .tenant(&tenant_id)
        .ok_or_else(|| CloudError::NotFound(tenant_id.clone()))?;
    Ok(axum::Json(collection("organization", vec![t.tenant.clone()])).into_response())
}

async fn list(
    State(state): AppState,
    headers: HeaderMap,
    Query(q): Q,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let mut sps = directory::list_service_principals(&state.store, &tenant_id).await?;
    if let Some(filter) = q.get("$filter") {
        let app = filter
            .strip_prefix("appId eq '")
            .and_then(|r| r.strip_suffix('\''))
            .ok_or_else(|| {
                CloudError::BadRequest(format!(
                    "Unsupported $filter '{filter}'; use appId eq '<appId>'."
                ))
            })?;
        sps.retain(|s| s.app_id.eq_ignore_ascii_case(app));
    }
    let value = sps
        .iter()
        .map(|s| present(s, q.get("$select").map(String::as_str), false))
        .collect();
    Ok(axum::Json(collection("servicePrincipals", value)).into_response())
}

async fn get_one(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Result<Response, CloudError> {
    let (tenant_id, only_app) = match state.authenticate(&headers)? {
        Caller::Application { tenant_id, app_id } => (tenant_id, Some(app_id)),
        _ => (state.tenant_admin(&headers)?, None),
    };
    let (_, sp) =
        directory::find_service_principal(&state.store, &tenant_id, &principal_ref(&id)?).await?;
    if only_app.is_some_and(|app| !app.eq_ignore_ascii_case(&sp.app_id)) {
        return Err(CloudError::Forbidden(
            "Insufficient privileges to complete the operation: an application token may only read its own service principal.".into(),
        ));
    }
    let v = present(&sp, q.get("$select").map(String::as_str), true);
    Ok(axum::Json(entity("servicePrincipals/$entity", v)).into_response())
}

/// Applies `change` to a principal and saves it, retrying when another writer got there first.
async fn modify(
    state: &CloudState,
    tenant_id: &str,
    id: &str,
    change: impl Fn(&mut ServicePrincipal) -> Result<(), CloudError>,
) -> Result<ServicePrincipal, CloudError> {
    for _ in 0..5 {
        let (obj, mut sp) = directory::find_service_principal(&state.store, tenant_id, id).await?;
        change(&mut sp)?;
        match directory::save_service_principal(&state.store, &obj, &sp).await {
            Ok(()) => {
                state.reload().await?;
                return Ok(sp);
            }
            Err(CloudError::PreconditionFailed(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(CloudError::PreconditionFailed(
        "the service principal kept changing; try again".into(),
    ))
}

async fn patch(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let body: Map<String, Value> = parse_body(&body)?;
    for k in body.keys() {
        if !matches!(
            k.as_str(),
            "keyCredentials" | "servicePrincipalNames" | "accountEnabled"
        ) {
            return Err(CloudError::BadRequest(format!(
                "Property '{k}' is read-only or cannot be changed here."
            )));
        }
    }
    let keys: Option<Vec<KeyCredential>> = body
        .get("keyCredentials")
        .map(|v| serde_json::from_value(v.clone()))
        .transpose()
        .map_err(|e| {
            CloudError::BadRequest(format!(
                "Invalid value specified for property 'keyCredentials': {e}"
            ))
        })?;
    let spns: Option<Vec<String>> = body
        .get("servicePrincipalNames")
        .map(|v| serde_json::from_value(v.clone()))
        .transpose()
        .map_err(|e| {
            CloudError::BadRequest(format!(
                "Invalid value specified for property 'servicePrincipalNames': {e}"
            ))
        })?;
    let enabled: Option<bool> = body
        .get("accountEnabled")
        .map(|v| {
            v.as_bool().ok_or_else(|| {
                CloudError::BadRequest("accountEnabled must be true or false".into())
            })
        })
        .transpose()?;
    modify(&state, &tenant_id, &principal_ref(&id)?, |sp| {
        if let Some(keys) = &keys {
            let mut out = Vec::with_capacity(keys.len());
            for k in keys {
                let existing = k.key_id.as_deref().and_then(|id| {
                    sp.key_credentials
                        .iter()
                        .find(|e| e.key_id.as_deref() == Some(id))
                });
                match (existing, &k.key) {
                    (Some(e), None) => out.push(e.clone()),
                    _ => out.push(complete_key_credential(k)?.0),
                }
            }
            sp.key_credentials = out;
        }
        if let Some(spns) = &spns {
            let mut clean: Vec<String> = Vec::new();
            for s in spns.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                if !clean.iter().any(|c| c.eq_ignore_ascii_case(s)) {
                    clean.push(s.to_string());
                }
            }
            if !clean.iter().any(|c| c.eq_ignore_ascii_case(&sp.app_id)) {
                clean.insert(0, sp.app_id.clone()); // the appId is always an SPN of its principal
            }
            sp.service_principal_names = clean;
        }
        if let Some(e) = enabled {
            sp.account_enabled = e;
        }
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddKeyBody {
    key_credential: KeyCredential,
    #[serde(default)]
    password_credential: Option<Value>,
    proof: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RemoveKeyBody {
    key_id: String,
    proof: String,
}

/// Graph's proof of possession: a JWT signed with the key of one of the principal's valid
/// certificates, `aud` Azure AD Graph, `iss` the principal's object id, at most 10 minutes.
fn check_proof(
    state: &CloudState,
    tenant_id: &str,
    sp: &ServicePrincipal,
    proof: &str,
) -> Result<(), CloudError> {
    let bad = |m: &str| CloudError::BadRequest(format!("The proof is invalid: {m}."));
    let jwt = s2s::Jwt::decode(proof).map_err(|e| bad(&e.to_string()))?;
    if jwt.alg() != "RS256" {
        return Err(bad("it must be signed with RS256"));
    }
    let c = &jwt.claims;
    if !c
        .aud
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case(s2s::ids::AAD_GRAPH_APP_ID))
    {
        return Err(bad(&format!(
            "'aud' must be {}",
            s2s::ids::AAD_GRAPH_APP_ID
        )));
    }
    if !c
        .iss
        .as_deref()
        .is_some_and(|i| i.eq_ignore_ascii_case(&sp.id))
    {
        return Err(bad("'iss' must be the service principal's object id"));
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let skew = state.config.sts.clock_skew;
    if c.nbf.is_none() || c.exp.is_none() {
        return Err(bad("'nbf' and 'exp' are required"));
    }
    let times = s2s::lifetime::Times {
        nbf: c.nbf,
        iat: c.iat,
        exp: c.exp,
    };
    let ceiling = s2s::lifetime::TokenKind::ProofOfPossession.max_lifetime();
    if let Err(e) = times.check(now, skew, ceiling) {
        return Err(bad(&format!(
            "it must be valid now, for at most 10 minutes ({e})"
        )));
    }
    let snap = state.snapshot();
    let principal = snap
        .tenant(tenant_id)
        .and_then(|t| t.principals.get(&sp.app_id.to_ascii_lowercase()));
    let keys: Vec<_> = principal
        .map(|p| {
            p.verify_keys
                .iter()
                .filter(|k| k.start <= now && now <= k.end)
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() {
        return Err(CloudError::BadRequest(
            "The service principal has no valid certificate to prove possession with; add the first key with PATCH keyCredentials.".into(),
        ));
    }
    if keys.iter().any(|k| {
        k.key
            .verify_rs256(jwt.signing_input(), &jwt.signature)
            .is_ok()
    }) {
        Ok(())
    } else {
        Err(bad(
            "its signature is not by a current certificate of the service principal",
        ))
    }
}

async fn add_key(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let body: AddKeyBody = parse_body(&body)?;
    if body
        .password_credential
        .as_ref()
        .is_some_and(|p| !p.is_null())
    {
        return Err(CloudError::BadRequest(
            "passwordCredential is only for X509CertAndPassword keys, which are not supported"
                .into(),
        ));
    }
    let (_, sp) =
        directory::find_service_principal(&state.store, &tenant_id, &principal_ref(&id)?).await?;
    check_proof(&state, &tenant_id, &sp, &body.proof)?;
    let (new_key, _) = complete_key_credential(&body.key_credential)?;
    let added = new_key.clone();
    modify(&state, &tenant_id, &sp.id, move |sp| {
        sp.key_credentials.push(new_key.clone());
        Ok(())
    })
    .await?;
    let mut shown = [added];
    hide_keys(&mut shown);
    let [added] = shown;
    Ok(axum::Json(entity("microsoft.graph.keyCredential", added)).into_response())
}

async fn remove_key(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let body: RemoveKeyBody = parse_body(&body)?;
    let (_, sp) =
        directory::find_service_principal(&state.store, &tenant_id, &principal_ref(&id)?).await?;
    check_proof(&state, &tenant_id, &sp, &body.proof)?;
    if !sp.key_credentials.iter().any(|k| {
        k.key_id
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case(&body.key_id))
    }) {
        return Err(CloudError::NotFound(body.key_id));
    }
    modify(&state, &tenant_id, &sp.id, |sp| {
        sp.key_credentials.retain(|k| {
            !k.key_id
                .as_deref()
                .is_some_and(|i| i.eq_ignore_ascii_case(&body.key_id))
        });
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn new_tenant(
    State(state): AppState,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CloudError> {
    state.operator(&headers)?;
    let body: crate::admin_types::NewTenantRequest = parse_body(&body)?;
    let made =
        directory::create_tenant(&state.store, &body.domain, body.display_name.as_deref()).await?;
    state.reload().await?;
    let t = &made.tenant;
    tracing::info!(tenant = %t.id, domain = %t.default_domain(), "tenant created");
    let v = crate::admin_types::NewTenantResponse {
        tenant_id: t.id.clone(),
        display_name: t.display_name.clone(),
        verified_domains: t.verified_domains.clone(),
        created_date_time: t.created_date_time.clone(),
        admin_credential: made.admin_credential,
    };
    Ok((StatusCode::CREATED, axum::Json(v)).into_response())
}

async fn rotate(State(state): AppState, headers: HeaderMap) -> Result<Response, CloudError> {
    state.operator(&headers)?;
    directory::rotate_signing_keys(&state.store).await?;
    state.reload().await?;
    let snap = state.snapshot();
    let signing_keys = snap
        .signing_keys
        .iter()
        .map(|k| crate::admin_types::SigningKeyView {
            status: k.status.clone(),
            thumbprint: k.certificate.thumbprint().to_string(),
            not_after: graph_time(k.certificate.not_after()),
        })
        .collect();
    Ok(axum::Json(crate::admin_types::SigningKeys { signing_keys }).into_response())
}

/// An application as Graph shows it: key values only for one application with
/// `$select=keyCredentials` (so that a client can send the whole collection back).
fn present_application(app: &apps::Application, with_keys: bool) -> apps::Application {
    let mut app = app.clone();
    if !with_keys {
        hide_keys(&mut app.key_credentials);
    }
    app
}

async fn new_application(
    State(state): AppState,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let input: apps::ApplicationInput = parse_body(&body)?;
    let app = apps::create_application(&state.store, &tenant_id, input).await?;
    state.reload().await?;
    let v = present_application(&app, false);
    Ok((
        StatusCode::CREATED,
        axum::Json(entity("applications/$entity", v)),
    )
        .into_response())
}

async fn list_applications(
    State(state): AppState,
    headers: HeaderMap,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let value = apps::list_applications(&state.store, &tenant_id)
        .await?
        .iter()
        .map(|(_, a)| present_application(a, false))
        .collect();
    Ok(axum::Json(collection("applications", value)).into_response())
}

async fn get_application(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let (_, app) = apps::find_application(&state.store, &tenant_id, &id).await?;
    let with_keys = q
        .get("$select")
        .is_some_and(|s| s.to_ascii_lowercase().contains("keycredentials"));
    let v = present_application(&app, with_keys);
    Ok(axum::Json(entity("applications/$entity", v)).into_response())
}

async fn patch_application(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let input: apps::ApplicationInput = parse_body(&body)?;
    apps::update_application(&state.store, &tenant_id, &id, input).await?;
    state.reload().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn get_app_management_policy(
    State(state): AppState,
    headers: HeaderMap,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let policy = crate::policy::get(&state.store, &tenant_id).await?;
    Ok(axum::Json(entity(
        "policies/defaultAppManagementPolicy/$entity",
        policy,
    ))
    .into_response())
}

async fn patch_app_management_policy(
    State(state): AppState,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let input: crate::policy::AppManagementPolicyInput = parse_body(&body)?;
    crate::policy::update(&state.store, &tenant_id, input).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

use crate::admin_types::NewServicePrincipal;

async fn new_service_principal(
    State(state): AppState,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let input: NewServicePrincipal = parse_body(&body)?;
    let sp = apps::create_service_principal(&state.store, &tenant_id, &input.app_id).await?;
    state.reload().await?;
    let v = present(&sp, None, true);
    Ok((
        StatusCode::CREATED,
        axum::Json(entity("servicePrincipals/$entity", v)),
    )
        .into_response())
}

async fn list_assignments(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let (_, sp) =
        directory::find_service_principal(&state.store, &tenant_id, &principal_ref(&id)?).await?;
    let value = apps::assignments(&state.store, &tenant_id)
        .await?
        .into_iter()
        .filter(|a| a.principal_id.eq_ignore_ascii_case(&sp.id))
        .collect();
    let path = format!("servicePrincipals('{}')/appRoleAssignments", sp.id);
    Ok(axum::Json(collection(&path, value)).into_response())
}

/// Admin consent to an application permission: the principal in the path is granted the
/// role `appRoleId` of the resource principal `resourceId`.
async fn new_assignment(
    State(state): AppState,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, CloudError> {
    let tenant_id = state.tenant_admin(&headers)?;
    let input: apps::AssignmentInput = parse_body(&body)?;
    let (_, principal) =
        directory::find_service_principal(&state.store, &tenant_id, &principal_ref(&id)?).await?;
    if !principal.id.eq_ignore_ascii_case(&input.principal_id) {
        return Err(CloudError::BadRequest(format!(
            "principalId '{}' is not the service principal of the request path ({})",
            input.principal_id, principal.id
        )));
    }
    let (_, resource) =
        directory::find_service_principal(&state.store, &tenant_id, &input.resource_id)
            .await
            .map_err(|_| {
                CloudError::BadRequest(format!(
                    "The resource '{}' is not a service principal of this tenant.",
                    input.resource_id
                ))
            })?;
    let a = apps::assign_app_role(
        &state.store,
        &tenant_id,
        &principal,
        &resource,
        &input.app_role_id,
    )
    .await?;
    state.reload().await?;
    let path = format!(
        "servicePrincipals('{}')/appRoleAssignments/$entity",
        principal.id
    );
    Ok((StatusCode::CREATED, axum::Json(entity(&path, a))).into_response())
}
