use thiserror::Error;

/// Every failure the CLI reports, with a stable code and an exit status
/// (1 refused or failed, 2 usage).
#[derive(Debug, Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
    #[error(transparent)]
    S2s(#[from] s2s::S2sError),
    /// A check that ran and said no (signature does not verify, token rejected).
    #[error("{message}")]
    Refused { code: String, message: String },
}

impl CliError {
    pub fn code(&self) -> String {
        match self {
            CliError::Usage(_) => "Usage".into(),
            CliError::Io { .. } => "Io".into(),
            CliError::Crypto(e) => e.code().into(),
            CliError::S2s(e) => e.code().into(),
            CliError::Refused { code, .. } => code.clone(),
        }
    }

    pub fn exit_status(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }

    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        CliError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
