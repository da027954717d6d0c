//! TOTP second factor (RFC 6238): secrets, otpauth URLs, code checks that refuse replays.

use crate::db::models::mfa::TotpFactor;
use chrono::{DateTime, Utc};
use diesel::{PgConnection, QueryResult};
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// The issuer shown by authenticator apps.
pub const ISSUER: &str = "Linux Patch Manager";

/// Seconds per time step.
const STEP_SECONDS: i64 = 30;
/// Digits per code.
const DIGITS: usize = 6;

/// A new random 160-bit secret, base32 (no padding).
pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

/// The generator for `secret` (SHA-1, 6 digits, 30 s), labelled for `username` when given.
fn totp(secret: &str, username: Option<&str>) -> Result<Totp, String> {
    let bytes = Secret::try_from_base32(secret.trim())
        .map_err(|e| format!("the TOTP secret is not valid base32: {e}"))?;
    let mut builder = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS as u64)
        .with_secret(bytes);
    if let Some(name) = username {
        builder = builder.with_issuer(Some(ISSUER)).with_account_name(name);
    }
    builder
        .build()
        .map_err(|e| format!("invalid TOTP parameters: {e}"))
}

/// otpauth://totp/... URL (issuer, account = username, SHA1, 6 digits, 30 s).
pub fn otpauth_url(secret: &str, username: &str) -> Result<String, String> {
    totp(secret, Some(username))?
        .to_url()
        .map_err(|e| format!("cannot build the otpauth URL: {e}"))
}

/// The 30-second time step of `at`.
pub fn step_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(STEP_SECONDS)
}

/// The code of time step `step` (steps before the Unix epoch have none).
fn code_of_step(t: &Totp, step: i64) -> Option<String> {
    let seconds = u64::try_from(step.checked_mul(STEP_SECONDS)?).ok()?;
    Some(t.generate(seconds).to_string())
}

/// The code valid at `at` (used by tests and by nothing else in production).
pub fn code_at(secret: &str, at: DateTime<Utc>) -> Result<String, String> {
    let t = totp(secret, None)?;
    code_of_step(&t, step_of(at)).ok_or_else(|| "no TOTP code exists before 1970".to_owned())
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpRejection {
    /// Not 6 digits (or the stored secret is unusable).
    Malformed,
    /// Not the code of the current step or one either side.
    Wrong,
    /// The code's step was already used (or an older one was newer).
    Replayed,
}

impl std::fmt::Display for TotpRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TotpRejection::Malformed => "the code must be 6 digits",
            TotpRejection::Wrong => "the code is wrong or has expired",
            TotpRejection::Replayed => "this code was already used; wait for the next one",
        })
    }
}

impl std::error::Error for TotpRejection {}

/// Compares two byte strings in time independent of where they differ (lengths are not secret).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Accepts `code` (6 digits; spaces ignored) if it matches the step of `now` or one step either side, and that
/// step is greater than `last_used_step`; returns the matched step (to store as the new last_used_step).
///
/// The caller must then store the step with `TotpFactor::mark_used`, whose conditional update is what makes
/// replay protection hold under concurrent logins.
pub fn verify(
    secret: &str,
    code: &str,
    now: DateTime<Utc>,
    last_used_step: i64,
) -> Result<i64, TotpRejection> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpRejection::Malformed);
    }
    let t = totp(secret, None).map_err(|_| TotpRejection::Malformed)?;
    let current = step_of(now);
    let mut fresh = None;
    let mut replayed = false;
    // Every candidate is computed and compared, so timing does not reveal which step matched.
    for step in [current - 1, current, current + 1] {
        let matches = code_of_step(&t, step).is_some_and(|c| constant_time_eq(c.as_bytes(), code.as_bytes()));
        if matches && step > last_used_step {
            fresh = fresh.or(Some(step));
        } else if matches {
            replayed = true;
        }
    }
    match fresh {
        Some(step) => Ok(step),
        None if replayed => Err(TotpRejection::Replayed),
        None => Err(TotpRejection::Wrong),
    }
}

/// Accepts `code` at `now` against any of the user's TOTP factors and spends its step; otherwise says why
/// not (`Replayed` wins over `Wrong`, `Malformed` over both, so the message is the most helpful one).
pub fn accept(
    conn: &mut PgConnection,
    user_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> QueryResult<Result<(), TotpRejection>> {
    let mut why = TotpRejection::Wrong;
    for factor in TotpFactor::for_user(conn, user_id)? {
        match verify(&factor.secret, code, now, factor.last_used_step) {
            Ok(step) if TotpFactor::mark_used(conn, factor.id, step)? => return Ok(Ok(())),
            Ok(_) => why = TotpRejection::Replayed,
            Err(TotpRejection::Wrong) => {}
            Err(r) => why = r,
        }
    }
    Ok(Err(why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).unwrap()
    }

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 appendix B: ASCII "12345678901234567890", T = 59 s -> 94287082 (8 digits); 6 digits: 287082.
        let secret = base32_of(b"12345678901234567890");
        assert_eq!(code_at(&secret, at(59)).unwrap(), "287082");
        assert_eq!(code_at(&secret, at(1_111_111_109)).unwrap(), "081804");
    }

    fn base32_of(bytes: &[u8]) -> String {
        Secret::from(bytes.to_vec()).to_base32()
    }

    #[test]
    fn secrets_are_160_bit_base32_without_padding() {
        let s = new_secret();
        assert_eq!(s.len(), 32);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
            "{s}"
        );
        assert_ne!(s, new_secret());
    }

    #[test]
    fn url_names_issuer_and_account() {
        let s = new_secret();
        let url = otpauth_url(&s, "alice").unwrap();
        assert!(
            url.starts_with("otpauth://totp/Linux%20Patch%20Manager:alice?"),
            "{url}"
        );
        assert!(url.contains(&format!("secret={s}")), "{url}");
        assert!(url.contains("issuer=Linux%20Patch%20Manager"), "{url}");
        assert!(otpauth_url("not base32!", "alice").is_err());
    }

    #[test]
    fn steps_are_thirty_seconds() {
        assert_eq!(step_of(at(0)), 0);
        assert_eq!(step_of(at(29)), 0);
        assert_eq!(step_of(at(30)), 1);
        assert_eq!(step_of(at(-1)), -1);
    }

    #[test]
    fn verify_accepts_a_step_either_side_once() {
        let s = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let now = at(1_800_000_000);
        let step = step_of(now);
        let code = code_at(s, now).unwrap();
        assert_eq!(verify(s, &code, now, 0), Ok(step));
        assert_eq!(verify(s, &code, now, step), Err(TotpRejection::Replayed));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(verify(s, &spaced, now, 0), Ok(step));
        let previous = code_at(s, at(1_800_000_000 - 30)).unwrap();
        assert_eq!(verify(s, &previous, now, 0), Ok(step - 1));
        let next = code_at(s, at(1_800_000_000 + 30)).unwrap();
        assert_eq!(verify(s, &next, now, step), Ok(step + 1));
        let old = code_at(s, at(1_800_000_000 - 60)).unwrap();
        assert_eq!(verify(s, &old, now, 0), Err(TotpRejection::Wrong));
        assert_eq!(
            verify(s, &code, now + chrono::Duration::seconds(90), 0),
            Err(TotpRejection::Wrong)
        );
    }

    #[test]
    fn verify_refuses_malformed_input() {
        let s = new_secret();
        let now = at(1_800_000_000);
        for bad in ["", "12345", "1234567", "abcdef", "12345a", "+12345", "١٢٣٤٥٦"] {
            assert_eq!(verify(&s, bad, now, 0), Err(TotpRejection::Malformed), "{bad:?}");
        }
        assert_eq!(
            verify("not base32!", "123456", now, 0),
            Err(TotpRejection::Malformed)
        );
        assert_eq!(
            TotpRejection::Replayed.to_string(),
            "this code was already used; wait for the next one"
        );
    }
}
