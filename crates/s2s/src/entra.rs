//! Entra ID (Azure AD) access tokens for applications: what the v1 (`/oauth2/token`) and v2
//! (`/oauth2/v2.0/token`) endpoints issue for the client credentials grant, in Microsoft's
//! claim names. An application token has no user: `idtyp` is "app", `oid` and `sub` are the
//! client's service principal, `roles` its granted application permissions.

use crate::error::{ErrorCode, OAuthError};
use crate::jwt::{self, Header, Jwt, NumericDate};
use crate::lifetime::{LifetimeError, Times, TokenKind};
use crate::validate::IssuerKey;
use crypto::{Certificate, RsaPrivateKey};
use serde::{Deserialize, Serialize};

/// Which endpoint's token shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntraVersion {
    V1,
    V2,
}

impl EntraVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            EntraVersion::V1 => "1.0",
            EntraVersion::V2 => "2.0",
        }
    }
}

/// An application access token (client credentials).
pub struct EntraAppToken<'a> {
    pub version: EntraVersion,
    /// `https://<authority>/<tenant id>/v2.0` (v2) or `https://<authority>/<tenant id>/` (v1).
    pub issuer: &'a str,
    pub audience: &'a str,
    pub tenant_id: &'a str,
    pub client_app_id: &'a str,
    /// The client's service principal object id.
    pub client_object_id: &'a str,
    /// The client's application permissions on the audience (app role values).
    pub roles: &'a [String],
    /// "1" for a client secret, "2" for a certificate.
    pub client_auth: &'a str,
    pub issued_at: i64,
    pub expires: i64,
    /// A unique token id (`uti`).
    pub token_id: &'a str,
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    appid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    appidacr: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azp: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azpacr: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    idp: Option<&'a str>,
    idtyp: &'a str,
    oid: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    roles: &'a [String],
    sub: &'a str,
    tid: &'a str,
    uti: &'a str,
    ver: &'a str,
}

impl EntraAppToken<'_> {
    /// Signs with the token service's key; the header carries `x5t` and `kid` (both the
    /// certificate's x5t, as Entra writes them).
    pub fn sign(&self, key: &RsaPrivateKey, cert: &Certificate) -> String {
        let v1 = self.version == EntraVersion::V1;
        let oid = self.client_object_id.to_ascii_lowercase();
        let claims = Claims {
            aud: self.audience,
            iss: self.issuer,
            iat: self.issued_at,
            nbf: self.issued_at,
            exp: self.expires,
            appid: v1.then_some(self.client_app_id),
            appidacr: v1.then_some(self.client_auth),
            azp: (!v1).then_some(self.client_app_id),
            azpacr: (!v1).then_some(self.client_auth),
            idp: v1.then_some(self.issuer),
            idtyp: "app",
            oid: &oid,
            roles: self.roles,
            sub: &oid,
            tid: self.tenant_id,
            uti: self.token_id,
            ver: self.version.as_str(),
        };
        jwt::sign_json(&Header::rs256(cert.x5t(), true), &claims, key)
    }
}

/// A client assertion for Entra's token endpoints (RFC 7523, as MSAL writes it): `iss` = `sub`
/// = the client's appId, `aud` = the token endpoint, the key named by `x5t`; RS256.
pub struct EntraClientAssertion<'a> {
    pub client_id: &'a str,
    pub token_endpoint: &'a str,
    pub jti: &'a str,
    pub not_before: i64,
    pub expires: i64,
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: &'a str,
    nbf: i64,
    iat: i64,
    exp: i64,
}

impl EntraClientAssertion<'_> {
    pub fn sign(&self, key: &RsaPrivateKey, cert: &Certificate) -> String {
        let claims = AssertionClaims {
            aud: self.token_endpoint,
            iss: self.client_id,
            sub: self.client_id,
            jti: self.jti,
            nbf: self.not_before,
            iat: self.not_before,
            exp: self.expires,
        };
        jwt::sign_json(&Header::rs256(cert.x5t(), false), &claims, key)
    }
}

/// An Entra tenant an AuthServer of type AzureAD trusts: its issuer names and signing keys.
#[derive(Debug, Clone)]
pub struct EntraIssuer {
    /// The AuthServer's name.
    pub name: String,
    pub tenant_id: String,
    /// The `iss` values accepted (see `issuer_forms`).
    pub issuers: Vec<String>,
    pub keys: Vec<IssuerKey>,
}

impl EntraIssuer {
    /// The issuer values of a tenant, from the one its metadata names. Entra's v1 tokens say
    /// `<authority>/<tenant id>/` (`https://sts.windows.net/<tid>/` at Microsoft) and its v2
    /// tokens `<authority>/<tenant id>/v2.0` (`https://login.microsoftonline.com/<tid>/v2.0`);
    /// a relying party configured from either document accepts both.
    pub fn issuer_forms(issuer: &str, tenant_id: &str) -> Vec<String> {
        let issuer = issuer.trim();
        let tid = tenant_id.to_ascii_lowercase();
        let lower = issuer.to_ascii_lowercase();
        let mut out = vec![issuer.to_string()];
        let base = lower
            .strip_suffix(&format!("/{tid}/v2.0"))
            .or_else(|| lower.strip_suffix(&format!("/{tid}/")))
            .or_else(|| lower.strip_suffix(&format!("/{tid}")));
        if let Some(base) = base {
            let base = &issuer[..base.len()];
            out.push(format!("{base}/{tid}/"));
            out.push(format!("{base}/{tid}/v2.0"));
            if base.eq_ignore_ascii_case("https://sts.windows.net") {
                out.push(format!("https://login.microsoftonline.com/{tid}/v2.0"));
            }
        }
        out.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        out
    }
}

/// What an Entra token's `aud` may name here: the resource's application id, or an
/// `https://` URL of one of its hosts (the service principal names Exchange hybrid adds).
#[derive(Debug, Clone, Copy)]
pub struct EntraAudience<'a> {
    pub app_id: &'a str,
    pub hosts: &'a [&'a str],
}

impl EntraAudience<'_> {
    fn accepts(&self, aud: &str) -> bool {
        if aud.eq_ignore_ascii_case(self.app_id) {
            return true;
        }
        let Some(rest) = aud
            .strip_prefix("https://")
            .or_else(|| aud.strip_prefix("HTTPS://"))
        else {
            return false;
        };
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        path.is_empty() && self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

/// An Entra application token that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedEntraToken {
    pub version: EntraVersion,
    pub issuer: String,
    /// The AuthServer that trusts the issuer.
    pub auth_server: String,
    pub tenant_id: String,
    /// `azp` (v2) or `appid` (v1): the client application.
    pub client_app_id: String,
    /// The client's service principal object id.
    pub object_id: String,
    /// The application permissions granted to the client on this resource.
    pub roles: Vec<String>,
    pub audience: String,
    pub signing_thumbprint: String,
    pub expires: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReadClaims {
    aud: Option<String>,
    iss: Option<String>,
    tid: Option<String>,
    appid: Option<String>,
    azp: Option<String>,
    oid: Option<String>,
    roles: Vec<String>,
    scp: Option<String>,
    ver: Option<String>,
    nbf: Option<NumericDate>,
    iat: Option<NumericDate>,
    exp: Option<NumericDate>,
}

fn fail(code: ErrorCode, args: &[&str]) -> OAuthError {
    OAuthError::new(code, args)
}

/// Validates an Entra (v1 or v2) application token: version, signature (RS256, the key named
/// by `kid` or `x5t` among the issuer's), issuer and tenant, lifetime, audience, and that it is
/// an application token (a token with `scp` carries a user's delegation, which this server does
/// not take from Entra). Error codes are Exchange's inbound catalogue.
pub fn validate_app_token(
    token: &str,
    issuers: &[EntraIssuer],
    audience: &EntraAudience<'_>,
    now: i64,
    clock_skew: i64,
) -> Result<ValidatedEntraToken, OAuthError> {
    let unreadable = |e: crate::S2sError| fail(ErrorCode::UnableToReadToken, &[&e.to_string()]);
    let jwt = Jwt::decode(token).map_err(unreadable)?;
    let (_, payload, _) = jwt::split(token).map_err(unreadable)?;
    let c: ReadClaims = jwt::decode_json(payload, "payload").map_err(unreadable)?;
    let version = match c.ver.as_deref() {
        Some("1.0") => EntraVersion::V1,
        Some("2.0") => EntraVersion::V2,
        _ => return Err(fail(ErrorCode::TokenProfileNotApplicable, &[])),
    };
    if !jwt.is_signed() || jwt.alg().eq_ignore_ascii_case("none") {
        return Err(fail(ErrorCode::ActorTokenMustBeSigned, &[]));
    }
    let iss = c
        .iss
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| fail(ErrorCode::MissingIssuer, &[]))?;
    let trusted = issuers
        .iter()
        .find(|i| i.issuers.iter().any(|x| x.eq_ignore_ascii_case(iss)))
        .ok_or_else(|| fail(ErrorCode::NoConfiguredIssuerMatched, &[iss]))?;
    let tid = c.tid.as_deref().unwrap_or_default();
    if !tid.eq_ignore_ascii_case(&trusted.tenant_id) {
        return Err(fail(ErrorCode::OrganizationIdNotFoundFromRealm, &[tid]));
    }
    let thumbprint = verify(&jwt, trusted)?;
    let times = Times {
        nbf: c.nbf,
        iat: c.iat,
        exp: c.exp,
    };
    let exp = times
        .check(now, clock_skew, TokenKind::EntraToken.max_lifetime())
        .map_err(|e| match e {
            LifetimeError::MissingExpiry => fail(ErrorCode::NoClaimFound, &["exp"]),
            _ => fail(ErrorCode::TokenExpired, &[]),
        })?;
    let aud = c
        .aud
        .as_deref()
        .ok_or_else(|| fail(ErrorCode::NoClaimFound, &["aud"]))?;
    if !audience.accepts(aud) {
        return Err(fail(ErrorCode::InvalidAudience, &[aud]));
    }
    if c.scp.is_some() {
        return Err(fail(ErrorCode::TokenProfileNotApplicable, &[]));
    }
    let client = match version {
        EntraVersion::V1 => c.appid,
        EntraVersion::V2 => c.azp,
    };
    let client = client.ok_or_else(|| {
        fail(
            ErrorCode::NoClaimFound,
            &[if version == EntraVersion::V1 {
                "appid"
            } else {
                "azp"
            }],
        )
    })?;
    Ok(ValidatedEntraToken {
        version,
        issuer: iss.to_string(),
        auth_server: trusted.name.clone(),
        tenant_id: trusted.tenant_id.to_ascii_lowercase(),
        client_app_id: client.to_ascii_lowercase(),
        object_id: c.oid.unwrap_or_default(),
        roles: c.roles,
        audience: aud.to_string(),
        signing_thumbprint: thumbprint,
        expires: exp,
    })
}

/// RS256 with the key `kid` (or else `x5t`) names, as Entra names its keys.
fn verify(jwt: &Jwt<'_>, issuer: &EntraIssuer) -> Result<String, OAuthError> {
    let named = jwt.header.kid.as_deref().or(jwt.header.x5t.as_deref());
    crate::validate::verify_rs256(jwt, &issuer.keys, named, &issuer.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "9b8f1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b";
    const EXCHANGE: &str = "00000002-0000-0ff1-ce00-000000000000";
    const CLIENT: &str = "6f1d2b8e-1111-4222-8333-944455556666";
    const NOW: i64 = 1_800_000_000;

    fn pair(name: &str) -> (Certificate, RsaPrivateKey) {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
        let cert = std::fs::read(format!("{dir}{name}-cert.pem")).unwrap();
        let key = std::fs::read(format!("{dir}{name}-key.pem")).unwrap();
        (
            Certificate::from_pem(&cert).unwrap(),
            RsaPrivateKey::from_pem(&key).unwrap(),
        )
    }

    fn issuer(cert: &Certificate) -> EntraIssuer {
        EntraIssuer {
            name: "EvoSts - test".into(),
            tenant_id: TID.into(),
            issuers: EntraIssuer::issuer_forms(&format!("https://login.example/{TID}/"), TID),
            keys: vec![IssuerKey::from_certificate(cert).unwrap()],
        }
    }

    fn token(
        version: EntraVersion,
        audience: &str,
        roles: &[String],
        key: &RsaPrivateKey,
        cert: &Certificate,
    ) -> String {
        let iss = match version {
            EntraVersion::V1 => format!("https://login.example/{TID}/"),
            EntraVersion::V2 => format!("https://login.example/{TID}/v2.0"),
        };
        EntraAppToken {
            version,
            issuer: &iss,
            audience,
            tenant_id: TID,
            client_app_id: CLIENT,
            client_object_id: "0b0b0b0b-0000-4000-8000-000000000001",
            roles,
            client_auth: "2",
            issued_at: NOW - 60,
            expires: NOW + 3540,
            token_id: "uti",
        }
        .sign(key, cert)
    }

    fn check(t: &str, issuers: &[EntraIssuer]) -> Result<ValidatedEntraToken, OAuthError> {
        let hosts = ["mail.contoso.com"];
        let aud = EntraAudience {
            app_id: EXCHANGE,
            hosts: &hosts,
        };
        validate_app_token(t, issuers, &aud, NOW, 300)
    }

    #[test]
    fn issuer_forms_cover_both_versions() {
        let f = EntraIssuer::issuer_forms(&format!("https://sts.windows.net/{TID}/"), TID);
        assert!(f.contains(&format!("https://sts.windows.net/{TID}/v2.0")));
        assert!(f.contains(&format!("https://login.microsoftonline.com/{TID}/v2.0")));
        let f = EntraIssuer::issuer_forms(&format!("https://127.0.0.1:8441/{TID}/v2.0"), TID);
        assert_eq!(f[1], format!("https://127.0.0.1:8441/{TID}/"));
    }

    #[test]
    fn accepts_v1_and_v2_application_tokens_for_the_resource() {
        let (cert, key) = pair("acs");
        let roles = vec!["full_access_as_app".to_string()];
        let trusted = [issuer(&cert)];
        let v2 = check(
            &token(EntraVersion::V2, EXCHANGE, &roles, &key, &cert),
            &trusted,
        )
        .unwrap();
        assert_eq!(v2.client_app_id, CLIENT);
        assert_eq!(v2.roles, roles);
        assert_eq!(v2.version, EntraVersion::V2);
        for aud in ["https://mail.contoso.com", "https://MAIL.contoso.com/"] {
            let v1 = check(&token(EntraVersion::V1, aud, &[], &key, &cert), &trusted).unwrap();
            assert_eq!(
                (v1.version, v1.client_app_id.as_str()),
                (EntraVersion::V1, CLIENT)
            );
        }
    }

    #[test]
    fn refusals_carry_exchange_codes() {
        let (cert, key) = pair("acs");
        let (other, other_key) = pair("other");
        let trusted = [issuer(&cert)];
        let code = |t: &str, issuers: &[EntraIssuer]| check(t, issuers).unwrap_err().code;
        let good = token(EntraVersion::V2, EXCHANGE, &[], &key, &cert);
        assert_eq!(code(&good, &[]), ErrorCode::NoConfiguredIssuerMatched);
        let mut wrong_tenant = issuer(&cert);
        wrong_tenant.tenant_id = "00000000-0000-0000-0000-000000000001".into();
        assert_eq!(
            code(&good, &[wrong_tenant]),
            ErrorCode::OrganizationIdNotFoundFromRealm
        );
        let unknown_key = token(EntraVersion::V2, EXCHANGE, &[], &other_key, &other);
        assert_eq!(code(&unknown_key, &trusted), ErrorCode::NoCertificateFound);
        // Signed by another key under the trusted key's name.
        let forged = token(EntraVersion::V2, EXCHANGE, &[], &other_key, &cert);
        assert_eq!(code(&forged, &trusted), ErrorCode::InvalidSignature);
        let elsewhere = token(
            EntraVersion::V2,
            "https://mail.fabrikam.com",
            &[],
            &key,
            &cert,
        );
        assert_eq!(code(&elsewhere, &trusted), ErrorCode::InvalidAudience);
        let hosts = ["mail.contoso.com"];
        let aud = EntraAudience {
            app_id: EXCHANGE,
            hosts: &hosts,
        };
        let late = validate_app_token(&good, &trusted, &aud, NOW + 3540 + 301, 300);
        assert_eq!(late.unwrap_err().code, ErrorCode::TokenExpired);
        let (h, p, _) = jwt::split(&good).unwrap();
        assert_eq!(
            code(&format!("{h}.{p}."), &trusted),
            ErrorCode::ActorTokenMustBeSigned
        );
        assert_eq!(code("not a token", &trusted), ErrorCode::UnableToReadToken);
    }
}

/// An Entra OpenID Provider configuration (`…/.well-known/openid-configuration`) in Entra's
/// member names: the directory writes it, relying parties read the issuer, keys and endpoints.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OpenIdConfiguration {
    pub token_endpoint: String,
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub token_endpoint_auth_signing_alg_values_supported: Vec<String>,
    pub jwks_uri: String,
    pub response_modes_supported: Vec<String>,
    pub subject_types_supported: Vec<String>,
    pub id_token_signing_alg_values_supported: Vec<String>,
    pub response_types_supported: Vec<String>,
    pub scopes_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
    pub issuer: String,
    pub request_uri_parameter_supported: bool,
    pub authorization_endpoint: String,
    pub device_authorization_endpoint: String,
    pub end_session_endpoint: String,
    pub tenant_region_scope: String,
    pub cloud_instance_name: String,
}

/// A JSON Web Key Set as Entra publishes it: each key with its certificate chain (`x5c`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct KeySet {
    pub keys: Vec<KeySetKey>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct KeySetKey {
    pub kty: String,
    #[serde(rename = "use")]
    pub key_use: String,
    pub kid: String,
    pub x5t: String,
    pub n: String,
    pub e: String,
    pub x5c: Vec<String>,
    /// The issuer the key signs for (the v2 keys of a tenant name it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

impl KeySet {
    /// Each key's certificate (the first of its chain), DER in base64.
    pub fn certificates(self) -> Vec<String> {
        self.keys
            .into_iter()
            .filter_map(|k| k.x5c.into_iter().next())
            .collect()
    }
}
