//! The `WWW-Authenticate: Bearer …` challenge and the `x-ms-diagnostics` header.

use crate::S2sError;
use std::fmt;

/// A Bearer challenge as Exchange (and SharePoint, and Exchange Online) send it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BearerChallenge {
    /// SharePoint sends one; on-premises Exchange does not.
    pub realm: Option<String>,
    pub client_id: Option<String>,
    /// `<issuerId>@<realm or *>` entries.
    pub trusted_issuers: Vec<String>,
    pub token_types: Option<String>,
    pub authorization_uri: Option<String>,
    /// `invalid_token` when a presented token was rejected.
    pub error: Option<String>,
    /// Any other parameters, in order.
    pub other: Vec<(String, String)>,
}

impl BearerChallenge {
    /// Parses a `WWW-Authenticate` value whose scheme is Bearer (case-insensitive).
    pub fn parse(value: &str) -> Result<Self, S2sError> {
        let bad = |m: &str| S2sError::MalformedHeader(format!("Bearer challenge: {m}"));
        let value = value.trim();
        let (scheme, rest) = value.split_at(value.find(char::is_whitespace).unwrap_or(value.len()));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(bad("the scheme is not Bearer"));
        }
        let mut out = BearerChallenge::default();
        for (name, val) in parse_params(rest, ',').map_err(|m| bad(&m))? {
            match name.to_ascii_lowercase().as_str() {
                "realm" => out.realm = Some(val),
                "client_id" => out.client_id = Some(val),
                "trusted_issuers" => {
                    out.trusted_issuers = val
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect()
                }
                "token_types" => out.token_types = Some(val),
                "authorization_uri" => out.authorization_uri = Some(val),
                "error" => out.error = Some(val),
                _ => out.other.push((name, val)),
            }
        }
        Ok(out)
    }
}

impl fmt::Display for BearerChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(r) = &self.realm {
            params.push(("realm", r.clone()));
        }
        if let Some(c) = &self.client_id {
            params.push(("client_id", c.clone()));
        }
        params.push(("trusted_issuers", self.trusted_issuers.join(",")));
        if let Some(t) = &self.token_types {
            params.push(("token_types", t.clone()));
        }
        if let Some(a) = &self.authorization_uri {
            params.push(("authorization_uri", a.clone()));
        }
        for (k, v) in &self.other {
            params.push((k, v.clone()));
        }
        if let Some(e) = &self.error {
            params.push(("error", e.clone()));
        }
        write!(f, "Bearer ")?;
        for (i, (k, v)) in params.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{k}=\"{}\"", quote(v))?;
        }
        Ok(())
    }
}

fn quote(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"")
}

/// RFC 9110 auth-params: `name=token` or `name="quoted"`, separated by `sep`.
fn parse_params(input: &str, sep: char) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == sep) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            name.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') || name.is_empty() {
            return Err(format!("expected name=value near '{name}'"));
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('\\') => val.push(chars.next().ok_or("unterminated escape")?),
                    Some('"') => break,
                    Some(c) => val.push(c),
                    None => return Err(format!("unterminated quoted value for '{name}'")),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == sep || c.is_whitespace() {
                    break;
                }
                val.push(c);
                chars.next();
            }
        }
        out.push((name, val));
    }
}

/// `x-ms-diagnostics: <category>;reason="<message>";error_category="<name>"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    pub category: u32,
    pub reason: String,
    pub error_category: String,
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{};reason=\"{}\";error_category=\"{}\"",
            self.category,
            quote(&self.reason),
            quote(&self.error_category)
        )
    }
}

impl Diagnostics {
    pub fn parse(value: &str) -> Result<Self, S2sError> {
        let bad = |m: &str| S2sError::MalformedHeader(format!("x-ms-diagnostics: {m}"));
        let (num, rest) = value
            .trim()
            .split_once(';')
            .ok_or_else(|| bad("no ';' after the category"))?;
        let category = num
            .trim()
            .parse()
            .map_err(|_| bad("the category is not a number"))?;
        let params = parse_params(rest, ';').map_err(|m| bad(&m))?;
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        Ok(Diagnostics {
            category,
            reason: get("reason").ok_or_else(|| bad("no reason"))?,
            error_category: get("error_category").ok_or_else(|| bad("no error_category"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorCode, OAuthError};

    #[test]
    fn exchange_challenge_round_trip() {
        let c = BearerChallenge {
            client_id: Some("00000002-0000-0ff1-ce00-000000000000".into()),
            trusted_issuers: vec![
                "00000001-0000-0000-c000-000000000000@*".into(),
                "x@contoso.com".into(),
            ],
            ..Default::default()
        };
        let text = c.to_string();
        assert_eq!(
            text,
            "Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", trusted_issuers=\"00000001-0000-0000-c000-000000000000@*,x@contoso.com\""
        );
        assert_eq!(BearerChallenge::parse(&text).unwrap(), c);
        let rejected = BearerChallenge {
            error: Some("invalid_token".into()),
            ..c.clone()
        };
        assert!(rejected.to_string().ends_with(", error=\"invalid_token\""));
        assert_eq!(
            BearerChallenge::parse(&rejected.to_string()).unwrap(),
            rejected
        );
    }

    #[test]
    fn parses_sharepoint_and_exchange_online_forms() {
        let sp = BearerChallenge::parse(
            "Bearer realm=\"6a3a4a1e-0000-0000-0000-000000000000\",client_id=\"00000003-0000-0ff1-ce00-000000000000\",trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\",authorization_uri=\"https://login.windows.net/common/oauth2/authorize\"",
        )
        .unwrap();
        assert_eq!(
            sp.realm.as_deref(),
            Some("6a3a4a1e-0000-0000-0000-000000000000")
        );
        assert_eq!(sp.trusted_issuers.len(), 1);
        let exo = BearerChallenge::parse(
            "bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\", token_types=\"app_asserted_user_v1 service_asserted_app_v1\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\"",
        )
        .unwrap();
        assert_eq!(
            exo.token_types.as_deref(),
            Some("app_asserted_user_v1 service_asserted_app_v1")
        );
        assert!(BearerChallenge::parse("Basic realm=\"x\"").is_err());
        assert!(BearerChallenge::parse("Bearer client_id=\"open").is_err());
        assert!(BearerChallenge::parse("Bearer =x").is_err());
    }

    #[test]
    fn diagnostics_round_trip() {
        let e = OAuthError::new(
            ErrorCode::NoMatchingPartnerAppFound,
            &["00000004-0000-0ff1-ce00-000000000000"],
        );
        let text = e.diagnostics().to_string();
        assert_eq!(
            text,
            "2000006;reason=\"The Application Identifier '00000004-0000-0ff1-ce00-000000000000' is unknown.\";error_category=\"invalid_client\""
        );
        assert_eq!(Diagnostics::parse(&text).unwrap(), e.diagnostics());
        assert!(Diagnostics::parse("x;reason=\"a\"").is_err());
        let semi = Diagnostics::parse(
            "2000001;reason=\"a;b, \\\"c\\\"\";error_category=\"invalid_token\"",
        )
        .unwrap();
        assert_eq!(semi.reason, "a;b, \"c\"");
        assert!(Diagnostics::parse("2000001").is_err());
    }
}
