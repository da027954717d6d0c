//! Agent enrolment's pure parts (`linux-patch-api --enroll`): request checks, the per-source rate limit and
//! polling tokens (stored as SHA-256); the operations are in `services::enrollment`.

pub mod csr;
pub mod limiter;
pub mod purge;
pub mod renew;
pub mod validate;

pub use limiter::EnrollLimiter;

use sha2::{Digest, Sha256};

/// Characters of a polling token (32 random bytes, base64url without padding).
pub const TOKEN_LEN: usize = 43;

/// SHA-256 (lowercase hex) of a polling token: what the database keeps.
pub fn token_hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

/// Whether `token` has the shape of a polling token (anything else is answered like an unknown one).
pub fn well_formed_token(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hashed_and_shape_checked() {
        let t = crate::auth::random_token();
        assert!(well_formed_token(&t), "{t}");
        assert_eq!(token_hash(&t).len(), 64);
        assert_ne!(token_hash(&t), t);
        for bad in [
            "",
            "short",
            "../../etc/passwd",
            &"a".repeat(44),
            &format!("{}=", &t[..42]),
        ] {
            assert!(!well_formed_token(bad), "{bad}");
        }
    }
}
