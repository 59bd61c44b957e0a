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
    Refused { code: Code, message: String },
}

impl CliError {
    pub fn code(&self) -> String {
        match self {
            CliError::Usage(_) => "Usage".into(),
            CliError::Io { .. } => "Io".into(),
            CliError::Crypto(e) => e.code().into(),
            CliError::S2s(e) => e.code().into(),
            CliError::Refused { code, .. } => code.as_str().to_string(),
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

macro_rules! refusal_codes {
    ($($code:ident => $wire:literal,)*) => {
        /// Why the CLI refused or failed (`error[CODE]` and the JSON output's code): its own
        /// codes, and those of a server or library it passes on as they were.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Code {
            $($code,)*
            /// A code another component answered with, passed on unchanged.
            Relayed(String),
        }

        impl Code {
            pub fn as_str(&self) -> &str {
                match self {
                    $(Code::$code => $wire,)*
                    Code::Relayed(c) => c,
                }
            }

            /// A code a server or library gave: the CLI's own when it spells one (so the CLI
            /// can act on it), else passed on.
            pub fn from_wire(code: &str) -> Code {
                match code {
                    $($wire => Code::$code,)*
                    other => Code::Relayed(other.to_string()),
                }
            }
        }
    };
}

refusal_codes! {
    ApplicationNotFound => "ApplicationNotFound",
    BootstrapFailed => "BootstrapFailed",
    CommandNotFoundException => "CommandNotFoundException",
    ConfirmationRequired => "ConfirmationRequired",
    CredentialEmpty => "CredentialEmpty",
    DemoFailed => "DemoFailed",
    DevelopmentCaFailed => "DevelopmentCaFailed",
    EmptyResponse => "EmptyResponse",
    ExportScriptNotRun => "ExportScriptNotRun",
    InsecureListenerRefused => "InsecureListenerRefused",
    KeyAlreadyPresent => "KeyAlreadyPresent",
    KeyDoesNotMatchCertificate => "KeyDoesNotMatchCertificate",
    ListenFailed => "ListenFailed",
    MetadataUnavailable => "MetadataUnavailable",
    NotConnected => "NotConnected",
    OAuthConnectivityFailed => "OAuthConnectivityFailed",
    ParameterBindingException => "ParameterBindingException",
    PlaceholderLeft => "PlaceholderLeft",
    ReadFailed => "ReadFailed",
    RequestResourceNotFound => "Request_ResourceNotFound",
    RuntimeFailed => "RuntimeFailed",
    ScriptParseError => "ScriptParseError",
    ServerNotFound => "ServerNotFound",
    ServerUnreachable => "ServerUnreachable",
    SignatureInvalid => "SignatureInvalid",
    TlsConfigInvalid => "TlsConfigInvalid",
    TokenServiceUnreachable => "TokenServiceUnreachable",
    TrustFindings => "TrustFindings",
    UnexpectedResponse => "UnexpectedResponse",
    VariableNotSet => "VariableNotSet",
    WrongTenant => "WrongTenant",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_keep_their_spelling_both_ways() {
        assert_eq!(
            Code::RequestResourceNotFound.as_str(),
            "Request_ResourceNotFound"
        );
        assert_eq!(
            Code::from_wire("Request_ResourceNotFound"),
            Code::RequestResourceNotFound
        );
        assert_eq!(
            Code::from_wire("AADSTS700016"),
            Code::Relayed("AADSTS700016".into())
        );
    }
}
