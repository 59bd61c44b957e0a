//! The server-to-server (S2S) OAuth wire formats of the hybrid trust, and the inbound
//! validation pipeline.
//!
//! This crate knows tokens, identifiers, metadata documents and headers; it never touches
//! storage or HTTP. Servers give it their trust configuration through [`TrustSource`].

pub mod api_error;
pub mod challenge;
pub mod connectivity;
pub mod entra;
pub mod error;
pub mod federation;
pub mod graph;
pub mod ids;
pub mod inspect;
pub mod jwt;
pub mod lifetime;
pub mod metadata;
pub mod presence;
pub mod token;
pub mod token_answer;
pub mod user_token;
pub mod validate;

pub use challenge::{BearerChallenge, Diagnostics};
pub use error::{ErrorCode, OAuthError, S2sError};
pub use ids::{Audience, PrincipalId};
pub use jwt::{Claims, Header, Jwt, NumericDate};
pub use metadata::MetadataDocument;
pub use token::{TokenProfile, UserContext, UserLookup};
pub use validate::{
    ActorCache, IssuerKey, IssuerKind, PartnerApplicationTrust, RequestContext, TrustSnapshot,
    TrustSource, TrustedIssuer, ValidatedCache, ValidatedToken, Validator,
};

#[cfg(test)]
mod golden_tests;
