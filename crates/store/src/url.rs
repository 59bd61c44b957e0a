use crate::StoreError;
use std::fmt;
use std::path::PathBuf;

/// Where a store lives.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `sqlite://PATH` (relative or absolute) or `sqlite::memory:`.
    Sqlite { path: PathBuf },
    /// `postgres://…` or `postgresql://…`, passed to the driver as given.
    Postgres { url: String },
}

impl StoreUrl {
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let invalid = |reason: &str| StoreError::InvalidUrl {
            url: redact(text),
            reason: reason.into(),
        };
        if let Some(path) = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(invalid("no file path"));
            }
            return Ok(StoreUrl::Sqlite {
                path: PathBuf::from(path),
            });
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            url::Url::parse(text).map_err(|e| invalid(&e.to_string()))?;
            return Ok(StoreUrl::Postgres {
                url: text.to_string(),
            });
        }
        Err(invalid("unknown scheme"))
    }

    /// The SQLite store under a data folder: `DIR/<role>/store.db`.
    pub fn default_for(data_dir: &std::path::Path, role: &str) -> Self {
        StoreUrl::Sqlite {
            path: data_dir.join(role).join("store.db"),
        }
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sqlite { path } => write!(f, "sqlite://{}", path.display()),
            StoreUrl::Postgres { url } => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The URL with any password replaced by `***`, also in a `password=` query parameter.
pub fn redact(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            if pairs
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("password"))
            {
                let mut q = u.query_pairs_mut();
                q.clear();
                for (k, v) in &pairs {
                    q.append_pair(
                        k,
                        if k.eq_ignore_ascii_case("password") {
                            "***"
                        } else {
                            v
                        },
                    );
                }
            }
            u.to_string()
        }
        // Not a URL: never echo what might contain a secret after an '@'.
        Err(_) => match text.rfind('@') {
            Some(at) => format!("***{}", &text[at..]),
            None => text.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_redacts() {
        assert_eq!(
            StoreUrl::parse("sqlite://data/onprem/store.db").unwrap(),
            StoreUrl::Sqlite {
                path: "data/onprem/store.db".into()
            }
        );
        assert!(
            matches!(StoreUrl::parse("sqlite:///tmp/x.db?mode=rwc").unwrap(), StoreUrl::Sqlite { path } if path == std::path::Path::new("/tmp/x.db"))
        );
        let pg = StoreUrl::parse("postgres://hybrid:s3cret@127.0.0.1:5432/hybrid").unwrap();
        assert_eq!(
            pg.to_string(),
            "postgres://hybrid:***@127.0.0.1:5432/hybrid"
        );
        assert!(!format!("{pg:?}").contains("s3cret"));
        assert_eq!(
            redact("postgres://u@h/db?password=p&sslmode=disable"),
            "postgres://u@h/db?password=***&sslmode=disable"
        );
        let e = StoreUrl::parse("mysql://u:pw@h/db").unwrap_err();
        assert_eq!(e.code(), "StoreInvalidUrl");
        assert!(!e.to_string().contains("pw@"), "{e}");
        assert!(StoreUrl::parse("sqlite://").is_err());
    }
}
