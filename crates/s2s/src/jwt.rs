//! Compact JWTs as the S2S protocol uses them: decoding with strict limits, the claim set of
//! actor, outer and app-only tokens, and signing.

use crate::S2sError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crypto::{RsaPrivateKey, base64url};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// A JWT `nbf`/`exp`/`iat`: Unix seconds, written either as a JSON number (ACS, Entra) or as a
/// numeric string (Exchange). Reading accepts both; writing keeps the form it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumericDate {
    pub seconds: i64,
    pub as_string: bool,
}

impl NumericDate {
    /// The dates a token may carry: 1970-01-01 to 9999-12-31. Anything else is refused when
    /// read, so that no time arithmetic on a token's dates can overflow.
    pub const RANGE: std::ops::RangeInclusive<i64> = 0..=253_402_300_799;

    pub fn number(seconds: i64) -> Self {
        NumericDate {
            seconds,
            as_string: false,
        }
    }
    pub fn string(seconds: i64) -> Self {
        NumericDate {
            seconds,
            as_string: true,
        }
    }
}

impl Serialize for NumericDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.as_string {
            s.serialize_str(&self.seconds.to_string())
        } else {
            s.serialize_i64(self.seconds)
        }
    }
}

impl<'de> Deserialize<'de> for NumericDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = NumericDate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("Unix seconds as a number or a numeric string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<NumericDate, E> {
                in_range(v).map(NumericDate::number)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumericDate, E> {
                i64::try_from(v)
                    .map_err(|_| E::custom("date out of range"))
                    .and_then(in_range)
                    .map(NumericDate::number)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<NumericDate, E> {
                if v.is_finite() && v.abs() < 1e15 {
                    in_range(v.floor() as i64).map(NumericDate::number)
                } else {
                    Err(E::custom("date out of range"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<NumericDate, E> {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| E::custom("not a numeric date"))
                    .and_then(in_range)
                    .map(NumericDate::string)
            }
        }
        d.deserialize_any(V)
    }
}

fn in_range<E: de::Error>(seconds: i64) -> Result<i64, E> {
    if NumericDate::RANGE.contains(&seconds) {
        Ok(seconds)
    } else {
        Err(E::custom("date out of range (1970 to 9999)"))
    }
}

/// `"true"`/`"false"` as Exchange writes `trustedfordelegation`; a JSON boolean is read too.
fn string_or_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        S(String),
        B(bool),
    }
    Ok(Option::<Flag>::deserialize(d)?.map(|f| match f {
        Flag::S(s) => s,
        Flag::B(b) => b.to_string(),
    }))
}

/// The JOSE header members the protocol uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The certificate's SHA-256 thumbprint (base64url), as MSAL names its key.
    #[serde(rename = "x5t#S256", skip_serializing_if = "Option::is_none")]
    pub x5t_s256: Option<String>,
    #[serde(skip_serializing, default)]
    pub crit: Option<serde_json::Value>,
}

impl Header {
    /// `{"typ":"JWT","alg":"RS256","x5t":…}`, plus `kid` = x5t when `with_kid` (ACS style).
    pub fn rs256(x5t: &str, with_kid: bool) -> Self {
        Header {
            typ: Some("JWT".into()),
            alg: Some("RS256".into()),
            x5t: Some(x5t.into()),
            kid: with_kid.then(|| x5t.into()),
            x5t_s256: None,
            crit: None,
        }
    }

    /// `{"alg":"none","typ":"JWT"}`, the header of an unsigned outer token.
    pub fn unsigned() -> Self {
        Header {
            typ: Some("JWT".into()),
            alg: Some("none".into()),
            ..Default::default()
        }
    }
}

/// The claims of actor, outer and app-only tokens. Unknown claims are ignored when reading.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<NumericDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<NumericDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<NumericDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actortoken: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nameid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nii: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identityprovider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "string_or_bool"
    )]
    pub trustedfordelegation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appctx: Option<serde_json::Value>,
    /// Delegated permissions of an Entra user token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
}

/// A decoded compact JWS (`header.payload.signature`), borrowing the token text.
#[derive(Debug, Clone)]
pub struct Jwt<'a> {
    compact: &'a str,
    signing_input_end: usize,
    pub header: Header,
    pub claims: Claims,
    pub signature: Vec<u8>,
}

impl<'a> Jwt<'a> {
    /// Decodes without verifying. Refuses more than 64 KiB, anything but three base64url
    /// segments, JSON that is not an object of the expected member types, and a `crit` header.
    pub fn decode(compact: &'a str) -> Result<Self, S2sError> {
        if compact.len() > MAX_TOKEN_BYTES {
            return Err(S2sError::TokenTooLarge(compact.len(), MAX_TOKEN_BYTES));
        }
        let (h, p, s) = split(compact)?;
        let header: Header = decode_json(h, "header")?;
        if header.crit.is_some() {
            return Err(S2sError::MalformedToken(
                "a 'crit' header is not supported".into(),
            ));
        }
        let claims: Claims = decode_json(p, "payload")?;
        let signature = decode_segment(s, "signature")?;
        Ok(Jwt {
            compact,
            signing_input_end: h.len() + 1 + p.len(),
            header,
            claims,
            signature,
        })
    }

    /// The bytes the signature covers: `header.payload`.
    pub fn signing_input(&self) -> &'a [u8] {
        &self.compact.as_bytes()[..self.signing_input_end]
    }

    pub fn compact(&self) -> &'a str {
        self.compact
    }

    pub fn is_signed(&self) -> bool {
        !self.signature.is_empty()
    }

    pub fn alg(&self) -> &str {
        self.header.alg.as_deref().unwrap_or("")
    }
}

/// Splits into exactly three segments.
pub fn split(compact: &str) -> Result<(&str, &str, &str), S2sError> {
    let mut parts = compact.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) => Ok((h, p, s)),
        _ => Err(S2sError::MalformedToken(format!(
            "a JWT has 3 dot-separated segments; this has {}",
            compact.split('.').count()
        ))),
    }
}

/// Decodes one segment written in canonical base64url (RFC 7515 §2): the URL-safe alphabet
/// only, no `=` padding, and no bits set past the data. Exactly one text decodes to given
/// bytes, so a token cannot be re-encoded into another text that reads the same.
pub fn decode_segment(segment: &str, what: &str) -> Result<Vec<u8>, S2sError> {
    URL_SAFE_NO_PAD.decode(segment).map_err(|e| {
        S2sError::MalformedToken(format!("the {what} is not canonical base64url: {e}"))
    })
}

/// Decodes one segment to JSON of type `T`: canonical base64url, then a JSON document in
/// which no object names a member twice (at any depth: readers disagree on which of two
/// members wins, so neither is taken).
pub fn decode_json<T: for<'de> Deserialize<'de>>(segment: &str, what: &str) -> Result<T, S2sError> {
    let bytes = decode_segment(segment, what)?;
    let invalid = |e: serde_json::Error| {
        S2sError::MalformedToken(format!("the {what} is not valid JSON: {e}"))
    };
    serde_json::from_slice::<UniqueMembers>(&bytes).map_err(invalid)?;
    serde_json::from_slice(&bytes).map_err(invalid)
}

/// A JSON value read only to check that no object in it repeats a member name.
struct UniqueMembers;

impl<'de> Deserialize<'de> for UniqueMembers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueMembers)
    }
}

impl<'de> Visitor<'de> for UniqueMembers {
    type Value = UniqueMembers;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<UniqueMembers>()?.is_some() {}
        Ok(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(name) = map.next_key::<String>()? {
            map.next_value::<UniqueMembers>()?;
            if !seen.insert(name) {
                return Err(de::Error::custom("an object names a member more than once"));
            }
        }
        Ok(self)
    }
}

fn encode_json(value: &impl Serialize) -> String {
    base64url(&serde_json::to_vec(value).expect("claims serialize to JSON"))
}

/// Signs `claims` with RS256 under `header`.
pub fn sign(header: &Header, claims: &Claims, key: &RsaPrivateKey) -> String {
    sign_json(header, claims, key)
}

/// Signs any claims object with RS256 under `header`.
pub fn sign_json<T: serde::Serialize>(header: &Header, claims: &T, key: &RsaPrivateKey) -> String {
    let mut out = encode_json(header);
    out.push('.');
    out.push_str(&encode_json(claims));
    let sig = key.sign_rs256(out.as_bytes());
    out.push('.');
    out.push_str(&base64url(&sig));
    out
}

/// An unsigned token: `{"alg":"none","typ":"JWT"}`, the claims, and an empty signature.
pub fn unsigned(claims: &Claims) -> String {
    let mut out = encode_json(&Header::unsigned());
    out.push('.');
    out.push_str(&encode_json(claims));
    out.push('.');
    out
}

/// A short, non-reversible digest of a token for logs and traces: `sha256:` and 16 hex digits.
pub fn token_digest(token: &str) -> String {
    digest_of(&token_sha256(token))
}

/// The SHA-256 of a token's text, from which its digest and cache keys are made (so a request
/// hashes its token once).
pub fn token_sha256(token: &str) -> [u8; 32] {
    crypto::sha256(token.as_bytes())
}

/// [`token_digest`] of a token whose SHA-256 is `sha`.
pub fn digest_of(sha: &[u8; 32]) -> String {
    format!("sha256:{}", hex::encode(&sha[..8]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_dates_in_both_forms() {
        let c: Claims =
            serde_json::from_str(r#"{"nbf":"1331579055","exp":1331579155,"iat":1.5e9}"#).unwrap();
        assert_eq!(c.nbf, Some(NumericDate::string(1331579055)));
        assert_eq!(c.exp, Some(NumericDate::number(1331579155)));
        assert_eq!(c.iat, Some(NumericDate::number(1_500_000_000)));
        let again: Claims = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(again, c);
        assert!(serde_json::from_str::<Claims>(r#"{"exp":"soon"}"#).is_err());
        assert!(serde_json::from_str::<Claims>(r#"{"exp":true}"#).is_err());
    }

    #[test]
    fn trustedfordelegation_string_or_bool() {
        let c: Claims = serde_json::from_str(r#"{"trustedfordelegation":true}"#).unwrap();
        assert_eq!(c.trustedfordelegation.as_deref(), Some("true"));
        let c: Claims = serde_json::from_str(r#"{"trustedfordelegation":"false"}"#).unwrap();
        assert_eq!(c.trustedfordelegation.as_deref(), Some("false"));
    }

    #[test]
    fn decode_limits() {
        assert!(matches!(
            Jwt::decode("a.b"),
            Err(S2sError::MalformedToken(_))
        ));
        assert!(matches!(
            Jwt::decode("a.b.c.d"),
            Err(S2sError::MalformedToken(_))
        ));
        let big = "a".repeat(MAX_TOKEN_BYTES + 1);
        assert!(matches!(
            Jwt::decode(&big),
            Err(S2sError::TokenTooLarge(..))
        ));
        let dup = format!(
            "{}.{}.",
            base64url(br#"{"alg":"none"}"#),
            base64url(br#"{"iss":"a","iss":"b"}"#)
        );
        assert!(Jwt::decode(&dup).is_err(), "duplicate claims are refused");
        let crit = format!(
            "{}.{}.",
            base64url(br#"{"alg":"none","crit":["x"]}"#),
            base64url(b"{}")
        );
        assert!(Jwt::decode(&crit).is_err());
        let arr = format!("{}.{}.", base64url(br#"{"alg":"none"}"#), base64url(b"[]"));
        assert!(Jwt::decode(&arr).is_err());
    }

    #[test]
    fn segments_must_be_canonical_base64url() {
        let h = base64url(br#"{"alg":"none"}"#);
        let p = base64url(br#"{"iss":"a@b"}"#);
        assert!(Jwt::decode(&format!("{h}.{p}.")).is_ok());
        // Padding, the standard alphabet, whitespace, and stray bits after the data.
        for (h2, p2, s2) in [
            (format!("{h}="), p.clone(), String::new()),
            (h.clone(), format!("{p}=="), String::new()),
            (h.clone(), p.clone(), "AA==".to_string()),
            (h.clone(), p.replace('_', "/"), String::new()),
            (h.clone(), format!(" {p}"), String::new()),
            (h.clone(), p.clone(), "AB".to_string()),
            (h.clone(), p.clone(), "A".to_string()),
        ] {
            let t = format!("{h2}.{p2}.{s2}");
            if t == format!("{h}.{p}.") {
                continue;
            }
            assert!(
                matches!(Jwt::decode(&t), Err(S2sError::MalformedToken(_))),
                "{t}"
            );
        }
        assert!(
            Jwt::decode(&format!("{h}.{p}.AA")).is_ok(),
            "one byte, canonical"
        );
    }

    #[test]
    fn no_member_twice_at_any_depth() {
        let h = base64url(br#"{"alg":"none"}"#);
        for payload in [
            &br#"{"x":1,"x":2}"#[..],
            br#"{"appctx":{"a":1,"a":1}}"#,
            br#"{"l":[{"k":1,"k":2}]}"#,
        ] {
            let t = format!("{h}.{}.", base64url(payload));
            assert!(
                Jwt::decode(&t).is_err(),
                "{}",
                String::from_utf8_lossy(payload)
            );
        }
        let dup_header = format!(
            "{}.{}.",
            base64url(br#"{"alg":"none","zz":1,"zz":1}"#),
            base64url(b"{}")
        );
        assert!(Jwt::decode(&dup_header).is_err());
    }

    #[test]
    fn dates_outside_1970_to_9999_are_refused() {
        for c in [
            r#"{"exp":-1}"#,
            r#"{"exp":9223372036854775807}"#,
            r#"{"nbf":-9223372036854775808}"#,
            r#"{"exp":"253402300800"}"#,
            r#"{"exp":18446744073709551615}"#,
        ] {
            assert!(serde_json::from_str::<Claims>(c).is_err(), "{c}");
        }
        assert!(serde_json::from_str::<Claims>(r#"{"exp":253402300799}"#).is_ok());
    }

    #[test]
    fn unsigned_round_trip() {
        let claims = Claims {
            iss: Some("a@b".into()),
            exp: Some(NumericDate::number(5)),
            ..Default::default()
        };
        let t = unsigned(&claims);
        assert!(t.ends_with('.'));
        let jwt = Jwt::decode(&t).unwrap();
        assert_eq!(jwt.claims, claims);
        assert_eq!(jwt.alg(), "none");
        assert!(!jwt.is_signed());
        assert_eq!(jwt.signing_input(), t.trim_end_matches('.').as_bytes());
    }
}
