//! The cloud role's errors: Graph-style for the directory API, OAuth-style (AADSTS codes) for
//! the token endpoint.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use thiserror::Error;

/// Directory and admin API failures, each with Graph's error code on the wire.
#[derive(Debug, Error)]
pub enum CloudError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(
        "Resource '{0}' does not exist or one of its queried reference-property objects are not present."
    )]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    Internal(String),
}

impl CloudError {
    /// Graph's error code for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            CloudError::Unauthorized(_) => "InvalidAuthenticationToken",
            CloudError::Forbidden(_) => "Authorization_RequestDenied",
            CloudError::NotFound(_) => "Request_ResourceNotFound",
            CloudError::BadRequest(_) => "Request_BadRequest",
            CloudError::Conflict(_) => "Request_MultipleObjectsWithSameKeyValue",
            CloudError::PreconditionFailed(_) => "Request_PreconditionFailed",
            CloudError::Internal(_) => "Service_InternalServerError",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            CloudError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            CloudError::Forbidden(_) => StatusCode::FORBIDDEN,
            CloudError::NotFound(_) => StatusCode::NOT_FOUND,
            CloudError::BadRequest(_) => StatusCode::BAD_REQUEST,
            CloudError::Conflict(_) => StatusCode::CONFLICT,
            CloudError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            CloudError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<store::StoreError> for CloudError {
    fn from(e: store::StoreError) -> Self {
        use store::StoreError as S;
        match e {
            S::Duplicate { .. } => CloudError::Conflict(e.to_string()),
            S::NotFound { name, .. } => CloudError::NotFound(name),
            S::Conflict { .. } => CloudError::PreconditionFailed(e.to_string()),
            S::TooLarge { .. } => CloudError::BadRequest(e.to_string()),
            other => {
                tracing::error!(code = other.code(), "store failure: {other}");
                CloudError::Internal(format!("the directory store failed ({})", other.code()))
            }
        }
    }
}

impl IntoResponse for CloudError {
    fn into_response(self) -> Response {
        let now = crate::dates::graph_time(time::OffsetDateTime::now_utc());
        let body = GraphErrorBody {
            error: GraphError {
                code: self.code().to_string(),
                message: self.to_string(),
                inner_error: InnerError {
                    date: now,
                    request_id: uuid::Uuid::new_v4().to_string(),
                },
            },
        };
        (self.status(), Json(body)).into_response()
    }
}

/// Graph's error body: `{"error": {"code", "message", "innerError": {"date", "request-id"}}}`.
#[derive(serde::Serialize)]
struct GraphErrorBody {
    error: GraphError,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct GraphError {
    code: String,
    message: String,
    inner_error: InnerError,
}

#[derive(serde::Serialize)]
struct InnerError {
    date: String,
    #[serde(rename = "request-id")]
    request_id: String,
}

/// A token endpoint refusal: OAuth `error`, an AADSTS code and its description.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("AADSTS{code}: {description}")]
pub struct StsError {
    pub error: &'static str,
    pub code: u32,
    pub description: String,
    pub status: u16,
}

/// The token endpoint's refusals: one per cause. Codes marked Hybrid are assigned by this
/// project where Entra documents none for the cause.
pub mod sts {
    use super::StsError;

    fn e(error: &'static str, code: u32, status: u16, description: String) -> StsError {
        StsError {
            error,
            code,
            description,
            status,
        }
    }
    pub fn missing_parameter(name: &str) -> StsError {
        e(
            "invalid_request",
            900144,
            400,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }
    pub fn bad_request(what: &str) -> StsError {
        e(
            "invalid_request",
            90014,
            400,
            format!("The request is malformed: {what}."),
        )
    }
    pub fn unsupported_grant(grant: &str) -> StsError {
        e(
            "unsupported_grant_type",
            70003,
            400,
            format!("The app requested an unsupported grant type '{grant}'."),
        )
    }
    pub fn invalid_scope(scope: &str) -> StsError {
        e(
            "invalid_scope",
            1002012,
            400,
            format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        )
    }
    pub fn resource_parameter_on_v2() -> StsError {
        e(
            "invalid_request",
            901002,
            400,
            "The 'resource' request parameter is not supported.".into(),
        )
    }
    pub fn tenant_not_found(tenant: &str) -> StsError {
        e(
            "invalid_request",
            90002,
            400,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        )
    }
    pub fn malformed_assertion(why: &str) -> StsError {
        e(
            "invalid_request",
            50027,
            400,
            format!("JWT token is invalid or malformed: {why}."),
        )
    }
    pub fn client_not_found(app: &str, tenant: &str) -> StsError {
        e(
            "unauthorized_client",
            700016,
            400,
            format!(
                "Application with identifier '{app}' was not found in the directory '{tenant}'."
            ),
        )
    }
    pub fn no_matching_key(app: &str, x5t: &str) -> StsError {
        e(
            "invalid_client",
            700027,
            401,
            format!(
                "Client assertion failed signature validation: the key was not found. No Verify key credential of application '{app}' valid now matches x5t '{x5t}'."
            ),
        )
    }
    pub fn bad_signature(app: &str) -> StsError {
        e(
            "invalid_client",
            50012,
            401,
            format!("Client assertion contains an invalid signature (application '{app}')."),
        )
    }
    pub fn bad_audience(aud: &str, expected: &str) -> StsError {
        e(
            "invalid_client",
            50013,
            401,
            format!("Assertion audience '{aud}' is invalid; expected '{expected}'."),
        )
    }
    pub fn time_range(why: &str) -> StsError {
        e(
            "invalid_client",
            700024,
            400,
            format!("Client assertion is not within its valid time range: {why}."),
        )
    }
    /// The shared replay check could not be made: refused rather than risk a replay.
    pub fn replay_check_unavailable() -> StsError {
        e(
            "temporarily_unavailable",
            90033,
            503,
            "A transient error has occurred: the replay check is unavailable. Please try again."
                .into(),
        )
    }
    /// Hybrid.
    pub fn replayed() -> StsError {
        e(
            "invalid_client",
            700029,
            401,
            "The client assertion was already used; sign a new one for every request.".into(),
        )
    }
    pub fn client_disabled(app: &str, name: &str) -> StsError {
        e(
            "unauthorized_client",
            7000112,
            400,
            format!("Application '{app}'({name}) is disabled."),
        )
    }
    pub fn resource_disabled(app: &str) -> StsError {
        e(
            "invalid_resource",
            500014,
            400,
            format!(
                "The service principal for resource '{app}' is disabled. This indicate that a subscription within the tenant has lapsed, or that the administrator for this tenant has disabled the application, preventing tokens from being issued for it."
            ),
        )
    }
    pub fn resource_not_found(resource: &str, tenant: &str) -> StsError {
        e(
            "invalid_resource",
            500011,
            400,
            format!(
                "The resource principal named {resource} was not found in the tenant named {tenant}."
            ),
        )
    }
    /// Hybrid.
    pub fn host_not_spn(host: &str, app: &str) -> StsError {
        e(
            "invalid_resource",
            500012,
            400,
            format!(
                "The host '{host}' is not a servicePrincipalName of the resource principal '{app}'. Add it with Set-MsolServicePrincipal -ServicePrincipalNames (hybrid cloud set-service-principal-names)."
            ),
        )
    }
    pub fn client_id_mismatch(client_id: &str, iss: &str) -> StsError {
        e(
            "invalid_client",
            700021,
            400,
            format!(
                "Client assertion application identifier '{iss}' doesn't match 'client_id' parameter '{client_id}'."
            ),
        )
    }

    pub fn invalid_user_scope(scope: &str) -> StsError {
        e(
            "invalid_scope",
            70011,
            400,
            format!(
                "The provided value for the input parameter 'scope' is not valid: '{scope}'. Name the resource's permissions, as https://mail.contoso.com/EWS.AccessAsUser.All."
            ),
        )
    }
    pub fn more_than_one_resource(scope: &str) -> StsError {
        e(
            "invalid_request",
            28000,
            400,
            format!(
                "Provided value for the input parameter scope '{scope}' is not valid because it contains more than one resource. Request one resource at a time."
            ),
        )
    }
    pub fn consent_required(client: &str, name: &str) -> StsError {
        e(
            "invalid_grant",
            65001,
            400,
            format!(
                "The user or administrator has not consented to use the application with ID '{client}' named '{name}'. Grant it with admin consent (hybrid cloud grant-delegated-permission)."
            ),
        )
    }
    pub fn user_gone() -> StsError {
        e(
            "invalid_grant",
            50034,
            400,
            "The user account does not exist in the directory. To sign into this application, the account must be added to the directory.".into(),
        )
    }
    pub fn user_disabled() -> StsError {
        e(
            "invalid_grant",
            50057,
            400,
            "The user account is disabled.".into(),
        )
    }
    pub fn grant_revoked() -> StsError {
        e(
            "invalid_grant",
            50173,
            400,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password, or an administrator revoked their sessions.".into(),
        )
    }
    pub fn invalid_credentials() -> StsError {
        e(
            "invalid_grant",
            50126,
            400,
            "Error validating credentials due to invalid username or password.".into(),
        )
    }
    pub fn locked() -> StsError {
        e(
            "invalid_grant",
            50053,
            400,
            "Your account is locked because the user ID or password was used too many times. Try again later.".into(),
        )
    }
    pub fn bad_grant(what: &str) -> StsError {
        e(
            "invalid_grant",
            70008,
            400,
            format!("The provided {what} is invalid or has expired."),
        )
    }
    pub fn code_redeemed() -> StsError {
        e(
            "invalid_grant",
            54005,
            400,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.".into(),
        )
    }
    pub fn refresh_reused() -> StsError {
        e(
            "invalid_grant",
            70000,
            400,
            "The refresh token was already used: each one is redeemed once, and the answer carried its successor.".into(),
        )
    }
    pub fn grant_mismatch(what: &str) -> StsError {
        e(
            "invalid_grant",
            70000,
            400,
            format!(
                "The provided value for '{what}' does not match the one the grant was issued with."
            ),
        )
    }
    pub fn pkce_mismatch() -> StsError {
        e(
            "invalid_grant",
            501481,
            400,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.".into(),
        )
    }
    pub fn flow_blocked(flow: &str, client: &str) -> StsError {
        e(
            "unauthorized_client",
            53003,
            400,
            format!(
                "Access has been blocked by the tenant's authentication flow policy: the {flow} flow is off for the application '{client}'. An administrator may allow it (hybrid cloud set-public-client)."
            ),
        )
    }
    pub fn authorization_pending() -> StsError {
        e(
            "authorization_pending",
            70016,
            400,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.".into(),
        )
    }
    pub fn slow_down() -> StsError {
        e(
            "slow_down",
            70016,
            400,
            "OAuth 2.0 device flow error. Polled too often: wait the interval between polls."
                .into(),
        )
    }
    pub fn authorization_declined() -> StsError {
        e(
            "authorization_declined",
            70000,
            400,
            "The user declined the device authorization.".into(),
        )
    }
    pub fn device_code_expired() -> StsError {
        e(
            "expired_token",
            70019,
            400,
            "Verification code expired.".into(),
        )
    }
}
