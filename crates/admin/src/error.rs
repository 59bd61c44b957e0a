use thiserror::Error;

/// Why an admin call failed, with a stable code: the server's own when it answered with one.
#[derive(Debug, Error)]
pub enum AdminError {
    /// The server could not be reached.
    #[error("{url}: {message}")]
    Unreachable { url: String, message: String },
    /// The server refused: its code (a cmdlet's exception, a Graph or OAuth error code) and
    /// message.
    #[error("{message} (HTTP {status})")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// The server answered with no body where the call reads one.
    #[error("{what}: the server answered with no body")]
    EmptyResponse { what: String },
    /// The server answered something other than what the call reads.
    #[error("{what}: {message}")]
    UnexpectedResponse { what: String, message: String },
}

impl AdminError {
    pub fn code(&self) -> &str {
        match self {
            AdminError::Unreachable { .. } => "ServerUnreachable",
            AdminError::Refused { code, .. } => code,
            AdminError::EmptyResponse { .. } => "EmptyResponse",
            AdminError::UnexpectedResponse { .. } => "UnexpectedResponse",
        }
    }
}
