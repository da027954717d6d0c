//! The manager's CRL as the agent takes it: signed by the pinned CA, current, not older than the one in
//! force; written only when it lists other serials or the one on disk is past half its validity.

use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::x509::{X509Crl, X509};
use std::collections::BTreeSet;

/// What to do with a fetched CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Write it (it lists other serials than the file, or the file is missing, unusable or ageing).
    Write {
        /// Revoked serials it lists (lowercase hex).
        revoked: BTreeSet<String>,
        /// Serials it adds to the file's list.
        added: BTreeSet<String>,
    },
    /// The file already says the same and is fresh enough.
    Same,
}

/// Revoked serials, lowercase hex.
fn serials(crl: &X509Crl) -> BTreeSet<String> {
    crl.get_revoked()
        .map(|stack| {
            stack
                .iter()
                .filter_map(|r| r.serial_number().to_bn().ok())
                .filter_map(|bn| bn.to_hex_str().ok().map(|h| h.to_lowercase()))
                .collect()
        })
        .unwrap_or_default()
}

/// Seconds from `a` to `b` (negative when `b` is earlier).
fn secs_between(a: &Asn1TimeRef, b: &Asn1TimeRef) -> Option<i64> {
    let d = a.diff(b).ok()?;
    Some(i64::from(d.days) * 86_400 + i64::from(d.secs))
}

/// Checks `fetched` (PEM) against the pinned CA (PEM) and compares it with `current` (the file in force, if
/// any): refused when not signed by the CA, not issued by it, expired, or older than `current`.
/// `now` is the agent's clock.
pub fn judge(
    fetched: &str,
    pinned_ca: &str,
    current: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Verdict, String> {
    let ca = X509::from_pem(pinned_ca.as_bytes()).map_err(|e| format!("pinned CA: {e}"))?;
    let crl = X509Crl::from_pem(fetched.as_bytes())
        .map_err(|_| "the manager's answer is not a PEM CRL".to_owned())?;
    let key = ca.public_key().map_err(|e| format!("pinned CA: {e}"))?;
    if !crl.verify(&key).unwrap_or(false) {
        return Err("the CRL is not signed by the pinned manager CA".into());
    }
    let same_issuer = crl
        .issuer_name()
        .try_cmp(ca.subject_name())
        .map(|o| o.is_eq())
        .unwrap_or(false);
    if !same_issuer {
        return Err("the CRL's issuer is not the pinned manager CA".into());
    }
    let now = Asn1Time::from_unix(now.timestamp()).map_err(|e| format!("time: {e}"))?;
    let next = crl
        .next_update()
        .ok_or_else(|| "the CRL has no nextUpdate".to_owned())?;
    let left = secs_between(&now, next).ok_or_else(|| "the CRL's nextUpdate is unreadable".to_owned())?;
    if left <= 0 {
        return Err("the CRL has expired (nextUpdate is past)".into());
    }
    let revoked = serials(&crl);
    let Some(old) = current.and_then(|c| X509Crl::from_pem(c.as_bytes()).ok()) else {
        return Ok(Verdict::Write {
            added: revoked.clone(),
            revoked,
        });
    };
    if secs_between(old.last_update(), crl.last_update()).is_some_and(|s| s < 0) {
        return Err("the CRL is older than the one in force".into());
    }
    let before = serials(&old);
    // Half the validity of the file in force left: rewrite it with the fresher one.
    let ageing = match (old.next_update(), secs_between(old.last_update(), &now)) {
        (Some(old_next), Some(age)) => secs_between(&now, old_next).is_none_or(|rest| rest <= age),
        _ => true,
    };
    if before == revoked && !ageing {
        return Ok(Verdict::Same);
    }
    Ok(Verdict::Write {
        added: revoked.difference(&before).cloned().collect(),
        revoked,
    })
}

#[cfg(test)]
#[path = "crl_tests.rs"]
mod tests;
