//! Renewal and revocation of recorded certificates, recording the console's own certificate, and the daily
//! check that renews what expires within 30 days.

use super::registry::{
    audit_as, crl_pem, ensure_manager_client, internal, issue_leaf, lock, record, At, SYSTEM,
};
use super::sans::{renewal_request, LEAF_DAYS};
use super::{build, CaError, InternalCa, Issued, Usage, WebCert};
use crate::db::models::certificate::{EXPIRING_WITHIN, KIND_AGENT_SERVER, KIND_MANAGER_CLIENT, KIND_WEB};
use crate::db::models::Certificate;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use std::path::Path;

/// Where the console's key is recorded (relative to the data directory).
const WEB_KEY_FILE: &str = "tls/web.key";
/// Longest revocation reason.
pub const MAX_REASON_LEN: usize = 200;

/// The outcome of a renewal.
#[derive(Debug, Clone)]
pub struct Renewed {
    /// The renewed certificate (now superseded; valid until it expires unless revoked).
    pub old: Certificate,
    /// Its replacement.
    pub new: Certificate,
    /// Whether what the manager presents to agents changed (its client certificate was renewed).
    pub trust_changed: bool,
}

/// The outcome of a revocation.
#[derive(Debug, Clone)]
pub struct Revoked {
    /// The revoked certificate.
    pub cert: Certificate,
    /// The new manager client certificate, when the manager's own was revoked.
    pub replacement: Option<Certificate>,
}

/// Checks a revocation reason: 1 to 200 characters, no control characters; the trimmed reason.
pub fn validate_reason(reason: &str) -> Result<String, ManagerError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(ManagerError::Invalid("give a reason for the revocation".into()));
    }
    if r.chars().count() > MAX_REASON_LEN {
        return Err(ManagerError::Invalid(format!(
            "a revocation reason has at most {MAX_REASON_LEN} characters"
        )));
    }
    if r.chars().any(char::is_control) {
        return Err(ManagerError::Invalid(
            "a revocation reason cannot contain control characters".into(),
        ));
    }
    Ok(r.to_owned())
}

fn not_found(id: i64) -> ManagerError {
    ManagerError::NotFound(format!("no certificate #{id}"))
}

/// The extendedKeyUsage of a kind.
fn usage_of(kind: &str) -> Usage {
    if kind == KIND_MANAGER_CLIENT {
        Usage::Client
    } else {
        Usage::Server
    }
}

/// Issues a replacement of certificate `id` (same kind, subject, SANs and host; 365 days), marks the old one
/// superseded (it stays valid until it expires unless revoked) and audits `cert.renew` for `actor`. A web
/// certificate is written to `<data_dir>/tls/` (the console serves it from its next start).
pub fn renew(
    conn: &mut PgConnection,
    ca: &InternalCa,
    data_dir: &Path,
    id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Renewed, ManagerError> {
    conn.transaction(|conn| {
        lock(conn)?;
        let old = Certificate::by_id(conn, id)?.ok_or_else(|| not_found(id))?;
        if let Some(by) = old.superseded_by {
            return Err(ManagerError::Refused(format!(
                "certificate #{id} was already renewed (by #{by}); renew the newer one"
            )));
        }
        let req = renewal_request(&old.cert_pem, usage_of(&old.kind), LEAF_DAYS).map_err(internal)?;
        let new = if old.kind == KIND_WEB {
            let issued = ca.issue(&req, &At(now)).map_err(internal)?;
            let row = record(conn, &issued, &req, KIND_WEB, None, WEB_KEY_FILE, now)?;
            ca.write_web_files(data_dir, &issued).map_err(internal)?;
            row
        } else if old.kind == KIND_AGENT_SERVER {
            // The agent keeps its key (the manager never had it): the same public key, certified again.
            let x = openssl::x509::X509::from_pem(old.cert_pem.as_bytes())
                .map_err(|e| ManagerError::Internal(format!("certificate #{id} is not PEM: {e}")))?;
            let public = x
                .public_key()
                .map_err(|e| ManagerError::Internal(format!("certificate #{id}: no public key: {e}")))?;
            let (cert_pem, serial, not_after) = ca
                .sign(super::Signer::Agents, &req, &public, &At(now))
                .map_err(internal)?;
            let issued = Issued {
                cert_pem,
                key_pem: String::new(),
                serial,
                not_after,
            };
            record(conn, &issued, &req, &old.kind, old.host_id, "", now)?
        } else {
            issue_leaf(conn, ca, data_dir, &req, &old.kind, old.host_id, now)?.0
        };
        Certificate::supersede(conn, old.id, new.id)?;
        audit_as(
            conn,
            now,
            actor,
            "cert.renew",
            &new,
            serde_json::json!({"renews": old.serial, "renews_id": old.id, "sans": new.sans}),
        )?;
        let old = Certificate::by_id(conn, id)?.ok_or_else(|| not_found(id))?;
        Ok(Renewed {
            trust_changed: old.kind == KIND_MANAGER_CLIENT,
            old,
            new,
        })
    })
}

/// Revokes certificate `id` for `reason` (audited `cert.revoke` for `actor`) and rewrites the CRL; revoking the
/// manager's own client certificate issues a new one at once.
pub fn revoke(
    conn: &mut PgConnection,
    ca: &InternalCa,
    data_dir: &Path,
    id: i64,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Revoked, ManagerError> {
    let reason = validate_reason(reason)?;
    conn.transaction(|conn| {
        lock(conn)?;
        let before = Certificate::by_id(conn, id)?.ok_or_else(|| not_found(id))?;
        let cert = Certificate::revoke(conn, id, &reason, now)?.ok_or_else(|| {
            ManagerError::Refused(format!(
                "certificate #{id} ({}) is already revoked",
                before.subject
            ))
        })?;
        audit_as(
            conn,
            now,
            actor,
            "cert.revoke",
            &cert,
            serde_json::json!({"reason": reason}),
        )?;
        crl_pem(conn, ca, now)?;
        let replacement = if cert.kind == KIND_MANAGER_CLIENT {
            let ident = ensure_manager_client(conn, ca, data_dir, now)?;
            Certificate::by_serial(conn, &ident.serial)?
        } else {
            None
        };
        Ok(Revoked { cert, replacement })
    })
}

/// The first certificate of a PEM chain as an [`Issued`] without key (for recording existing files).
fn existing(chain_pem: &[u8]) -> Result<Issued, CaError> {
    let chain = openssl::x509::X509::stack_from_pem(chain_pem)
        .map_err(|e| CaError(format!("web certificate: not PEM: {e}")))?;
    let leaf = chain
        .first()
        .ok_or_else(|| CaError("web certificate: no certificate in the file".into()))?;
    let pem = leaf
        .to_pem()
        .map_err(|e| CaError(format!("web certificate: cannot encode: {e}")))?;
    Ok(Issued {
        cert_pem: String::from_utf8(pem).map_err(|e| CaError(format!("web certificate: {e}")))?,
        key_pem: String::new(),
        serial: build::serial_hex(leaf)?,
        not_after: build::chrono_time(leaf.not_after())?,
    })
}

/// Records the console's certificate (issued by the internal CA into `<data_dir>/tls/`) unless it already is
/// (audited `cert.issue` as `system`); if it was revoked, renews it (the files are rewritten). The row in force.
pub fn record_web_cert(
    conn: &mut PgConnection,
    ca: &InternalCa,
    data_dir: &Path,
    web: &WebCert,
    now: DateTime<Utc>,
) -> Result<Certificate, ManagerError> {
    let pem = super::files::read(&web.cert).map_err(internal)?;
    let issued = existing(&pem).map_err(internal)?;
    let row = conn.transaction(|conn| {
        lock(conn)?;
        if let Some(row) = Certificate::by_serial(conn, &issued.serial)? {
            return Ok(row);
        }
        let req = renewal_request(&issued.cert_pem, Usage::Server, LEAF_DAYS).map_err(internal)?;
        let row = record(conn, &issued, &req, KIND_WEB, None, WEB_KEY_FILE, now)?;
        let old = Certificate::supersede_others(conn, KIND_WEB, None, row.id, now)?;
        audit_as(
            conn,
            now,
            SYSTEM,
            "cert.issue",
            &row,
            serde_json::json!({"reason": "console certificate", "sans": row.sans, "replaces": old}),
        )?;
        Ok::<_, ManagerError>(row)
    })?;
    if row.revoked_at.is_some() && row.superseded_by.is_none() {
        log::warn!(
            "the console's certificate {} was revoked; issuing a new one",
            row.serial
        );
        return Ok(renew(conn, ca, data_dir, row.id, SYSTEM, now)?.new);
    }
    Ok(row)
}

/// The daily check: renews the manager's client certificate and (when `web`, i.e. the console uses the
/// internal CA) the console's certificate when they expire within 30 days, audited as `system`. The renewals.
pub fn renew_due(
    conn: &mut PgConnection,
    ca: &InternalCa,
    data_dir: &Path,
    web: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Renewed>, ManagerError> {
    let mut kinds = vec![KIND_MANAGER_CLIENT];
    if web {
        kinds.push(KIND_WEB);
    }
    let mut out = Vec::new();
    for kind in kinds {
        if let Some(c) = Certificate::current(conn, kind, None, now)? {
            if c.not_after - now < EXPIRING_WITHIN {
                let r = renew(conn, ca, data_dir, c.id, SYSTEM, now)?;
                log::info!(
                    "renewed {kind} certificate {} (expires {}) as {} (until {})",
                    r.old.serial,
                    r.old.not_after,
                    r.new.serial,
                    r.new.not_after
                );
                out.push(r);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_checked() {
        assert_eq!(validate_reason("  key compromise ").unwrap(), "key compromise");
        assert!(validate_reason("   ").is_err());
        assert!(validate_reason("a\nb").is_err());
        assert!(validate_reason(&"x".repeat(201)).is_err());
    }
}
