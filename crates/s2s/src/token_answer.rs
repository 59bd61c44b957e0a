//! A token endpoint's answer as a client reads it: the token with its times, or the refusal
//! with Entra's codes. ACS writes its times as strings, Entra v2 as numbers; both are read.

use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TokenAnswer {
    pub access_token: Option<String>,
    pub token_type: Option<String>,
    #[serde(deserialize_with = "seconds")]
    pub expires_in: Option<i64>,
    #[serde(deserialize_with = "seconds")]
    pub expires_on: Option<i64>,
    pub resource: Option<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub scope: Option<String>,
    pub error: String,
    pub error_description: String,
    pub error_codes: Vec<u64>,
}

impl TokenAnswer {
    /// The first Entra code as it is written (`AADSTS700027`), if any.
    pub fn aadsts_code(&self) -> Option<String> {
        self.error_codes.first().map(|c| format!("AADSTS{c}"))
    }

    /// The description's first line without the code it repeats (`AADSTS…: `).
    pub fn reason(&self) -> &str {
        let line = self.error_description.lines().next().unwrap_or("");
        line.split_once(": ")
            .filter(|(c, _)| c.starts_with("AADSTS"))
            .map_or(line, |(_, m)| m)
    }
}

/// Seconds written as a number or as a string of digits; anything else reads as absent.
fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(i64),
        Text(String),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        Some(Either::Number(n)) => Some(n),
        Some(Either::Text(t)) => t.trim().parse().ok(),
        Some(Either::Other(_)) | None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acs_strings_and_entra_numbers_read_alike() {
        let acs: TokenAnswer = serde_json::from_str(
            r#"{"token_type":"Bearer","access_token":"a.b.c","expires_in":"3599","expires_on":"1700003599","not_before":"1700000000","resource":"r"}"#,
        )
        .unwrap();
        assert_eq!(
            (acs.access_token.as_deref(), acs.expires_in, acs.expires_on),
            (Some("a.b.c"), Some(3599), Some(1700003599))
        );
        let v2: TokenAnswer =
            serde_json::from_str(r#"{"token_type":"Bearer","access_token":"x","expires_in":3599}"#)
                .unwrap();
        assert_eq!(v2.expires_in, Some(3599));
    }

    #[test]
    fn a_refusal_gives_its_code_and_reason() {
        let no: TokenAnswer = serde_json::from_str(
            r#"{"error":"invalid_client","error_description":"AADSTS700027: Client assertion failed signature validation.\r\nTrace ID: x","error_codes":[700027]}"#,
        )
        .unwrap();
        assert_eq!(no.aadsts_code().as_deref(), Some("AADSTS700027"));
        assert_eq!(no.reason(), "Client assertion failed signature validation.");
        assert!(no.access_token.is_none());
    }
}
