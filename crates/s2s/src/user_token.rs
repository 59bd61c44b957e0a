//! Entra's delegated (user) access tokens in the v1 format, as Hybrid Modern Authentication
//! carries them to on-premises Exchange: what the cloud issues for a signed-in user and how
//! Exchange's V1 user-token profile checks one. The order of the checks is Exchange's: the
//! audience's authority against the request's, the issuer, the signature, the lifetime, the
//! tenant, the delegated scopes, then the user's on-premises SID.

use crate::entra::EntraIssuer;
use crate::error::{ErrorCode, OAuthError};
use crate::jwt::{self, Header, Jwt, NumericDate};
use crate::lifetime::{LifetimeError, Times, TokenKind};
use crypto::{Certificate, RsaPrivateKey};
use serde::{Deserialize, Serialize};

/// Exchange's known delegated grants: a token's `scp` is reduced to these before anything else.
pub const KNOWN_GRANTS: &[&str] = &[
    "user_impersonation",
    "Mail.Read",
    "Mail.Write",
    "Mail.Send",
    "Calendars.Read",
    "Calendars.Write",
    "Contacts.Read",
    "Contacts.Write",
    "EAS.AccessAsUser.All",
    "EWS.AccessAsUser.All",
];

/// A delegated access token in Entra's v1 format.
pub struct EntraUserToken<'a> {
    /// `https://<tenant authority>/<tenant id>/` (Microsoft: `https://sts.windows.net/<tid>/`).
    pub issuer: &'a str,
    /// The resource as requested: `https://mail.contoso.com`.
    pub audience: &'a str,
    pub tenant_id: &'a str,
    pub client_app_id: &'a str,
    /// "0" for a public client, "1" a secret, "2" a certificate.
    pub client_auth: &'a str,
    /// Delegated permissions, space-separated.
    pub scopes: &'a str,
    /// The user's object id in the tenant.
    pub user_object_id: &'a str,
    /// The user's on-premises security identifier, synchronized from the directory.
    pub onprem_sid: &'a str,
    pub upn: &'a str,
    pub name: &'a str,
    /// How the user signed in (`pwd`).
    pub method: &'a str,
    pub issued_at: i64,
    pub expires: i64,
    pub token_id: &'a str,
}

#[derive(Serialize)]
struct UserClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    acr: &'a str,
    amr: [&'a str; 1],
    appid: &'a str,
    appidacr: &'a str,
    idtyp: &'a str,
    name: &'a str,
    oid: &'a str,
    onprem_sid: &'a str,
    scp: &'a str,
    sub: &'a str,
    tid: &'a str,
    unique_name: &'a str,
    upn: &'a str,
    uti: &'a str,
    ver: &'a str,
}

impl EntraUserToken<'_> {
    /// Signs with the token service's key; `x5t` and `kid` name it, as Entra writes them.
    pub fn sign(&self, key: &RsaPrivateKey, cert: &Certificate) -> String {
        // `sub` is pairwise per application in Entra; a digest of (user, client) keeps that.
        let sub_input = format!("{}\n{}", self.user_object_id, self.client_app_id);
        let sub = crypto::base64url(&crypto::sha256(sub_input.as_bytes())[..24]);
        let claims = UserClaims {
            aud: self.audience,
            iss: self.issuer,
            iat: self.issued_at,
            nbf: self.issued_at,
            exp: self.expires,
            acr: "1",
            amr: [self.method],
            appid: self.client_app_id,
            appidacr: self.client_auth,
            idtyp: "user",
            name: self.name,
            oid: self.user_object_id,
            onprem_sid: self.onprem_sid,
            scp: self.scopes,
            sub: &sub,
            tid: self.tenant_id,
            unique_name: self.upn,
            upn: self.upn,
            uti: self.token_id,
            ver: "1.0",
        };
        jwt::sign_json(&Header::rs256(cert.x5t(), true), &claims, key)
    }
}

/// Scheme, host and port of a URL or a request: what Exchange compares an audience by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Authority {
    /// The authority of an absolute `http(s)` URL; its path is ignored.
    pub fn of_url(url: &str) -> Option<Authority> {
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return None;
        }
        let host_port = rest.split(['/', '?', '#']).next()?;
        Authority::of_host(&scheme, host_port)
    }

    /// The authority of a request that came over `scheme` with this `Host` header.
    pub fn of_host(scheme: &str, host_port: &str) -> Option<Authority> {
        let scheme = scheme.to_ascii_lowercase();
        let default = if scheme == "https" { 443 } else { 80 };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(':') && !p.contains(']') => (h, p.parse().ok()?),
            _ => (host_port, default),
        };
        if host.is_empty() || host.contains('@') {
            return None;
        }
        Some(Authority {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

impl std::fmt::Display for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// A user token that passed validation: who the user is and what the client may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedUserToken {
    pub issuer: String,
    /// The AuthServer whose tenant issued it.
    pub auth_server: String,
    pub tenant_id: String,
    pub client_app_id: String,
    /// The delegated grants left after reduction to Exchange's known ones and the endpoint's.
    pub scopes: Vec<String>,
    pub onprem_sid: String,
    pub upn: String,
    pub audience: String,
    pub signing_thumbprint: String,
    pub expires: i64,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
/// The claims of an Entra user token, as read (not yet trusted).
pub struct UserTokenClaims {
    pub aud: Option<String>,
    pub iss: Option<String>,
    pub tid: Option<String>,
    pub appid: Option<String>,
    pub scp: Option<String>,
    pub onprem_sid: Option<String>,
    pub primarysid: Option<String>,
    pub upn: Option<String>,
    pub unique_name: Option<String>,
    pub ver: Option<String>,
    pub nbf: Option<NumericDate>,
    pub iat: Option<NumericDate>,
    pub exp: Option<NumericDate>,
}

fn fail(code: ErrorCode, args: &[&str]) -> OAuthError {
    OAuthError::new(code, args)
}

/// True for a security identifier as Windows writes one: `S-1-<authority>-<sub>…`.
pub fn is_sid(text: &str) -> bool {
    let mut parts = text.split('-');
    let head = (parts.next(), parts.next());
    if !matches!(head, (Some("S" | "s"), Some("1"))) {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    (2..=16).contains(&rest.len())
        && rest
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 10 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// What the endpoint a token is for accepts of it.
pub struct UserTokenPolicy<'a> {
    /// The request's own authority: the audience must name it.
    pub request: &'a Authority,
    /// The grants this endpoint allows (a subset of [`KNOWN_GRANTS`]); `None` for any.
    pub endpoint_grants: Option<&'a [&'a str]>,
}

/// Validates a V1 user token (`ver` 1.0 with `scp`) in Exchange's order.
pub fn validate_user_token(
    token: &str,
    issuers: &[EntraIssuer],
    policy: &UserTokenPolicy<'_>,
    now: i64,
    clock_skew: i64,
) -> Result<ValidatedUserToken, OAuthError> {
    let unreadable = |e: crate::S2sError| fail(ErrorCode::UnableToReadToken, &[&e.to_string()]);
    let jwt = Jwt::decode(token).map_err(unreadable)?;
    let (_, payload, _) = jwt::split(token).map_err(unreadable)?;
    let c: UserTokenClaims = jwt::decode_json(payload, "payload").map_err(unreadable)?;
    if c.ver.as_deref() != Some("1.0") || c.scp.is_none() {
        return Err(fail(ErrorCode::TokenProfileNotApplicable, &[]));
    }
    if !jwt.is_signed() || jwt.alg().eq_ignore_ascii_case("none") {
        return Err(fail(ErrorCode::ActorTokenMustBeSigned, &[]));
    }
    let aud = c
        .aud
        .as_deref()
        .ok_or_else(|| fail(ErrorCode::NoClaimFound, &["aud"]))?;
    let expected = policy.request.to_string();
    match Authority::of_url(aud) {
        Some(a) if a == *policy.request => {}
        _ => {
            return Err(fail(
                ErrorCode::UnexpectedHostNameInAudience,
                &[&expected, aud],
            ));
        }
    }
    let iss = c
        .iss
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| fail(ErrorCode::MissingIssuer, &[]))?;
    let tid = c.tid.as_deref().unwrap_or_default();
    // An AzureAD AuthServer's issuer may name `{tenantid}`, filled from the token's `tid`.
    let trusted = issuers
        .iter()
        .find(|i| {
            i.issuers
                .iter()
                .any(|x| x.replace("{tenantid}", tid).eq_ignore_ascii_case(iss))
        })
        .ok_or_else(|| fail(ErrorCode::NoConfiguredIssuerMatched, &[iss]))?;
    let named = jwt.header.kid.as_deref().or(jwt.header.x5t.as_deref());
    let thumbprint = crate::validate::verify_rs256(&jwt, &trusted.keys, named, &trusted.name)?;
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
    if !tid.eq_ignore_ascii_case(&trusted.tenant_id) {
        return Err(fail(ErrorCode::OrganizationIdNotFoundFromRealm, &[tid]));
    }
    let scp = c.scp.as_deref().unwrap_or_default();
    let scopes: Vec<String> = scp
        .split(' ')
        .filter(|s| KNOWN_GRANTS.iter().any(|k| k.eq_ignore_ascii_case(s)))
        .filter(|s| {
            policy
                .endpoint_grants
                .is_none_or(|allowed| allowed.iter().any(|k| k.eq_ignore_ascii_case(s)))
        })
        .map(str::to_string)
        .collect();
    if scopes.is_empty() {
        return Err(fail(ErrorCode::InvalidClaimValueFound, &["scp", scp]));
    }
    let sid = c
        .onprem_sid
        .or(c.primarysid)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| fail(ErrorCode::NoUserClaimsFound, &[]))?;
    if !is_sid(&sid) {
        return Err(fail(ErrorCode::InvalidSidValue, &[&sid]));
    }
    let client = c
        .appid
        .ok_or_else(|| fail(ErrorCode::NoClaimFound, &["appid"]))?;
    Ok(ValidatedUserToken {
        issuer: iss.to_string(),
        auth_server: trusted.name.clone(),
        tenant_id: trusted.tenant_id.to_ascii_lowercase(),
        client_app_id: client.to_ascii_lowercase(),
        scopes,
        onprem_sid: sid,
        upn: c.upn.or(c.unique_name).unwrap_or_default(),
        audience: aud.to_string(),
        signing_thumbprint: thumbprint,
        expires: exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::IssuerKey;

    const TID: &str = "9b8f1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b";
    const OUTLOOK: &str = "d3590ed6-52b3-4102-aeff-aad2292ab01c";
    const SID: &str = "S-1-5-21-1004336348-1177238915-682003330-1105";
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

    struct Make<'a> {
        aud: &'a str,
        tid: &'a str,
        scp: &'a str,
        sid: &'a str,
    }

    const GOOD: Make<'static> = Make {
        aud: "https://mail.contoso.com",
        tid: TID,
        scp: "EWS.AccessAsUser.All openid",
        sid: SID,
    };

    fn make(m: &Make, key: &RsaPrivateKey, cert: &Certificate) -> String {
        let iss = format!("https://login.example/{}/", m.tid);
        EntraUserToken {
            issuer: &iss,
            audience: m.aud,
            tenant_id: m.tid,
            client_app_id: OUTLOOK,
            client_auth: "0",
            scopes: m.scp,
            user_object_id: "0b0b0b0b-0000-4000-8000-000000000001",
            onprem_sid: m.sid,
            upn: "alice@contoso.com",
            name: "Alice",
            method: "pwd",
            issued_at: NOW - 60,
            expires: NOW + 3540,
            token_id: "uti",
        }
        .sign(key, cert)
    }

    fn check(t: &str, issuers: &[EntraIssuer]) -> Result<ValidatedUserToken, OAuthError> {
        let request = Authority::of_host("https", "mail.contoso.com").unwrap();
        let policy = UserTokenPolicy {
            request: &request,
            endpoint_grants: None,
        };
        validate_user_token(t, issuers, &policy, NOW, 300)
    }

    #[test]
    fn authorities_compare_scheme_host_and_port() {
        let a = Authority::of_url("https://MAIL.contoso.com/EWS/Exchange.asmx").unwrap();
        assert_eq!(
            a,
            Authority::of_host("https", "mail.contoso.com:443").unwrap()
        );
        assert_ne!(a, Authority::of_host("http", "mail.contoso.com").unwrap());
        assert_ne!(
            a,
            Authority::of_host("https", "mail.contoso.com:8443").unwrap()
        );
        assert_eq!(
            Authority::of_url("https://127.0.0.1:8443").unwrap().port,
            8443
        );
        assert!(Authority::of_url("ftp://x").is_none());
        assert!(Authority::of_url("https://user@evil/").is_none());
    }

    #[test]
    fn sids_are_recognized() {
        assert!(is_sid(SID));
        assert!(is_sid("S-1-5-18"));
        for bad in [
            "", "S-1", "S-1-5", "S-2-5-21", "S-1-5-x", "alice", "S-1-5--1",
        ] {
            assert!(!is_sid(bad), "{bad}");
        }
    }

    #[test]
    fn a_good_token_names_the_user_and_its_known_grants() {
        let (cert, key) = pair("acs");
        let v = check(&make(&GOOD, &key, &cert), &[issuer(&cert)]).unwrap();
        assert_eq!(v.scopes, ["EWS.AccessAsUser.All"]);
        assert_eq!(
            (v.onprem_sid.as_str(), v.client_app_id.as_str()),
            (SID, OUTLOOK)
        );
        assert_eq!(v.upn, "alice@contoso.com");
    }

    #[test]
    fn refusals_follow_exchanges_order_and_codes() {
        let (cert, key) = pair("acs");
        let (other, other_key) = pair("other");
        let trusted = [issuer(&cert)];
        let code = |m: &Make| check(&make(m, &key, &cert), &trusted).unwrap_err().code;
        let elsewhere = Make {
            aud: "https://mail.fabrikam.com",
            ..GOOD
        };
        assert_eq!(code(&elsewhere), ErrorCode::UnexpectedHostNameInAudience);
        let other_port = Make {
            aud: "https://mail.contoso.com:444/",
            ..GOOD
        };
        assert_eq!(code(&other_port), ErrorCode::UnexpectedHostNameInAudience);
        let other_tenant = Make {
            tid: "00000000-0000-4000-8000-00000000000f",
            ..GOOD
        };
        assert_eq!(code(&other_tenant), ErrorCode::NoConfiguredIssuerMatched);
        let no_grant = Make {
            scp: "openid profile Files.Read",
            ..GOOD
        };
        assert_eq!(code(&no_grant), ErrorCode::InvalidClaimValueFound);
        let no_sid = Make { sid: "", ..GOOD };
        assert_eq!(code(&no_sid), ErrorCode::NoUserClaimsFound);
        let bad_sid = Make {
            sid: "alice",
            ..GOOD
        };
        assert_eq!(code(&bad_sid), ErrorCode::InvalidSidValue);
        let forged = make(&GOOD, &other_key, &cert);
        assert_eq!(
            check(&forged, &trusted).unwrap_err().code,
            ErrorCode::InvalidSignature
        );
        let unknown_key = make(&GOOD, &other_key, &other);
        assert_eq!(
            check(&unknown_key, &trusted).unwrap_err().code,
            ErrorCode::NoCertificateFound
        );
        // An issuer trusted for another tenant id than the token's `tid` claims.
        let mut wrong = issuer(&cert);
        wrong.tenant_id = "00000000-0000-4000-8000-00000000000f".into();
        assert_eq!(
            check(&make(&GOOD, &key, &cert), &[wrong]).unwrap_err().code,
            ErrorCode::OrganizationIdNotFoundFromRealm
        );
        // The endpoint's own grants reduce further.
        let request = Authority::of_host("https", "mail.contoso.com").unwrap();
        let mapi = UserTokenPolicy {
            request: &request,
            endpoint_grants: Some(&["user_impersonation"]),
        };
        let t = make(&GOOD, &key, &cert);
        assert_eq!(
            validate_user_token(&t, &trusted, &mapi, NOW, 300)
                .unwrap_err()
                .code,
            ErrorCode::InvalidClaimValueFound
        );
        let late = validate_user_token(
            &t,
            &trusted,
            &UserTokenPolicy {
                request: &request,
                endpoint_grants: None,
            },
            NOW + 4000,
            300,
        );
        assert_eq!(late.unwrap_err().code, ErrorCode::TokenExpired);
    }

    #[test]
    fn application_and_v2_tokens_are_not_this_profile() {
        let (cert, key) = pair("acs");
        let app = crate::entra::EntraAppToken {
            version: crate::entra::EntraVersion::V2,
            issuer: &format!("https://login.example/{TID}/v2.0"),
            audience: "https://mail.contoso.com",
            tenant_id: TID,
            client_app_id: OUTLOOK,
            client_object_id: "0b",
            roles: &[],
            client_auth: "2",
            issued_at: NOW,
            expires: NOW + 60,
            token_id: "u",
        }
        .sign(&key, &cert);
        assert_eq!(
            check(&app, &[issuer(&cert)]).unwrap_err().code,
            ErrorCode::TokenProfileNotApplicable
        );
    }
}
