//! Renewing the agent's own server certificate through the manager: when it is due, the signed request (new
//! key + CSR, signed by the current key), and installing the answer (key then certificate, each atomically)
//! for the configuration watcher to swap in. A pending new key is kept in the state directory until a
//! certificate for it is installed, so a retry after a lost answer asks for the same key.

use crate::config::TlsPaths;
use crate::enroll::files::write_atomic;
use crate::enroll::key::OwnKey;
use linux_patch_shared::api::enroll::{renewal_message, RenewAnswer, RenewRequest};
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use openssl::x509::X509;
use std::path::{Path, PathBuf};

/// Renewal starts when less than this much validity is left (or a third of the lifetime, when shorter).
pub const RENEW_WITHIN_SECS: i64 = 30 * 86_400;

/// Seconds from `a` to `b`.
fn secs_between(a: &Asn1TimeRef, b: &Asn1TimeRef) -> Option<i64> {
    let d = a.diff(b).ok()?;
    Some(i64::from(d.days) * 86_400 + i64::from(d.secs))
}

/// Whether a certificate valid for `lifetime` seconds with `left` seconds to go is due: less than 30 days
/// left, or less than a third of its lifetime for certificates shorter than 90 days.
pub fn due(lifetime: i64, left: i64) -> bool {
    left < RENEW_WITHIN_SECS.min(lifetime / 3)
}

/// The current certificate (PEM), its subject CN, and whether it is due for renewal at `now`.
pub fn current(tls: &TlsPaths, now: chrono::DateTime<chrono::Utc>) -> Result<(String, String, bool), String> {
    let pem = std::fs::read_to_string(&tls.server_cert)
        .map_err(|e| format!("{}: {e}", tls.server_cert.display()))?;
    let cert = X509::from_pem(pem.as_bytes()).map_err(|e| format!("{}: {e}", tls.server_cert.display()))?;
    let cn = cert
        .subject_name()
        .entries_by_nid(Nid::COMMONNAME)
        .next()
        .and_then(|e| std::str::from_utf8(e.data().as_slice()).ok().map(str::to_owned))
        .ok_or_else(|| {
            format!(
                "{}: the certificate has no common name",
                tls.server_cert.display()
            )
        })?;
    let now = Asn1Time::from_unix(now.timestamp()).map_err(|e| e.to_string())?;
    let lifetime = secs_between(cert.not_before(), cert.not_after()).unwrap_or(0);
    let left = secs_between(&now, cert.not_after()).unwrap_or(0);
    Ok((pem, cn, due(lifetime, left)))
}

/// Where the pending new key waits (0600).
pub fn pending_key_file(state_dir: &Path) -> PathBuf {
    state_dir.join("renew-key.pem")
}

/// The pending new key, or a new one saved as pending.
pub fn pending_key(state_dir: &Path, cn: &str) -> Result<OwnKey, String> {
    let file = pending_key_file(state_dir);
    if let Ok(pem) = std::fs::read_to_string(&file) {
        match OwnKey::from_key_pem(&pem, cn) {
            Ok(k) => return Ok(k),
            Err(e) => log::warn!("{}: {e}; making a new key", file.display()),
        }
    }
    let key = OwnKey::generate(cn)?;
    write_atomic(&file, key.key_pem()?.as_bytes(), 0o600)?;
    Ok(key)
}

/// The request: `key`'s CSR, signed by the current key (`tls.server_key`) at `signed_at`.
pub fn request(
    tls: &TlsPaths,
    cert_pem: &str,
    key: &OwnKey,
    signed_at: &str,
) -> Result<RenewRequest, String> {
    let current = std::fs::read(&tls.server_key).map_err(|e| format!("{}: {e}", tls.server_key.display()))?;
    let current =
        PKey::private_key_from_pem(&current).map_err(|e| format!("{}: {e}", tls.server_key.display()))?;
    let message = renewal_message(signed_at, cert_pem, &key.csr_pem);
    let signature = Signer::new(MessageDigest::sha256(), &current)
        .and_then(|mut s| s.sign_oneshot_to_vec(&message))
        .map_err(|e| format!("cannot sign the renewal request: {e}"))?;
    Ok(RenewRequest {
        certificate: cert_pem.to_owned(),
        csr: key.csr_pem.clone(),
        signed_at: signed_at.to_owned(),
        signature: signature.iter().map(|b| format!("{b:02x}")).collect(),
    })
}

/// Writes the new key and certificate over the configured ones (key first; the watcher's debounce sees both)
/// after checking the certificate is for `key`; drops the pending key.
pub fn install(tls: &TlsPaths, state_dir: &Path, key: &OwnKey, answer: &RenewAnswer) -> Result<(), String> {
    if !key.certified_by(&answer.server_pem) {
        return Err("the manager's certificate is not for the new key: refusing it".into());
    }
    write_atomic(&tls.server_key, key.key_pem()?.as_bytes(), 0o600)?;
    write_atomic(&tls.server_cert, answer.server_pem.as_bytes(), 0o644)?;
    let _ = std::fs::remove_file(pending_key_file(state_dir));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_is_due_in_the_last_30_days_or_third_of_a_short_lifetime() {
        let day = 86_400;
        assert!(!due(365 * day, 31 * day));
        assert!(due(365 * day, 29 * day));
        assert!(!due(9 * day, 4 * day), "a 9-day certificate with 4 days left");
        assert!(due(9 * day, 2 * day));
        assert!(due(0, -1), "expired or unreadable");
    }

    #[test]
    fn the_pending_key_survives_until_installed() {
        let d = tempfile::tempdir().unwrap();
        let a = pending_key(d.path(), "web-01").unwrap();
        let b = pending_key(d.path(), "web-01").unwrap();
        assert_eq!(a.fingerprint, b.fingerprint, "a retry asks for the same key");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(pending_key_file(d.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
