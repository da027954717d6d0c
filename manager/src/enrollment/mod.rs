//! Agent self-enrolment (`linux-patch-api --enroll`): requests checked and rate-limited, polling tokens
//! stored as SHA-256, approval by an admin (console, API or CLI), delivery of the host's bundle, purge.

pub mod cli;
pub mod limiter;
pub mod ops;
pub mod validate;

pub use limiter::EnrollLimiter;

use crate::http::state::AppState;
use sha2::{Digest, Sha256};
use std::time::Duration;

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

/// Purges stale requests once at start and then hourly (spawned by `serve`).
pub async fn purge_loop(state: actix_web::web::Data<AppState>) {
    let mut tick = actix_rt::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = state.now();
        let hours = state.enroll_cfg.purge_after_hours;
        match state.db(move |c| ops::purge(c, now, hours)).await {
            Ok(0) => {}
            Ok(n) => log::info!("enrolment: purged {n} stale requests (older than {hours} h)"),
            Err(e) => log::error!("enrolment purge failed: {e}"),
        }
    }
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
