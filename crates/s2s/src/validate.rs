//! The inbound validation pipeline for S2S act-as and app-only tokens: classification, the
//! actor token (audience, issuer, signature, lifetime, organization, partner application,
//! delegation), then the outer token, in Exchange's order and with its error codes.
//!
//! Two checks are stricter than Exchange 2013: a user context is honoured only when the actor
//! says `trustedfordelegation` "true" (ActorNotTrustedForDelegation, 2901), and the outer `aud`
//! must equal the actor's (InvalidAudience). A token whose `x5t` names no key of its issuer is
//! NoCertificateFound rather than a try of every key, so a key rollover is diagnosable.

use crate::S2sError;
use crate::error::{ErrorCode as E, OAuthError};
use crate::ids::{Audience, PrincipalId, id_eq, is_realm_empty};
use crate::jwt::{Claims, Jwt, MAX_TOKEN_BYTES};
use crate::lifetime::{LifetimeError, Times, TokenKind};
use crate::token::{TokenProfile, UserContext, UserLookup};
use crypto::{Certificate, CryptoError, RsaPublicKey};

/// What kind of trusted issuer signed the actor token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerKind {
    /// An AuthServer (ACS): it vouches for partner applications registered with UseAuthServer.
    Acs,
    /// A partner application that signs its own tokens (registered by metadata URL).
    PartnerApplication { name: String },
}

/// One signing key of a trusted issuer.
#[derive(Debug, Clone)]
pub struct IssuerKey {
    pub x5t: String,
    pub thumbprint: String,
    pub key: RsaPublicKey,
}

impl IssuerKey {
    pub fn from_certificate(cert: &Certificate) -> Result<Self, CryptoError> {
        Ok(IssuerKey {
            x5t: cert.x5t().to_string(),
            thumbprint: cert.thumbprint().to_string(),
            key: cert.public_key()?.clone(),
        })
    }
}

/// An issuer the server trusts, with its keys.
#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    pub kind: IssuerKind,
    pub id: String,
    /// Empty (None, "" or "*") means any realm, for ACS issuers.
    pub realm: Option<String>,
    pub keys: Vec<IssuerKey>,
}

/// A partner application as the pipeline needs it.
#[derive(Debug, Clone)]
pub struct PartnerApplicationTrust {
    pub name: String,
    pub application_identifier: String,
    pub realm: Option<String>,
    pub use_auth_server: bool,
    pub enabled: bool,
    pub accept_security_identifier_information: bool,
}

/// The server's trust configuration, held in memory.
pub trait TrustSource {
    /// AuthConfig.ServiceName: the app id every audience must name.
    fn service_name(&self) -> &str;
    fn trusted_issuers(&self) -> &[TrustedIssuer];
    fn partner_applications(&self) -> &[PartnerApplicationTrust];
    /// True when `realm` names this organization (an accepted domain, the AuthConfig realm,
    /// or an enabled AuthServer's realm).
    fn is_local_realm(&self, realm: &str) -> bool;
}

/// A plain in-memory trust configuration.
#[derive(Debug, Clone, Default)]
pub struct TrustSnapshot {
    pub service_name: String,
    pub issuers: Vec<TrustedIssuer>,
    pub partner_applications: Vec<PartnerApplicationTrust>,
    pub local_realms: Vec<String>,
}

impl TrustSource for TrustSnapshot {
    fn service_name(&self) -> &str {
        &self.service_name
    }
    fn trusted_issuers(&self) -> &[TrustedIssuer] {
        &self.issuers
    }
    fn partner_applications(&self) -> &[PartnerApplicationTrust] {
        &self.partner_applications
    }
    fn is_local_realm(&self, realm: &str) -> bool {
        self.local_realms.iter().any(|r| id_eq(r, realm))
    }
}

/// The request a token arrived on.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    /// The request URI authority (host, and port when not the default).
    pub host: &'a str,
    /// Another name the request is addressed by: the organization's published host, when the
    /// server is reached at its own address behind a load balancer. The audience may name
    /// either, and both are checked in one pass.
    pub published_host: Option<&'a str>,
    /// Unix seconds.
    pub now: i64,
}

/// What a valid token established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedToken {
    pub profile: TokenProfile,
    pub issuer: String,
    pub issuer_kind: IssuerKind,
    pub partner_application: String,
    pub application_id: String,
    pub audience: Audience,
    pub realm: String,
    pub actor_digest: String,
    pub signing_thumbprint: String,
    /// The earliest expiry of the tokens involved (Unix seconds).
    pub expires: i64,
    pub user: Option<UserContext>,
    pub user_lookup: Option<UserLookup>,
}

/// The pipeline's settings.
#[derive(Debug, Clone, Copy)]
pub struct Validator {
    /// Allowed clock difference, seconds. Five minutes by default.
    pub clock_skew: i64,
}

impl Default for Validator {
    fn default() -> Self {
        Validator { clock_skew: 300 }
    }
}

fn fail(code: E, args: &[&str]) -> OAuthError {
    OAuthError::new(code, args)
}

fn unreadable(e: S2sError) -> OAuthError {
    fail(E::UnableToReadToken, &[&e.to_string()])
}

/// The actor token's checked facts, carried into the outer-token checks.
struct Actor<'t> {
    issuer: PrincipalId,
    issuer_kind: IssuerKind,
    audience: Audience,
    app: &'t PartnerApplicationTrust,
    thumbprint: String,
    digest: [u8; 32],
    expires: i64,
    trusted_for_delegation: bool,
}

impl Validator {
    /// Validates a bearer token (§4.3 steps 2-4, and the user claims of step 5).
    pub fn validate(
        &self,
        token: &str,
        req: &RequestContext,
        trust: &impl TrustSource,
    ) -> Result<ValidatedToken, OAuthError> {
        self.validate_with_cache(token, req, trust, None)
    }

    /// As `validate`; an actor token whose exact bytes verified before (and is in `cache`)
    /// is not verified again: a steady partner pays one RSA verification per actor token.
    pub fn validate_with_cache(
        &self,
        token: &str,
        req: &RequestContext,
        trust: &impl TrustSource,
        cache: Option<&ActorCache>,
    ) -> Result<ValidatedToken, OAuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(unreadable(S2sError::TokenTooLarge(
                token.len(),
                MAX_TOKEN_BYTES,
            )));
        }
        let outer = Jwt::decode(token).map_err(unreadable)?;
        let profile = TokenProfile::classify(&outer.claims);
        match profile {
            TokenProfile::ActAs => {
                if outer.is_signed() || !outer.alg().eq_ignore_ascii_case("none") {
                    return Err(fail(E::OuterTokenAlsoSigned, &[]));
                }
                let actor_text = outer.claims.actortoken.as_deref().unwrap_or_default();
                let actor_jwt = Jwt::decode(actor_text).map_err(unreadable)?;
                if TokenProfile::classify(&actor_jwt.claims) != TokenProfile::AppOnly {
                    return Err(fail(E::TokenProfileNotApplicable, &[]));
                }
                let actor = self.actor(&actor_jwt, req, trust, cache)?;
                if !actor.trusted_for_delegation {
                    return Err(fail(
                        E::ActorNotTrustedForDelegation,
                        &[&actor.issuer.to_string()],
                    ));
                }
                self.outer(&outer.claims, &actor, req, trust)?;
                let user = UserContext::from_claims(&outer.claims);
                let lookup = user
                    .lookup(actor.app.accept_security_identifier_information)
                    .ok_or_else(|| fail(E::NoUserClaimsFound, &[]))?;
                let outer_exp = outer.claims.exp.map(|d| d.seconds).unwrap_or(i64::MAX);
                Ok(self.result(profile, actor, outer_exp, Some(user), Some(lookup)))
            }
            TokenProfile::AppOnly => {
                let actor = self.actor(&outer, req, trust, cache)?;
                Ok(self.result(profile, actor, i64::MAX, None, None))
            }
            _ => Err(fail(E::TokenProfileNotApplicable, &[])),
        }
    }

    fn result(
        &self,
        profile: TokenProfile,
        actor: Actor<'_>,
        outer_exp: i64,
        user: Option<UserContext>,
        user_lookup: Option<UserLookup>,
    ) -> ValidatedToken {
        ValidatedToken {
            profile,
            issuer: actor.issuer.to_string(),
            issuer_kind: actor.issuer_kind,
            partner_application: actor.app.name.clone(),
            application_id: actor.app.application_identifier.to_ascii_lowercase(),
            realm: actor.audience.realm.to_ascii_lowercase(),
            audience: actor.audience,
            actor_digest: format!("sha256:{}", hex::encode(&actor.digest[..8])),
            signing_thumbprint: actor.thumbprint,
            expires: actor.expires.min(outer_exp),
            user,
            user_lookup,
        }
    }

    /// Step 3: the signed actor token (or the whole app-only token).
    fn actor<'t, T: TrustSource>(
        &self,
        jwt: &Jwt<'_>,
        req: &RequestContext,
        trust: &'t T,
        cache: Option<&ActorCache>,
    ) -> Result<Actor<'t>, OAuthError> {
        if !jwt.is_signed() || jwt.alg().eq_ignore_ascii_case("none") {
            return Err(fail(E::ActorTokenMustBeSigned, &[]));
        }
        let c = &jwt.claims;
        let audience = self.audience(c, req, trust)?;
        let iss = c
            .iss
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| fail(E::MissingIssuer, &[]))?;
        let issuer =
            PrincipalId::parse_issuer(iss).ok_or_else(|| fail(E::InvalidIssuerFormat, &[iss]))?;
        let trusted = find_issuer(trust.trusted_issuers(), &issuer, &audience)
            .ok_or_else(|| fail(E::NoConfiguredIssuerMatched, &[iss]))?;
        let digest = crypto::sha256(jwt.compact().as_bytes());
        let cached = cache.and_then(|c| c.get(&digest, req.now));
        let thumbprint = match cached {
            Some(t) => t,
            None => verify_signature(jwt, trusted, req.host)?,
        };
        let expires = self.lifetime(c, TokenKind::ActorToken, req.now)?;
        if let Some(c) = cache {
            c.insert(digest, &thumbprint, expires);
        }
        if !trust.is_local_realm(&audience.realm) {
            return Err(fail(E::OrganizationIdNotFoundFromRealm, &[&audience.realm]));
        }
        let app = resolve_partner_application(c, trusted, &issuer, trust)?;
        if trusted.kind == IssuerKind::Acs && !id_eq(&audience.realm, &issuer.realm) {
            return Err(fail(E::MismatchedRealmBetweenAudienceAndIssuer, &[]));
        }
        Ok(Actor {
            issuer,
            issuer_kind: trusted.kind.clone(),
            audience,
            app,
            thumbprint,
            digest,
            expires,
            trusted_for_delegation: c
                .trustedfordelegation
                .as_deref()
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        })
    }

    /// Step 3a: the audience names this service, at the host the request came to, in a realm.
    fn audience(
        &self,
        c: &Claims,
        req: &RequestContext,
        trust: &impl TrustSource,
    ) -> Result<Audience, OAuthError> {
        let aud = c
            .aud
            .as_deref()
            .ok_or_else(|| fail(E::NoClaimFound, &["aud"]))?;
        let audience = Audience::parse(aud).ok_or_else(|| fail(E::InvalidAudience, &[aud]))?;
        if !id_eq(&audience.app_id, trust.service_name()) {
            return Err(fail(E::InvalidAudience, &[aud]));
        }
        if !id_eq(&audience.host, req.host)
            && !req.published_host.is_some_and(|p| id_eq(&audience.host, p))
        {
            return Err(fail(
                E::UnexpectedHostNameInAudience,
                &[req.host, &audience.host],
            ));
        }
        if is_realm_empty(Some(&audience.realm)) {
            return Err(fail(E::EmptyRealmFromAudience, &[]));
        }
        Ok(audience)
    }

    /// `exp` is required; both bounds are allowed the clock skew, and the lifetime is at most
    /// the kind's ceiling. Returns `exp`.
    fn lifetime(&self, c: &Claims, kind: TokenKind, now: i64) -> Result<i64, OAuthError> {
        let times = Times {
            nbf: c.nbf,
            iat: c.iat,
            exp: c.exp,
        };
        times
            .check(now, self.clock_skew, kind.max_lifetime())
            .map_err(|e| match e {
                LifetimeError::MissingExpiry => fail(E::NoClaimFound, &["exp"]),
                _ => fail(E::TokenExpired, &[]),
            })
    }

    /// Step 4: the unsigned outer token.
    fn outer(
        &self,
        c: &Claims,
        actor: &Actor<'_>,
        req: &RequestContext,
        trust: &impl TrustSource,
    ) -> Result<(), OAuthError> {
        let iss = c.iss.as_deref().unwrap_or_default();
        let outer_issuer = PrincipalId::parse_issuer(iss)
            .ok_or_else(|| fail(E::InvalidOuterTokenIssuerFormat, &[iss]))?;
        if !id_eq(&outer_issuer.app_id, &actor.app.application_identifier) {
            let nameid = PrincipalId::new(&actor.app.application_identifier, &actor.audience.realm)
                .to_string();
            return Err(fail(E::InvalidOuterTokenIssuerIdValue, &[&nameid, iss]));
        }
        self.lifetime(c, TokenKind::OuterToken, req.now)?;
        let aud = c.aud.as_deref().unwrap_or_default();
        if !Audience::parse(aud).is_some_and(|a| a.matches(&actor.audience)) {
            return Err(fail(E::InvalidAudience, &[aud]));
        }
        if !id_eq(&outer_issuer.realm, &actor.issuer.realm)
            && !trust.is_local_realm(&outer_issuer.realm)
        {
            return Err(fail(
                E::InvalidRealmFromOuterTokenIssuer,
                &[&outer_issuer.realm],
            ));
        }
        Ok(())
    }
}

/// Actor tokens whose signature verified, by SHA-256 of their exact bytes, until they expire.
/// Clear it whenever the trust configuration changes (a key or issuer may have gone).
/// Whole validations remembered by a digest of what they depend on (the token and the host it
/// came to), each until its token expires: a token presented again is not decoded again. The
/// server clears it whenever its trust configuration changes, as it clears [`ActorCache`].
pub struct ValidatedCache<V> {
    entries: std::sync::Mutex<std::collections::HashMap<[u8; 32], (V, i64)>>,
    max: usize,
}

impl<V: Clone> ValidatedCache<V> {
    /// A cache of at most `max` entries (when full, it starts over).
    pub fn new(max: usize) -> Self {
        ValidatedCache {
            entries: std::sync::Mutex::new(std::collections::HashMap::new()),
            max,
        }
    }

    /// The key of a token presented at `host`.
    pub fn key(token: &str, host: &str) -> [u8; 32] {
        Self::key_of(&crate::jwt::token_sha256(token), host)
    }

    /// The key of a token, by its SHA-256 ([`crate::jwt::token_sha256`]), presented at `host`.
    pub fn key_of(token_sha: &[u8; 32], host: &str) -> [u8; 32] {
        let mut text = Vec::with_capacity(host.len() + 1 + token_sha.len());
        text.extend_from_slice(host.as_bytes());
        text.push(b'\n');
        text.extend_from_slice(token_sha);
        crypto::sha256(&text)
    }

    /// The remembered validation, while `now` is at most its expiry.
    pub fn get(&self, key: &[u8; 32], now: i64) -> Option<V> {
        let map = self.entries.lock().expect("validated cache lock");
        map.get(key)
            .filter(|(_, exp)| now <= *exp)
            .map(|(v, _)| v.clone())
    }

    pub fn insert(&self, key: [u8; 32], value: V, expires: i64) {
        let mut map = self.entries.lock().expect("validated cache lock");
        if map.len() >= self.max {
            map.clear();
        }
        map.insert(key, (value, expires));
    }

    pub fn clear(&self) {
        self.entries.lock().expect("validated cache lock").clear();
    }
}

pub struct ActorCache {
    entries: std::sync::Mutex<std::collections::HashMap<[u8; 32], (String, i64)>>,
    max: usize,
}

impl ActorCache {
    /// A cache of at most `max` actor tokens (when full, it starts over).
    pub fn new(max: usize) -> Self {
        ActorCache {
            entries: std::sync::Mutex::new(std::collections::HashMap::new()),
            max,
        }
    }

    fn get(&self, digest: &[u8; 32], now: i64) -> Option<String> {
        let map = self.entries.lock().expect("actor cache lock");
        map.get(digest)
            .filter(|(_, exp)| now <= *exp)
            .map(|(t, _)| t.clone())
    }

    fn insert(&self, digest: [u8; 32], thumbprint: &str, expires: i64) {
        let mut map = self.entries.lock().expect("actor cache lock");
        if map.len() >= self.max {
            map.clear();
        }
        map.insert(digest, (thumbprint.to_string(), expires));
    }

    pub fn clear(&self) {
        self.entries.lock().expect("actor cache lock").clear();
    }

    pub fn len(&self) -> usize {
        self.entries.lock().expect("actor cache lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Step 3b: the first trusted issuer the token's `iss` matches.
fn find_issuer<'t>(
    issuers: &'t [TrustedIssuer],
    iss: &PrincipalId,
    aud: &Audience,
) -> Option<&'t TrustedIssuer> {
    issuers.iter().find(|t| {
        id_eq(&t.id, &iss.app_id)
            && match t.kind {
                IssuerKind::Acs => {
                    (is_realm_empty(t.realm.as_deref()) && id_eq(&iss.realm, &aud.realm))
                        || t.realm.as_deref().is_some_and(|r| id_eq(r, &iss.realm))
                }
                IssuerKind::PartnerApplication { .. } => {
                    t.realm.as_deref().is_some_and(|r| id_eq(r, &iss.realm))
                }
            }
    })
}

/// Step 3c: RS256 only; the key named by `x5t` (or `kid`), else every key of the issuer.
fn verify_signature(
    jwt: &Jwt<'_>,
    issuer: &TrustedIssuer,
    host: &str,
) -> Result<String, OAuthError> {
    let named = jwt.header.x5t.as_deref().or(jwt.header.kid.as_deref());
    verify_rs256(jwt, &issuer.keys, named, host)
}

/// RS256 by the key the token names (`named`, an x5t) among `keys`, or by any of them when it
/// names none; the thumbprint of the key that verified. A name no key has is NoCertificateFound
/// rather than a try of every key, so that a key rollover not yet fetched is told apart from a
/// forged signature; both ask for the issuer's metadata again. `location` names where the keys
/// were looked for, in NoCertificateFound's message.
pub(crate) fn verify_rs256(
    jwt: &Jwt<'_>,
    keys: &[IssuerKey],
    named: Option<&str>,
    location: &str,
) -> Result<String, OAuthError> {
    if jwt.alg() != "RS256" {
        return Err(fail(E::InvalidSignature, &[]));
    }
    let candidates: Vec<&IssuerKey> = match named {
        Some(x5t) => keys.iter().filter(|k| k.x5t == x5t).collect(),
        None => keys.iter().collect(),
    };
    if candidates.is_empty() {
        return Err(fail(
            E::NoCertificateFound,
            &[named.unwrap_or("(none)"), location],
        )
        .with_refresh());
    }
    candidates
        .iter()
        .find(|k| {
            k.key
                .verify_rs256(jwt.signing_input(), &jwt.signature)
                .is_ok()
        })
        .map(|k| k.thumbprint.clone())
        .ok_or_else(|| fail(E::InvalidSignature, &[]).with_refresh())
}

/// Step 3e: the partner application the actor's `nameid` names.
fn resolve_partner_application<'t>(
    c: &Claims,
    issuer: &TrustedIssuer,
    iss: &PrincipalId,
    trust: &'t impl TrustSource,
) -> Result<&'t PartnerApplicationTrust, OAuthError> {
    let nameid_text = c
        .nameid
        .as_deref()
        .ok_or_else(|| fail(E::NoClaimFound, &["nameid"]))?;
    let nameid = PrincipalId::parse_nameid(nameid_text)
        .filter(|n| !n.app_id.is_empty())
        .ok_or_else(|| fail(E::InvalidNameIdFormat, &[nameid_text]))?;
    let apps = trust.partner_applications();
    match &issuer.kind {
        IssuerKind::PartnerApplication { name } => {
            if !id_eq(&nameid.app_id, &issuer.id) {
                return Err(fail(
                    E::UnexpectedAppIdInNameId,
                    &[&issuer.id, &nameid.app_id],
                ));
            }
            if !id_eq(&nameid.realm, &iss.realm) {
                return Err(fail(
                    E::UnexpectedRealmInNameId,
                    &[&iss.realm, &nameid.realm],
                ));
            }
            apps.iter()
                .find(|a| a.enabled && !a.use_auth_server && a.name == *name)
                .ok_or_else(|| fail(E::NoMatchingPartnerAppFound, &[&nameid.app_id]))
        }
        IssuerKind::Acs => apps
            .iter()
            .find(|a| {
                a.enabled
                    && a.use_auth_server
                    && id_eq(&a.application_identifier, &nameid.app_id)
                    && match a.realm.as_deref() {
                        r if is_realm_empty(r) => id_eq(&nameid.realm, &iss.realm),
                        Some(r) => id_eq(r, &nameid.realm),
                        None => false,
                    }
            })
            .ok_or_else(|| fail(E::NoMatchingPartnerAppFound, &[&nameid.app_id])),
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
