//! When a token may be used, and the longest each kind of token may claim to live.
//!
//! Every token path (actor and outer tokens at EWS, Entra tokens, client assertions at the
//! token service, Graph's proofs of possession) checks its times here, so that the arithmetic
//! is done once, without overflow, and every kind has a ceiling: a token signed by a stolen or
//! careless key cannot be made to live for years.

use crate::jwt::NumericDate;

/// The kinds of token whose lifetime is bounded, each with its ceiling in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Actor tokens (ACS-issued or self-issued) and app-only tokens. ACS writes about 24 h
    /// 5 min (86,700 s observed) and Exchange 24 h; the ceiling is 25 h, an hour of margin
    /// for issuers' clocks and rounding.
    ActorToken,
    /// The unsigned outer (user context) token. Exchange writes 8 h, SharePoint's TokenHelper
    /// 12 h; the ceiling is 13 h. Its use is bounded by its actor token anyway.
    OuterToken,
    /// Entra access tokens. Entra issues 60 to 90 minutes, and up to 28 hours to clients
    /// capable of continuous access evaluation; the ceiling is those 28 hours.
    EntraToken,
    /// Client assertions at the token service: Exchange signs 10 minutes, MSAL 10 minutes;
    /// one hour is accepted (the token service's setting may lower it).
    ClientAssertion,
    /// Graph's addKey/removeKey proof of possession: `exp` = `nbf` + 10 minutes, exactly as
    /// Graph documents it.
    ProofOfPossession,
}

impl TokenKind {
    /// The longest lifetime, in seconds, a token of this kind may claim.
    pub const fn max_lifetime(self) -> i64 {
        match self {
            TokenKind::ActorToken => 25 * 3600,
            TokenKind::OuterToken => 13 * 3600,
            TokenKind::EntraToken => 28 * 3600,
            TokenKind::ClientAssertion => 3600,
            TokenKind::ProofOfPossession => 600,
        }
    }
}

/// Why a token's times are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifetimeError {
    /// No `exp` claim.
    MissingExpiry,
    Expired,
    NotYetValid,
    /// `exp` is further from the token's start (`nbf`, else `iat`, else now) than the kind's
    /// ceiling allows.
    TooLong {
        max: i64,
    },
    /// A date before 1970 or after 9999.
    OutOfRange,
}

impl std::fmt::Display for LifetimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LifetimeError::MissingExpiry => f.write_str("it has no 'exp'"),
            LifetimeError::Expired => f.write_str("it has expired"),
            LifetimeError::NotYetValid => f.write_str("it is not valid yet"),
            LifetimeError::TooLong { max } => write!(f, "its lifetime is over {max} seconds"),
            LifetimeError::OutOfRange => f.write_str("a date is outside 1970 to 9999"),
        }
    }
}

/// The times of one token.
#[derive(Debug, Clone, Copy, Default)]
pub struct Times {
    pub nbf: Option<NumericDate>,
    pub iat: Option<NumericDate>,
    pub exp: Option<NumericDate>,
}

impl Times {
    /// Checks the times at `now` with `skew` seconds of clock difference allowed on both bounds
    /// and a lifetime of at most `max_lifetime` seconds. Returns `exp`.
    ///
    /// [`NumericDate`] is bounded when read, but the arithmetic saturates anyway so that no
    /// input can wrap it.
    pub fn check(self, now: i64, skew: i64, max_lifetime: i64) -> Result<i64, LifetimeError> {
        let exp = self.exp.ok_or(LifetimeError::MissingExpiry)?.seconds;
        let in_range =
            |d: Option<NumericDate>| d.is_none_or(|d| NumericDate::RANGE.contains(&d.seconds));
        if !(in_range(self.exp) && in_range(self.nbf) && in_range(self.iat)) {
            return Err(LifetimeError::OutOfRange);
        }
        if now > exp.saturating_add(skew) {
            return Err(LifetimeError::Expired);
        }
        if let Some(nbf) = self.nbf
            && now.saturating_add(skew) < nbf.seconds
        {
            return Err(LifetimeError::NotYetValid);
        }
        let start = self.nbf.or(self.iat).map_or(now, |d| d.seconds);
        if exp.saturating_sub(start) > max_lifetime {
            return Err(LifetimeError::TooLong { max: max_lifetime });
        }
        Ok(exp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(nbf: Option<i64>, iat: Option<i64>, exp: Option<i64>) -> Times {
        Times {
            nbf: nbf.map(NumericDate::number),
            iat: iat.map(NumericDate::number),
            exp: exp.map(NumericDate::number),
        }
    }

    #[test]
    fn bounds_and_ceiling() {
        let now = 1_800_000_000;
        let max = TokenKind::ActorToken.max_lifetime();
        assert_eq!(
            t(Some(now), None, Some(now + 86_700)).check(now, 300, max),
            Ok(now + 86_700)
        );
        assert_eq!(
            t(None, None, None).check(now, 300, max),
            Err(LifetimeError::MissingExpiry)
        );
        assert_eq!(
            t(None, None, Some(now - 301)).check(now, 300, max),
            Err(LifetimeError::Expired)
        );
        assert!(t(None, None, Some(now - 300)).check(now, 300, max).is_ok());
        assert_eq!(
            t(Some(now + 301), None, Some(now + 600)).check(now, 300, max),
            Err(LifetimeError::NotYetValid)
        );
        let ten_years = 10 * 365 * 86_400;
        assert_eq!(
            t(Some(now), None, Some(now + ten_years)).check(now, 300, max),
            Err(LifetimeError::TooLong { max })
        );
        // Without nbf the lifetime is measured from iat, else from now.
        assert!(
            t(None, Some(now - 100_000), Some(now + 10))
                .check(now, 300, max)
                .is_err()
        );
        assert!(
            t(None, None, Some(now + ten_years))
                .check(now, 300, max)
                .is_err()
        );
    }

    #[test]
    fn the_64_bit_edges_do_not_wrap() {
        let max = TokenKind::ActorToken.max_lifetime();
        for now in [0, 1_800_000_000, i64::MAX, i64::MIN] {
            for (nbf, exp) in [
                (i64::MIN, i64::MAX),
                (i64::MAX, i64::MIN),
                (i64::MIN, i64::MIN),
                (i64::MAX, i64::MAX),
                (0, i64::MAX),
            ] {
                let r = t(Some(nbf), None, Some(exp)).check(now, 300, max);
                assert!(r.is_err(), "nbf {nbf} exp {exp} at {now}: {r:?}");
            }
        }
    }
}
