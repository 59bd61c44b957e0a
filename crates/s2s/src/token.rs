//! Building the protocol's tokens (self-issued and ACS actor tokens, the unsigned outer token,
//! client assertions) and classifying inbound ones.

use crate::ids::{ACS_APP_ID, Audience, PrincipalId};
use crate::jwt::{self, Claims, Header, NumericDate};
use crypto::{Certificate, RsaPrivateKey};

/// Identity-issuer namespaces of the `nii` claim.
pub const NII_ACTIVE_DIRECTORY: &str = "urn:office:idp:activedirectory";
pub const NII_MICROSOFT_ONLINE: &str = "urn:federation:MicrosoftOnline";
pub const NII_ORGID: &str = "urn:office:idp:orgid";

/// `ver` of Exchange's own v1 self-issued identity tokens.
pub const VER_EXCHANGE_SELF_ISSUED_V1: &str = "MSExchange.SelfIssued.V1";

/// An actor token a service signs itself (Exchange's shape): `iss` = `nameid` = the issuer,
/// `trustedfordelegation` "true", `nbf`/`exp` as numeric strings.
pub struct SelfIssuedActor<'a> {
    pub issuer: &'a PrincipalId,
    pub audience: &'a Audience,
    pub not_before: i64,
    pub expires: i64,
}

impl SelfIssuedActor<'_> {
    pub fn claims(&self) -> Claims {
        Claims {
            aud: Some(self.audience.to_string()),
            iss: Some(self.issuer.to_string()),
            nameid: Some(self.issuer.to_string()),
            trustedfordelegation: Some("true".into()),
            nbf: Some(NumericDate::string(self.not_before)),
            exp: Some(NumericDate::string(self.expires)),
            ..Default::default()
        }
    }

    /// Signs with `key`; the header names `cert` by `x5t`.
    pub fn sign(&self, key: &RsaPrivateKey, cert: &Certificate) -> String {
        jwt::sign(&Header::rs256(cert.x5t(), false), &self.claims(), key)
    }
}

/// An actor token issued by ACS for a client principal (the shape Entra ACS issues).
pub struct AcsActor<'a> {
    pub audience: &'a Audience,
    /// The tenant id (realm).
    pub tenant: &'a str,
    pub client_app_id: &'a str,
    /// The object id of the client's service principal (`oid`, `sub`).
    pub client_object_id: &'a str,
    pub trusted_for_delegation: bool,
    pub issued_at: i64,
    pub not_before: i64,
    pub expires: i64,
}

impl AcsActor<'_> {
    pub fn claims(&self) -> Claims {
        let acs = PrincipalId::new(ACS_APP_ID, self.tenant).to_string();
        Claims {
            aud: Some(self.audience.to_string()),
            iss: Some(acs.clone()),
            iat: Some(NumericDate::number(self.issued_at)),
            nbf: Some(NumericDate::number(self.not_before)),
            exp: Some(NumericDate::number(self.expires)),
            nameid: Some(PrincipalId::new(self.client_app_id, self.tenant).to_string()),
            identityprovider: Some(acs),
            oid: Some(self.client_object_id.to_ascii_lowercase()),
            sub: Some(self.client_object_id.to_ascii_lowercase()),
            trustedfordelegation: Some(self.trusted_for_delegation.to_string()),
            ..Default::default()
        }
    }

    /// Signs with the STS key; the header carries `x5t` and `kid`, both the certificate's x5t.
    pub fn sign(&self, key: &RsaPrivateKey, cert: &Certificate) -> String {
        jwt::sign(&Header::rs256(cert.x5t(), true), &self.claims(), key)
    }
}

/// The user a caller acts for, as the outer token names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserContext {
    pub nameid: Option<String>,
    pub nii: Option<String>,
    pub upn: Option<String>,
    pub smtp: Option<String>,
    /// Without the `sip:` prefix.
    pub sip: Option<String>,
}

/// The attributes to find the user by, per the partner application's
/// AcceptSecurityIdentifierInformation setting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserLookup {
    pub sid: Option<String>,
    pub upn: Option<String>,
    pub smtp: Option<String>,
    pub sip: Option<String>,
}

impl UserContext {
    pub fn from_claims(c: &Claims) -> Self {
        let sip = c.sip.as_deref().map(|s| {
            if s.len() >= 4 && s[..4].eq_ignore_ascii_case("sip:") {
                s[4..].to_string()
            } else {
                s.to_string()
            }
        });
        UserContext {
            nameid: c.nameid.clone(),
            nii: c.nii.clone(),
            upn: c.upn.clone(),
            smtp: c.smtp.clone(),
            sip,
        }
    }

    /// Which attributes identify the user. `None` when none applies (NoUserClaimsFound).
    pub fn lookup(&self, accept_security_identifier: bool) -> Option<UserLookup> {
        let non_empty = |v: &Option<String>| v.as_ref().filter(|s| !s.trim().is_empty()).cloned();
        let mut l = UserLookup {
            smtp: non_empty(&self.smtp),
            sip: non_empty(&self.sip),
            ..Default::default()
        };
        match (self.nii.as_deref(), accept_security_identifier) {
            (None, _) => l.upn = non_empty(&self.nameid),
            (Some(_), false) => l.upn = non_empty(&self.upn),
            (Some(nii), true) if nii.eq_ignore_ascii_case(NII_ACTIVE_DIRECTORY) => {
                l.sid = non_empty(&self.nameid);
                l.upn = non_empty(&self.upn);
            }
            (Some(nii), true)
                if nii.eq_ignore_ascii_case(NII_MICROSOFT_ONLINE)
                    || nii.eq_ignore_ascii_case(NII_ORGID) =>
            {
                l.upn = non_empty(&self.upn)
            }
            (Some(_), true) => {}
        }
        (l.sid.is_some() || l.upn.is_some() || l.smtp.is_some() || l.sip.is_some()).then_some(l)
    }
}

/// The unsigned outer token that wraps an actor token and names the user.
pub struct OuterToken<'a> {
    pub actor_token: &'a str,
    pub audience: &'a Audience,
    pub issuer: &'a PrincipalId,
    pub not_before: i64,
    pub expires: i64,
    pub user: &'a UserContext,
}

impl OuterToken<'_> {
    pub fn claims(&self) -> Claims {
        Claims {
            actortoken: Some(self.actor_token.to_string()),
            aud: Some(self.audience.to_string()),
            iss: Some(self.issuer.to_string()),
            nbf: Some(NumericDate::number(self.not_before)),
            exp: Some(NumericDate::number(self.expires)),
            nameid: self.user.nameid.clone(),
            nii: self.user.nii.clone(),
            upn: self.user.upn.clone(),
            smtp: self.user.smtp.clone(),
            sip: self.user.sip.clone(),
            ..Default::default()
        }
    }

    pub fn encode(&self) -> String {
        jwt::unsigned(&self.claims())
    }
}

/// The assertion a client sends to ACS: `iss` = client@tenant, `aud` = ACS at its endpoint
/// authority in the tenant, 10 minutes by default, and a `jti` so that two assertions made in
/// the same second differ (the token service refuses a replayed one).
pub struct ClientAssertion<'a> {
    pub client: &'a PrincipalId,
    /// `00000001-…/<token endpoint authority>@<tenant>`.
    pub audience: &'a Audience,
    pub not_before: i64,
    pub expires: i64,
    /// A unique id; `None` gives Exchange's exact shape (iss, aud, nbf, exp only).
    pub jti: Option<&'a str>,
}

impl ClientAssertion<'_> {
    pub fn sign(&self, key: &RsaPrivateKey, cert: &Certificate) -> String {
        let claims = Claims {
            aud: Some(self.audience.to_string()),
            iss: Some(self.client.to_string()),
            nbf: Some(NumericDate::number(self.not_before)),
            exp: Some(NumericDate::number(self.expires)),
            jti: self.jti.map(String::from),
            ..Default::default()
        };
        jwt::sign(&Header::rs256(cert.x5t(), false), &claims, key)
    }
}

/// How a receiver routes an inbound JWT (Exchange's decision order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenProfile {
    /// `ver` = MSExchange.SelfIssued.V1: Exchange's own identity/callback token.
    ExchangeSelfIssuedV1,
    /// `ver` = 1.0: an Azure AD v1 token.
    AadV1,
    /// `ver` = 2.0: an Entra v2 token.
    AadV2,
    /// Any other `ver`: refused by Exchange.
    UnknownVersion(String),
    /// S2S act-as: an outer token carrying `actortoken` and a user.
    ActAs,
    /// A callback token (`appctx`).
    Callback,
    /// S2S app-only: the actor token sent by itself.
    AppOnly,
}

impl TokenProfile {
    pub fn classify(c: &Claims) -> Self {
        match c.ver.as_deref() {
            Some(VER_EXCHANGE_SELF_ISSUED_V1) => TokenProfile::ExchangeSelfIssuedV1,
            Some("1.0") => TokenProfile::AadV1,
            Some("2.0") => TokenProfile::AadV2,
            Some(v) => TokenProfile::UnknownVersion(v.to_string()),
            None if c.actortoken.is_some() => TokenProfile::ActAs,
            None if c.appctx.is_some() => TokenProfile::Callback,
            None => TokenProfile::AppOnly,
        }
    }

    /// Exchange's name for the profile.
    pub fn name(&self) -> &'static str {
        match self {
            TokenProfile::ExchangeSelfIssuedV1 => "ExchangeSelfIssuedV1",
            TokenProfile::AadV1 => "AadV1",
            TokenProfile::AadV2 => "AadV2",
            TokenProfile::UnknownVersion(_) => "UnknownVersion",
            TokenProfile::ActAs => "S2SAppActAs",
            TokenProfile::Callback => "Callback",
            TokenProfile::AppOnly => "S2SAppOnly",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(nii: Option<&str>) -> UserContext {
        UserContext {
            nameid: Some("S-1-5-21-1".into()),
            nii: nii.map(String::from),
            upn: Some("alice@contoso.com".into()),
            smtp: Some("alice@contoso.com".into()),
            sip: Some("alice@contoso.com".into()),
        }
    }

    #[test]
    fn user_lookup_table() {
        let l = user(None).lookup(false).unwrap();
        assert_eq!(
            l.upn.as_deref(),
            Some("S-1-5-21-1"),
            "without nii the nameid is taken as the UPN"
        );
        let l = user(Some(NII_ACTIVE_DIRECTORY)).lookup(false).unwrap();
        assert_eq!((l.sid, l.upn.as_deref()), (None, Some("alice@contoso.com")));
        let l = user(Some(NII_ACTIVE_DIRECTORY)).lookup(true).unwrap();
        assert_eq!(l.sid.as_deref(), Some("S-1-5-21-1"));
        let l = user(Some(NII_MICROSOFT_ONLINE)).lookup(true).unwrap();
        assert_eq!((l.sid, l.upn.as_deref()), (None, Some("alice@contoso.com")));
        let l = user(Some("urn:other")).lookup(true).unwrap();
        assert_eq!(
            (l.upn, l.smtp.as_deref()),
            (None, Some("alice@contoso.com"))
        );
        let empty = UserContext {
            nii: Some("urn:other".into()),
            ..Default::default()
        };
        assert_eq!(empty.lookup(true), None);
        let sip = UserContext::from_claims(&Claims {
            sip: Some("SIP:bob@contoso.com".into()),
            ..Default::default()
        });
        assert_eq!(sip.sip.as_deref(), Some("bob@contoso.com"));
    }

    #[test]
    fn classification_order() {
        let mut c = Claims {
            actortoken: Some("x".into()),
            appctx: Some(serde_json::json!({})),
            ..Default::default()
        };
        assert_eq!(TokenProfile::classify(&c), TokenProfile::ActAs);
        c.actortoken = None;
        assert_eq!(TokenProfile::classify(&c), TokenProfile::Callback);
        c.appctx = None;
        assert_eq!(TokenProfile::classify(&c), TokenProfile::AppOnly);
        c.ver = Some("1.0".into());
        assert_eq!(TokenProfile::classify(&c), TokenProfile::AadV1);
        c.ver = Some(VER_EXCHANGE_SELF_ISSUED_V1.into());
        assert_eq!(
            TokenProfile::classify(&c),
            TokenProfile::ExchangeSelfIssuedV1
        );
        c.ver = Some("2.0".into());
        assert_eq!(TokenProfile::classify(&c), TokenProfile::AadV2);
        c.ver = Some("3.0".into());
        assert_eq!(
            TokenProfile::classify(&c),
            TokenProfile::UnknownVersion("3.0".into())
        );
    }
}
