//! The on-premises role's errors: Exchange's exception names as codes, with its message texts.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum OnPremError {
    #[error("The operation couldn't be performed because object '{0}' couldn't be found.")]
    NotFound(String),
    #[error("The operation couldn't be performed because '{0}' matches multiple entries.")]
    Ambiguous(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("A parameter cannot be found that matches parameter name '{0}'.")]
    UnknownParameter(String),
    #[error("Cannot process command because of one or more missing mandatory parameters: {0}.")]
    MissingParameter(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("The term '{0}' is not recognized as a cmdlet that this server runs.")]
    UnknownCmdlet(String),
    #[error("{0}")]
    Metadata(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    /// The partner service could not be reached.
    #[error("{0}")]
    Unavailable(String),
    /// The partner service refused this organization's token.
    #[error("{0}")]
    PartnerRefused(String),
    /// A high-impact change arrived unconfirmed (no -Confirm:$false).
    #[error("{0}")]
    ConfirmationRequired(String),
    #[error("{0}")]
    Internal(String),
}

impl OnPremError {
    /// A stable code: the exception Exchange raises for the same failure.
    pub fn code(&self) -> &'static str {
        match self {
            OnPremError::NotFound(_) => "ManagementObjectNotFoundException",
            OnPremError::Ambiguous(_) => "ManagementObjectAmbiguousException",
            OnPremError::AlreadyExists(_) => "ADObjectAlreadyExistsException",
            OnPremError::UnknownParameter(_) => "ParameterBindingException",
            OnPremError::MissingParameter(_) => "ParameterBindingValidationException",
            OnPremError::InvalidArgument(_) => "ArgumentException",
            OnPremError::UnknownCmdlet(_) => "CommandNotFoundException",
            OnPremError::Metadata(_) => "AuthMetadataException",
            OnPremError::Unauthorized(_) => "Unauthorized",
            OnPremError::Forbidden(_) => "AccessDenied",
            OnPremError::Conflict(_) => "ADObjectChangedException",
            OnPremError::Unavailable(_) => "PartnerUnavailable",
            OnPremError::PartnerRefused(_) => "PartnerRefused",
            OnPremError::ConfirmationRequired(_) => "ConfirmationRequired",
            OnPremError::Internal(_) => "InternalError",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            OnPremError::NotFound(_) => StatusCode::NOT_FOUND,
            OnPremError::AlreadyExists(_) | OnPremError::Conflict(_) => StatusCode::CONFLICT,
            OnPremError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            OnPremError::Forbidden(_) => StatusCode::FORBIDDEN,
            OnPremError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            OnPremError::Unavailable(_) | OnPremError::PartnerRefused(_) => StatusCode::BAD_GATEWAY,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<store::StoreError> for OnPremError {
    fn from(e: store::StoreError) -> Self {
        use store::StoreError as S;
        match e {
            S::Duplicate { kind, name } => {
                OnPremError::AlreadyExists(format!("The {kind} '{name}' already exists."))
            }
            S::NotFound { name, .. } => OnPremError::NotFound(name),
            S::Conflict { .. } => OnPremError::Conflict(format!("{e}")),
            S::TooLarge { .. } => OnPremError::InvalidArgument(e.to_string()),
            other => {
                tracing::error!(code = other.code(), "store failure: {other}");
                OnPremError::Internal(format!("the organization store failed ({})", other.code()))
            }
        }
    }
}

impl IntoResponse for OnPremError {
    fn into_response(self) -> Response {
        let body = s2s::api_error::ErrorBody::new(self.code(), self.to_string());
        (self.status(), Json(body)).into_response()
    }
}
