//! Explaining any JWT in S2S terms: which token it is, what each claim means (well-known
//! applications by name, realms, hosts, times in UTC and relative to now), the actor token
//! inside an outer token, and, given a certificate, whether the signature verifies.

use crate::S2sError;
use crate::ids::{Audience, PrincipalId, well_known_name};
use crate::jwt::{self, MAX_TOKEN_BYTES, token_digest};
use crate::token::{NII_ACTIVE_DIRECTORY, NII_MICROSOFT_ONLINE, NII_ORGID, TokenProfile};
use crypto::{Certificate, base64url_decode};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The outcome of checking a signature against a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    NotChecked,
    Verified { thumbprint: String },
    Failed(String),
}

/// One decoded token, explained.
#[derive(Debug, Clone)]
pub struct Inspection {
    compact: String,
    pub digest: String,
    pub kind: &'static str,
    pub profile: Option<&'static str>,
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// (member, explanation), header members first, in token order.
    pub notes: Vec<(String, String)>,
    pub signature_bytes: usize,
    pub signature: SignatureCheck,
    pub actor: Option<Box<Inspection>>,
}

/// Decodes and explains `token`. `now` (Unix seconds) anchors relative times.
pub fn inspect(token: &str, now: i64) -> Result<Inspection, S2sError> {
    let token = token.trim();
    if token.len() > MAX_TOKEN_BYTES {
        return Err(S2sError::TokenTooLarge(token.len(), MAX_TOKEN_BYTES));
    }
    let (h, p, s) = jwt::split(token)?;
    let header: Map<String, Value> = jwt::decode_json(h, "header")?;
    let claims: Map<String, Value> = jwt::decode_json(p, "payload")?;
    let sig = base64url_decode(s)
        .ok_or_else(|| S2sError::MalformedToken("signature is not base64url".into()))?;
    let typed = serde_json::from_value::<crate::jwt::Claims>(Value::Object(claims.clone())).ok();
    let profile = typed.as_ref().map(|c| TokenProfile::classify(c).name());
    let unsigned = sig.is_empty();
    let kind = match (claims.contains_key("actortoken"), unsigned) {
        (true, true) => "outer token (unsigned user context)",
        (true, false) => "outer token, signed (S2S outer tokens must be unsigned)",
        (false, true) => "unsigned token",
        (false, false) if profile == Some("S2SAppOnly") && claims.contains_key("nameid") => {
            "actor token (signed; app-only when sent alone)"
        }
        (false, false) => "signed JWT",
    };
    let mut notes = Vec::new();
    for (k, v) in &header {
        if let Some(n) = explain_header(k, v) {
            notes.push((k.clone(), n));
        }
    }
    for (k, v) in &claims {
        if let Some(n) = explain_claim(k, v, &claims, now) {
            notes.push((k.clone(), n));
        }
    }
    let actor = match claims.get("actortoken") {
        Some(Value::String(a)) => Some(Box::new(inspect(a, now)?)),
        Some(_) => {
            return Err(S2sError::MalformedToken(
                "actortoken is not a string".into(),
            ));
        }
        None => None,
    };
    Ok(Inspection {
        compact: token.to_string(),
        digest: token_digest(token),
        kind,
        profile,
        header,
        claims,
        notes,
        signature_bytes: sig.len(),
        signature: SignatureCheck::NotChecked,
        actor,
    })
}

impl Inspection {
    /// Verifies the signed token (for an outer token, its actor) with `cert`.
    /// Returns whether it verified.
    pub fn verify_with(&mut self, cert: &Certificate) -> bool {
        if let Some(actor) = self.actor.as_mut() {
            return actor.verify_with(cert);
        }
        self.signature = self.check(cert);
        matches!(self.signature, SignatureCheck::Verified { .. })
    }

    fn check(&self, cert: &Certificate) -> SignatureCheck {
        let alg = self.header.get("alg").and_then(Value::as_str).unwrap_or("");
        if alg != "RS256" {
            return SignatureCheck::Failed(format!("alg is '{alg}'; S2S tokens are RS256"));
        }
        let key = match cert.public_key() {
            Ok(k) => k,
            Err(e) => return SignatureCheck::Failed(e.to_string()),
        };
        let jwt = match jwt::Jwt::decode(&self.compact) {
            Ok(j) => j,
            Err(_) => {
                // A plain JWT whose claims are not S2S-typed: verify over the raw segments.
                let dot = self.compact.rfind('.').unwrap_or(0);
                let sig = base64url_decode(&self.compact[dot + 1..]).unwrap_or_default();
                return match key.verify_rs256(&self.compact.as_bytes()[..dot], &sig) {
                    Ok(()) => SignatureCheck::Verified {
                        thumbprint: cert.thumbprint().into(),
                    },
                    Err(e) => SignatureCheck::Failed(e.to_string()),
                };
            }
        };
        match key.verify_rs256(jwt.signing_input(), &jwt.signature) {
            Ok(()) => SignatureCheck::Verified {
                thumbprint: cert.thumbprint().into(),
            },
            Err(e) => {
                let x5t = jwt.header.x5t.as_deref().unwrap_or("");
                if !x5t.is_empty() && x5t != cert.x5t() {
                    SignatureCheck::Failed(format!(
                        "{e}; the token names certificate x5t {x5t}, not this one ({})",
                        cert.x5t()
                    ))
                } else {
                    SignatureCheck::Failed(e.to_string())
                }
            }
        }
    }

    /// Everything as one JSON value.
    pub fn to_json(&self) -> Value {
        let notes: Map<String, Value> = self
            .notes
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let signature = match &self.signature {
            SignatureCheck::NotChecked => json!({"bytes": self.signature_bytes, "checked": false}),
            SignatureCheck::Verified { thumbprint } => {
                json!({"bytes": self.signature_bytes, "checked": true, "valid": true, "certificateThumbprint": thumbprint})
            }
            SignatureCheck::Failed(why) => {
                json!({"bytes": self.signature_bytes, "checked": true, "valid": false, "error": why})
            }
        };
        let mut v = json!({
            "digest": self.digest,
            "kind": self.kind,
            "profile": self.profile,
            "header": self.header,
            "claims": self.claims,
            "explanations": notes,
            "signature": signature,
        });
        if let Some(a) = &self.actor {
            v["actor"] = a.to_json();
        }
        v
    }
}

fn principal_note(text: &str) -> String {
    let app = |id: &str| match well_known_name(id) {
        Some(n) => format!("{id} ({n})"),
        None => id.to_string(),
    };
    if let Some(a) = Audience::parse(text) {
        return format!(
            "application {} at host {} in realm {}",
            app(&a.app_id),
            a.host,
            a.realm
        );
    }
    match PrincipalId::parse_nameid(text) {
        Some(p) => format!("application {} in realm {}", app(&p.app_id), p.realm),
        None => "not an app@realm identifier".into(),
    }
}

fn explain_header(name: &str, v: &Value) -> Option<String> {
    let s = v.as_str()?;
    Some(match name {
        "alg" if s == "none" => "none: unsigned".into(),
        "alg" if s == "RS256" => "RSASSA-PKCS1-v1_5 with SHA-256".into(),
        "alg" => format!("{s}: not an S2S algorithm (S2S uses RS256)"),
        "x5t" | "kid" => match base64url_decode(s) {
            Some(b) if b.len() == 20 => format!("certificate thumbprint {}", hex::encode_upper(b)),
            _ => "not a base64url SHA-1 thumbprint".into(),
        },
        _ => return None,
    })
}

fn explain_claim(name: &str, v: &Value, all: &Map<String, Value>, now: i64) -> Option<String> {
    let text = v.as_str();
    Some(match name {
        "aud" => format!("audience: {}", principal_note(text?)),
        "iss" => format!("issuer: {}", principal_note(text?)),
        "identityprovider" => format!("identity provider: {}", principal_note(text?)),
        "nameid" if all.contains_key("nii") => format!(
            "user id in the {} namespace",
            nii_name(all["nii"].as_str()?)
        ),
        "nameid"
            if text?.contains('@') && !all.contains_key("upn") && !all.contains_key("smtp") =>
        {
            format!("acting application: {}", principal_note(text?))
        }
        "nameid" => "user id (read as a UPN when there is no nii)".into(),
        "nii" => format!("identity issuer of nameid: {}", nii_name(text?)),
        "upn" => "user principal name".into(),
        "smtp" => "user's primary SMTP address".into(),
        "sip" => "user's SIP address".into(),
        "trustedfordelegation" => match v
            .as_str()
            .map(str::to_string)
            .or(v.as_bool().map(|b| b.to_string()))
        {
            Some(t) if t.eq_ignore_ascii_case("true") => "the actor may act for users".into(),
            _ => "the actor may not act for users (app-only)".into(),
        },
        "nbf" | "exp" | "iat" => {
            let secs = v
                .as_i64()
                .or_else(|| text.and_then(|s| s.trim().parse().ok()))?;
            let form = if text.is_some() {
                ", written as a string"
            } else {
                ""
            };
            let label = match name {
                "nbf" => "not before",
                "exp" => "expires",
                _ => "issued at",
            };
            format!("{label} {}{form}", when(secs, now))
        }
        "actortoken" => "the signed actor token, explained below".into(),
        "oid" | "sub" => "object id of the client's service principal".into(),
        "ver" => format!("token version {}", text?),
        "appctx" => "application context (callback token)".into(),
        _ => return None,
    })
}

fn nii_name(nii: &str) -> String {
    match nii {
        n if n.eq_ignore_ascii_case(NII_ACTIVE_DIRECTORY) => {
            "Active Directory (nameid is a SID)".into()
        }
        n if n.eq_ignore_ascii_case(NII_MICROSOFT_ONLINE) => {
            "Microsoft Online (nameid is an Entra PUID)".into()
        }
        n if n.eq_ignore_ascii_case(NII_ORGID) => "Org ID (legacy)".into(),
        other => other.into(),
    }
}

/// `2026-01-01T00:00:00Z (3h 5m ago)`.
pub fn when(secs: i64, now: i64) -> String {
    let utc = OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "out of range".into());
    let d = secs - now;
    let rel = if d == 0 {
        "now".into()
    } else if d > 0 {
        format!("in {}", span(d))
    } else {
        format!("{} ago", span(-d))
    };
    format!("{utc} ({rel})")
}

fn span(s: i64) -> String {
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");

    #[test]
    fn explains_an_outer_token_and_its_actor() {
        let t = std::fs::read_to_string(format!("{DIR}tokens/outer-act-as.jwt")).unwrap();
        let now = 1_767_225_600 + 3600;
        let mut i = inspect(&t, now).unwrap();
        assert_eq!(i.kind, "outer token (unsigned user context)");
        assert_eq!(i.profile, Some("S2SAppActAs"));
        let note =
            |i: &Inspection, k: &str| i.notes.iter().find(|(n, _)| n == k).unwrap().1.clone();
        assert!(note(&i, "iss").contains("Skype for Business Online"));
        assert!(note(&i, "exp").contains("2026-01-01T08:00:00Z (in 7h 0m)"));
        assert!(note(&i, "nameid").contains("Entra PUID"));
        let actor = i.actor.as_ref().unwrap();
        assert!(note(actor, "aud").contains("at host mail.contoso.com"));
        assert!(note(actor, "x5t").starts_with("certificate thumbprint "));
        assert!(note(actor, "trustedfordelegation").contains("may act for users"));
        let acs =
            Certificate::from_pem(&std::fs::read(format!("{DIR}acs-cert.pem")).unwrap()).unwrap();
        let other =
            Certificate::from_pem(&std::fs::read(format!("{DIR}other-cert.pem")).unwrap()).unwrap();
        assert!(note(actor, "x5t").ends_with(acs.thumbprint()));
        assert!(!i.verify_with(&other));
        assert!(
            matches!(&i.actor.as_ref().unwrap().signature, SignatureCheck::Failed(m) if m.contains("not this one"))
        );
        assert!(i.verify_with(&acs));
        assert_eq!(i.to_json()["actor"]["signature"]["valid"], json!(true));
    }

    #[test]
    fn plain_jwts_and_garbage() {
        let plain = format!(
            "{}.{}.",
            crypto::base64url(br#"{"alg":"none"}"#),
            crypto::base64url(br#"{"aud":["a","b"],"exp":1}"#)
        );
        let i = inspect(&plain, 0).unwrap();
        assert_eq!(i.kind, "unsigned token");
        assert!(inspect("a.b", 0).is_err());
        assert!(inspect("e30.e30.***", 0).is_err());
        assert_eq!(span(90_061), "1d 1h");
        assert_eq!(when(0, 30), "1970-01-01T00:00:00Z (30s ago)");
    }
}
