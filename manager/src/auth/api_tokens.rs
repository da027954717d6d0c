//! API token secrets: the recognisable format (`lpmt_` + 256 random bits), hashing, names and lifetimes.

use super::refresh_tokens::hash_token;
use chrono::{DateTime, Duration, Utc};

/// Every API token starts with this, so leaked-token scanners can match `lpmt_[A-Za-z0-9_-]{43}`.
pub const PREFIX: &str = "lpmt_";
/// Length of a whole token: the prefix and 32 random bytes in base64url without padding.
pub const LEN: usize = PREFIX.len() + 43;
/// Lifetime when none is asked for.
pub const DEFAULT_DAYS: i64 = 90;
/// The longest lifetime allowed.
pub const MAX_DAYS: i64 = 365;
/// How many characters of a token lists show (the prefix and 8 of the secret).
const SHOWN: usize = PREFIX.len() + 8;

/// A new token: the secret (shown once) and what is stored (its hash and the shown part).
#[derive(Debug, Clone)]
pub struct Minted {
    /// The whole token, given to the user once.
    pub secret: String,
    /// SHA-256 (hex) of the secret.
    pub hash: String,
    /// The first characters, for lists.
    pub shown: String,
}

/// Makes a fresh token.
pub fn mint() -> Minted {
    let secret = format!("{PREFIX}{}", super::random_token());
    Minted {
        hash: hash_token(&secret),
        shown: secret.chars().take(SHOWN).collect(),
        secret,
    }
}

/// Whether a bearer credential is an API token (as opposed to a session's access token).
pub fn is_api_token(bearer: &str) -> bool {
    bearer.starts_with(PREFIX)
}

/// The hash to look a presented token up by; `None` when it cannot be one of ours (wrong shape).
pub fn lookup_hash(presented: &str) -> Option<String> {
    let well_formed = presented.len() == LEN
        && is_api_token(presented)
        && presented[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| hash_token(presented))
}

/// Checks a token name: 1 to 64 characters, letters, digits, space, `.`, `_`, `-`.
pub fn validate_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err("a token name has 1 to 64 characters".into());
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-'))
    {
        return Err(format!(
            "token name `{name}`: use letters, digits, spaces, `.`, `_` and `-` only"
        ));
    }
    Ok(name.to_owned())
}

/// The expiry of a token created at `now` that should live `days` days (default 90, 1 to 365).
pub fn expiry(now: DateTime<Utc>, days: Option<i64>) -> Result<DateTime<Utc>, String> {
    let days = days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(format!(
            "a token lives 1 to {MAX_DAYS} days (asked: {days}); the default is {DEFAULT_DAYS}"
        ));
    }
    Ok(now + Duration::days(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_are_recognisable_distinct_and_hashed() {
        let a = mint();
        assert_eq!(a.secret.len(), LEN);
        assert!(a.secret.starts_with("lpmt_"));
        assert!(a.secret.starts_with(&a.shown) && a.shown.len() == 13);
        assert_eq!(lookup_hash(&a.secret).as_deref(), Some(a.hash.as_str()));
        assert_ne!(a.hash, mint().hash);
        assert_eq!(a.hash.len(), 64);
    }

    #[test]
    fn malformed_tokens_are_not_looked_up() {
        let a = mint().secret;
        assert_eq!(lookup_hash(&a[..LEN - 1]), None);
        assert_eq!(lookup_hash(&format!("{a}x")), None);
        assert_eq!(lookup_hash(&a.replacen("lpmt_", "lpmx_", 1)), None);
        assert_eq!(lookup_hash(&format!("{}!{}", &a[..10], &a[11..])), None);
    }

    #[test]
    fn names_and_lifetimes_are_checked() {
        assert_eq!(validate_name("  ci nightly-1 ").unwrap(), "ci nightly-1");
        assert!(validate_name("").is_err());
        assert!(validate_name("a<b").is_err());
        assert!(validate_name(&"x".repeat(65)).is_err());
        let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(expiry(now, None).unwrap(), now + Duration::days(90));
        assert_eq!(expiry(now, Some(365)).unwrap(), now + Duration::days(365));
        assert!(expiry(now, Some(366)).is_err());
        assert!(expiry(now, Some(0)).is_err());
    }
}
