//! The inbound error catalogue: Exchange's OAuth error codes, names, categories and message
//! texts, exactly as clients see them in `x-ms-diagnostics`, plus this crate's own format errors.

use std::fmt;
use thiserror::Error;

macro_rules! catalogue {
    ($($variant:ident = $code:literal, $template:literal;)*) => {
        /// An inbound S2S validation failure code (Exchange's `OAuthErrors`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $($variant),* }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The numeric code, e.g. 2008.
            pub fn code(self) -> u32 {
                match self { $(ErrorCode::$variant => $code),* }
            }
            /// The name, e.g. `NoConfiguredIssuerMatched`.
            pub fn name(self) -> &'static str {
                match self { $(ErrorCode::$variant => stringify!($variant)),* }
            }
            /// The message template; `{0}` and `{1}` are filled from the failure's arguments.
            pub fn template(self) -> &'static str {
                match self { $(ErrorCode::$variant => $template),* }
            }
        }
    };
}

catalogue! {
    InvalidSignature = 1001, "The token has an invalid signature.";
    OuterTokenAlsoSigned = 2001, "The user context must be unsigned.";
    ActorTokenMustBeSigned = 2002, "The inner actor token must be signed.";
    MissingIssuer = 2003, "The token is missing the issuer.";
    NoClaimFound = 2005, "The token is missing the claim type '{0}'.";
    InvalidIssuerFormat = 2006, "The issuer claim value is invalid '{0}'.";
    InvalidOuterTokenIssuerFormat = 2007, "The outer token issuer claim value is invalid '{0}'";
    NoConfiguredIssuerMatched = 2008, "The issuer of the token is unknown. Issuer was '{0}'.";
    InvalidNameIdFormat = 2009, "The nameid claim value is invalid '{0}'.";
    InvalidAudience = 2010, "The audience claim value is invalid '{0}'.";
    MismatchedRealmBetweenAudienceAndIssuer = 2011, "The audience contains a realm that is different than the issuer's realm.";
    InvalidOuterTokenIssuerIdValue = 2015, "The user-context issuer '{1}' does not match the application-context nameid '{0}'";
    InvalidRealmFromOuterTokenIssuer = 2016, "The outer token issuer realm '{0}' is invalid.";
    UnexpectedRealmInNameId = 2017, "The realm in the nameid claim value is invalid.  Expected '{0}'. Actual '{1}'.";
    NoUserClaimsFound = 2018, "No applicable user context claims found.";
    TokenProfileNotApplicable = 2020, "This token profile is not applicable for the current protocol.";
    InvalidClaimValueFound = 2021, "The claim '{0}' has no value this endpoint accepts: '{1}'.";
    UnableToReadToken = 2022, "Unable to read or process token, additional details: '{0}'.";
    ActorNotTrustedForDelegation = 2901, "The actor token is not trusted for delegation, so it cannot carry a user context. Actor was '{0}'.";
    TokenExpired = 3001, "The token has expired.";
    EmptyRealmFromAudience = 4001, "The audience in the token does not specify a realm.";
    UnexpectedHostNameInAudience = 4002, "The hostname component of the audience claim value is invalid. Expected '{0}'. Actual '{1}'.";
    OrganizationIdNotFoundFromRealm = 5002, "The tenant for realm '{0}' does not exist.";
    NoUserFoundWithGivenClaims = 6001, "The user specified by the user-context in the token does not exist.";
    MoreThan1UserFoundWithGivenClaims = 6002, "The user specified by the user-context in the token is ambiguous.";
    NameIdNotMatchMasterAccountSid = 6003, "The MasterAccountSid doesn't match the SID claim.";
    InvalidSidValue = 6004, "The SID claim value '{0}' is not a security identifier.";
    UserAccountDisabled = 6005, "The user specified by the user-context in the token is disabled.";
    NoMatchingPartnerAppFound = 7001, "The Application Identifier '{0}' is unknown.";
    UnexpectedAppIdInNameId = 7002, "The application identifier in the nameid claim value is invalid.  Expected '{0}'. Actual '{1}'.";
    ADOperationFailed = 8001, "The Active Directory operation failed.";
    UnexpectedErrorOccurred = 8002, "An unexpected error occurred.";
    NoCertificateFound = 10001, "The certificate referenced by token with key {0} could not be located on server {1}.";
}

const CATEGORY_NAMES: &[&str] = &[
    "invalid_signature",
    "invalid_token",
    "token_expired",
    "invalid_resource",
    "invalid_tenant",
    "invalid_user",
    "invalid_client",
    "internal_error",
    "invalid_grant",
    "invalid_certificate",
];

impl ErrorCode {
    /// The error category number: 2000000 + floor(code / 1000) - 1.
    pub fn category(self) -> u32 {
        2_000_000 + self.code() / 1000 - 1
    }

    /// The category name printed as `error_category` in `x-ms-diagnostics`.
    pub fn category_name(self) -> &'static str {
        CATEGORY_NAMES[(self.category() - 2_000_000) as usize]
    }

    /// The HTTP status a server answers with: 500 for its own failures, 401 otherwise.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::ADOperationFailed | ErrorCode::UnexpectedErrorOccurred => 500,
            _ => 401,
        }
    }

    /// Looks a code up by number.
    pub fn from_code(code: u32) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.code() == code)
    }
}

/// A rejected token: the catalogue code and the filled-in message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub message: String,
    /// True when refreshing the issuer's metadata might make the token acceptable
    /// (unknown key, bad signature after a key rollover).
    pub refresh_metadata: bool,
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code.name(),
            self.code.code(),
            self.message
        )
    }
}

impl OAuthError {
    pub fn new(code: ErrorCode, args: &[&str]) -> Self {
        let mut message = code.template().to_string();
        for (i, arg) in args.iter().enumerate() {
            message = message.replace(&format!("{{{i}}}"), arg);
        }
        OAuthError {
            code,
            message,
            refresh_metadata: false,
        }
    }

    pub fn with_refresh(mut self) -> Self {
        self.refresh_metadata = true;
        self
    }

    /// The `x-ms-diagnostics` header value for this failure.
    pub fn diagnostics(&self) -> crate::challenge::Diagnostics {
        crate::challenge::Diagnostics {
            category: self.code.category(),
            reason: self.message.clone(),
            error_category: self.code.category_name().to_string(),
        }
    }
}

/// Failures to read or build the protocol's documents (not inbound token decisions).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum S2sError {
    #[error("malformed token: {0}")]
    MalformedToken(String),
    #[error("token is {0} bytes; the limit is {1}")]
    TokenTooLarge(usize, usize),
    #[error("malformed metadata document: {0}")]
    MalformedMetadata(String),
    #[error("malformed header: {0}")]
    MalformedHeader(String),
    #[error("invalid identifier '{0}'")]
    InvalidIdentifier(String),
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
}

impl S2sError {
    /// A stable identifier for this kind of failure.
    pub fn code(&self) -> &'static str {
        match self {
            S2sError::MalformedToken(_) => "S2sMalformedToken",
            S2sError::TokenTooLarge(..) => "S2sTokenTooLarge",
            S2sError::MalformedMetadata(_) => "S2sMalformedMetadata",
            S2sError::MalformedHeader(_) => "S2sMalformedHeader",
            S2sError::InvalidIdentifier(_) => "S2sInvalidIdentifier",
            S2sError::Crypto(e) => e.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_the_formula() {
        assert_eq!(ErrorCode::InvalidSignature.category(), 2_000_000);
        assert_eq!(
            ErrorCode::InvalidSignature.category_name(),
            "invalid_signature"
        );
        assert_eq!(ErrorCode::NoMatchingPartnerAppFound.category(), 2_000_006);
        assert_eq!(
            ErrorCode::NoMatchingPartnerAppFound.category_name(),
            "invalid_client"
        );
        assert_eq!(ErrorCode::TokenExpired.category_name(), "token_expired");
        assert_eq!(
            ErrorCode::NoCertificateFound.category_name(),
            "invalid_certificate"
        );
        assert_eq!(
            ErrorCode::OrganizationIdNotFoundFromRealm.category_name(),
            "invalid_tenant"
        );
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(c.code()), Some(*c));
            let _ = c.category_name(); // every code has a category name
        }
    }

    #[test]
    fn messages_are_filled_exactly() {
        let e = OAuthError::new(ErrorCode::InvalidOuterTokenIssuerIdValue, &["a@r", "b@r"]);
        assert_eq!(
            e.message,
            "The user-context issuer 'b@r' does not match the application-context nameid 'a@r'"
        );
        let e = OAuthError::new(ErrorCode::UnexpectedRealmInNameId, &["x", "y"]);
        assert_eq!(
            e.message,
            "The realm in the nameid claim value is invalid.  Expected 'x'. Actual 'y'."
        );
        assert_eq!(e.code.http_status(), 401);
        assert_eq!(ErrorCode::UnexpectedErrorOccurred.http_status(), 500);
    }
}
