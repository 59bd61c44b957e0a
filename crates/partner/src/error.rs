use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use thiserror::Error;

/// The partner role's failures, with stable codes.
#[derive(Debug, Error)]
pub enum PartnerError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0} was not found")]
    NotFound(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("the partner service is not configured: {0}")]
    NotConfigured(String),
    /// The token service refused (code like AADSTS700027).
    #[error("the token service refused: {code}: {message}")]
    TokenRefused { code: String, message: String },
    /// On-premises EWS refused (an EWS response code, or an HTTP 401/403 with diagnostics).
    #[error("on-premises EWS refused: {code}: {message}")]
    EwsRefused { code: String, message: String },
    /// A service could not be reached or answered 5xx/throttled: worth retrying.
    /// A staged signing certificate is not registered in the directory yet.
    #[error("{0}")]
    NextCertificateNotRegistered(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl PartnerError {
    pub fn code(&self) -> String {
        match self {
            PartnerError::BadRequest(_) => "BadRequest".into(),
            PartnerError::NotFound(_) => "NotFound".into(),
            PartnerError::Unauthorized(_) => "Unauthorized".into(),
            PartnerError::NotConfigured(_) => "NotConfigured".into(),
            PartnerError::TokenRefused { code, .. } => code.clone(),
            PartnerError::EwsRefused { code, .. } => code.clone(),
            PartnerError::NextCertificateNotRegistered(_) => "NextCertificateNotRegistered".into(),
            PartnerError::Unavailable(_) => "Unavailable".into(),
            PartnerError::Internal(_) => "InternalError".into(),
        }
    }

    /// Whether trying again later may succeed.
    pub fn retryable(&self) -> bool {
        matches!(self, PartnerError::Unavailable(_))
    }

    fn status(&self) -> StatusCode {
        match self {
            PartnerError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PartnerError::NotFound(_) => StatusCode::NOT_FOUND,
            PartnerError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            PartnerError::NotConfigured(_) | PartnerError::NextCertificateNotRegistered(_) => {
                StatusCode::CONFLICT
            }
            PartnerError::TokenRefused { .. }
            | PartnerError::EwsRefused { .. }
            | PartnerError::Unavailable(_) => StatusCode::BAD_GATEWAY,
            PartnerError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<store::StoreError> for PartnerError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Duplicate { .. } => PartnerError::BadRequest(e.to_string()),
            store::StoreError::NotFound { name, .. } => PartnerError::NotFound(name),
            other => PartnerError::Internal(format!("the partner store failed ({})", other.code())),
        }
    }
}

impl IntoResponse for PartnerError {
    fn into_response(self) -> Response {
        (
            self.status(),
            Json(s2s::api_error::ErrorBody::new(
                self.code().to_string(),
                self.to_string(),
            )),
        )
            .into_response()
    }
}
