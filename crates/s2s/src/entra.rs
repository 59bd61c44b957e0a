//! Entra ID (Azure AD) access tokens for applications: what the v1 (`/oauth2/token`) and v2
//! (`/oauth2/v2.0/token`) endpoints issue for the client credentials grant, in Microsoft's
//! claim names. An application token has no user: `idtyp` is "app", `oid` and `sub` are the
//! client's service principal, `roles` its granted application permissions.

use crate::jwt::{self, Header};
use crypto::{Certificate, RsaPrivateKey};
use serde::Serialize;

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
