//! Passwords: Argon2id with OWASP's parameters (m=19456 KiB, t=2, p=1) and one-time password generation.

use crate::error::ManagerError;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use rand::distr::{Alphanumeric, SampleString};

/// OWASP Password Storage Cheat Sheet: Argon2id, 19 MiB, 2 iterations, 1 lane.
fn hasher() -> Result<Argon2<'static>, ManagerError> {
    let params = Params::new(19_456, 2, 1, None)
        .map_err(|e| ManagerError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, ManagerError> {
    hasher()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| ManagerError::Internal(format!("password hashing failed: {e}")))
}

/// Whether `password` matches the PHC string `phc` (parameters are read from the string).
pub fn verify(password: &str, phc: &str) -> bool {
    match hasher() {
        Ok(h) => h.verify_password(password.as_bytes(), phc).is_ok(),
        Err(_) => false,
    }
}

/// A random one-time password: 20 alphanumeric characters (about 119 bits) from the thread's CSPRNG.
pub fn one_time() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_round_trips_with_owasp_parameters() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse", &h));
        assert!(!verify("correct horsE", &h));
        assert!(!verify("correct horse", "not a phc string"));
        assert_ne!(hash("correct horse").unwrap(), h, "salts must differ");
    }

    #[test]
    fn one_time_passwords_are_long_and_distinct() {
        let a = one_time();
        assert_eq!(a.len(), 20);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, one_time());
    }
}
