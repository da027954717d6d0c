//! Checking an enrolled agent's renewal request on its own: the current certificate parses, the signature over
//! the renewal message is by its key and recent, the CSR is a fresh P-256 key with a CN. Whether the
//! certificate is the host's recorded, unrevoked one is decided with the register (`ca::agent_renewal`).

use super::csr;
use chrono::{DateTime, Duration, Utc};
use linux_patch_shared::api::enroll::{renewal_message, RenewRequest};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Public};
use openssl::sign::Verifier;
use openssl::x509::{X509Req, X509};
use sha2::Digest;

/// Clock difference accepted between the agent's `signed_at` and the manager's time, either way.
pub const MAX_SKEW: Duration = Duration::minutes(10);
/// The refusal of a signature not made by the presented certificate's key (a 403, not a 400).
pub const FORGED: &str = "signature: not made by the key of the presented certificate";
/// Largest certificate PEM accepted.
pub const MAX_CERT_LEN: usize = 8192;

/// A request whose parts are well formed and whose signature is by the presented certificate's key.
#[derive(Debug, Clone)]
pub struct CheckedRenewal {
    /// SHA-256 of the presented certificate's DER, lowercase hex (the register's `fingerprint`).
    pub fingerprint: String,
    /// The CSR (trimmed PEM).
    pub csr_pem: String,
    /// The CSR's subject CN (lowercase).
    pub common_name: String,
    /// Fingerprint of the new key (uppercase hex pairs, as enrolment shows it).
    pub key_fingerprint: String,
}

fn bad(m: impl Into<String>) -> String {
    m.into()
}

/// Hex digits to bytes.
fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 512 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks everything that does not need the database; the error is for the agent's log.
pub fn check(req: &RenewRequest, now: DateTime<Utc>) -> Result<CheckedRenewal, String> {
    if req.certificate.len() > MAX_CERT_LEN {
        return Err(bad(format!("certificate: longer than {MAX_CERT_LEN} bytes")));
    }
    let cert = X509::from_pem(req.certificate.trim().as_bytes())
        .map_err(|_| bad("certificate: not a PEM certificate"))?;
    let der = cert.to_der().map_err(|e| bad(format!("certificate: {e}")))?;
    let fingerprint = format!("{:x}", sha2::Sha256::digest(&der));
    let at = DateTime::parse_from_rfc3339(req.signed_at.trim())
        .map_err(|_| bad("signed_at: not an RFC 3339 time"))?
        .with_timezone(&Utc);
    if (now - at).abs() > MAX_SKEW {
        return Err(bad(format!(
            "signed_at: {at} is more than {} minutes from the manager's time {now}; check the agent's clock",
            MAX_SKEW.num_minutes()
        )));
    }
    let current: PKey<Public> = cert
        .public_key()
        .map_err(|_| bad("certificate: no usable public key"))?;
    let signature = unhex(req.signature.trim()).ok_or_else(|| bad("signature: not hex"))?;
    let message = renewal_message(&req.signed_at, &req.certificate, &req.csr);
    let valid = Verifier::new(MessageDigest::sha256(), &current)
        .and_then(|mut v| v.verify_oneshot(&signature, &message))
        .unwrap_or(false);
    if !valid {
        return Err(bad(FORGED));
    }
    let checked = csr::check(&req.csr)?;
    let new_key = csr::public_key(&checked.pem)?;
    if new_key.public_eq(&current) {
        return Err(bad("csr: a renewal needs a new key, not the current one"));
    }
    let common_name = X509Req::from_pem(checked.pem.as_bytes())
        .ok()
        .and_then(|r| {
            r.subject_name()
                .entries_by_nid(Nid::COMMONNAME)
                .next()
                .and_then(|e| std::str::from_utf8(e.data().as_slice()).ok().map(str::to_owned))
        })
        .map(|s| s.to_ascii_lowercase())
        .ok_or_else(|| bad("csr: the subject has no common name (the host's name)"))?;
    Ok(CheckedRenewal {
        fingerprint,
        csr_pem: checked.pem,
        common_name,
        key_fingerprint: checked.fingerprint,
    })
}

#[cfg(test)]
#[path = "renew_tests.rs"]
mod tests;
