//! Cmdlet parameters as they arrive (JSON), read the way PowerShell binds them: names without
//! regard to case, booleans as `$true`/`true`, lists as arrays or comma-separated text.

use crate::error::OnPremError;
use serde_json::{Map, Value};

/// Parameters every cmdlet accepts and ignores: `-DomainController` (one directory here) and
/// the confirmation switches.
const COMMON: &[&str] = &[
    "DomainController",
    "Confirm",
    "WhatIf",
    "Force",
    "ErrorAction",
    "WarningAction",
    "Verbose",
];

/// The largest value one parameter may carry, serialized: room for a certificate chain or a
/// PKCS#12 file in base64, and no more.
pub const MAX_PARAMETER_BYTES: usize = 64 * 1024;
/// The most parameters one cmdlet call may name.
pub const MAX_PARAMETERS: usize = 64;
/// The largest cmdlet request body.
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;

/// Refuses a call whose parameters are more, or larger, than any cmdlet takes.
pub fn check_bounds(cmdlet: &str, map: &Map<String, Value>) -> Result<(), OnPremError> {
    if map.len() > MAX_PARAMETERS {
        return Err(OnPremError::InvalidArgument(format!(
            "{cmdlet} was given {} parameters; at most {MAX_PARAMETERS} are accepted.",
            map.len()
        )));
    }
    for (name, value) in map {
        let size = name.len() + serde_json::to_string(value).map_or(usize::MAX, |t| t.len());
        if size > MAX_PARAMETER_BYTES {
            return Err(OnPremError::InvalidArgument(format!(
                "The value of parameter '{name}' is {size} bytes; at most {MAX_PARAMETER_BYTES} are accepted."
            )));
        }
    }
    Ok(())
}

/// Whether `name` is one of the parameters every cmdlet takes.
pub fn is_common(name: &str) -> bool {
    COMMON.iter().any(|c| c.eq_ignore_ascii_case(name))
}

pub struct Params {
    pub cmdlet: String,
    map: Map<String, Value>,
}

impl Params {
    pub fn new(cmdlet: &str, map: Map<String, Value>) -> Self {
        Params {
            cmdlet: cmdlet.to_string(),
            map,
        }
    }

    /// Refuses any parameter not in `names` (nor common).
    pub fn allow(&self, names: &[&str]) -> Result<(), OnPremError> {
        for k in self.map.keys() {
            let known = names
                .iter()
                .chain(COMMON)
                .any(|n| n.eq_ignore_ascii_case(k));
            if !known {
                return Err(OnPremError::UnknownParameter(k.clone()));
            }
        }
        Ok(())
    }

    /// The parameter names as given.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.map.keys()
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, OnPremError> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(OnPremError::InvalidArgument(format!(
                "Cannot bind parameter '{name}': '{other}' is not text."
            ))),
        }
    }

    pub fn required(&self, name: &str) -> Result<String, OnPremError> {
        self.string(name)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| OnPremError::MissingParameter(name.to_string()))
    }

    /// A GUID-valued parameter (an application identifier), as text; anything that is not a
    /// GUID is refused, as Exchange refuses it.
    pub fn guid(&self, name: &str) -> Result<Option<String>, OnPremError> {
        match self.string(name)? {
            Some(v) if uuid::Uuid::parse_str(&v).is_err() => {
                Err(OnPremError::InvalidArgument(format!(
                    "Cannot validate argument on parameter '{name}': '{v}' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."
                )))
            }
            other => Ok(other),
        }
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, OnPremError> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s
                .trim()
                .trim_start_matches('$')
                .to_ascii_lowercase()
                .as_str()
            {
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(OnPremError::InvalidArgument(format!(
                    "Cannot bind parameter '{name}': '{s}' is not $true or $false."
                ))),
            },
            Some(other) => Err(OnPremError::InvalidArgument(format!(
                "Cannot bind parameter '{name}': '{other}' is not $true or $false."
            ))),
        }
    }

    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, OnPremError> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str().map(|s| s.trim().to_string()).ok_or_else(|| {
                        OnPremError::InvalidArgument(format!("'{name}' takes text values."))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(Value::String(s)) => Ok(Some(
                s.split(',')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect(),
            )),
            Some(other) => Err(OnPremError::InvalidArgument(format!(
                "Cannot bind parameter '{name}': '{other}' is not a list."
            ))),
        }
    }

    /// A date: ISO 8601 (`2026-01-01T00:00:00Z`) or a plain date (`2026-01-01`, midnight UTC).
    pub fn date(&self, name: &str) -> Result<Option<time::OffsetDateTime>, OnPremError> {
        let Some(s) = self.string(name)? else {
            return Ok(None);
        };
        use time::format_description::well_known::Rfc3339;
        if let Ok(t) = time::OffsetDateTime::parse(&s, &Rfc3339) {
            return Ok(Some(t));
        }
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(&s, &fmt)
            .map(|d| Some(d.midnight().assume_utc()))
            .map_err(|_| OnPremError::InvalidArgument(format!("Cannot bind parameter '{name}': '{s}' is not a date (use 2026-01-01T00:00:00Z).")))
    }
}
