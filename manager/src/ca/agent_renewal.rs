//! An enrolled agent renewing its own server certificate: the presented certificate must be the one recorded
//! for its host (not revoked, not expired, not already replaced), the CSR's name the host's; the new
//! certificate (agents' CA, names from the host record) is recorded, supersedes the old one (which stays
//! pinned until it expires) and is audited.

use super::registry::{audit_as, internal, lock, record, At};
use super::sans::agent_request;
use super::{InternalCa, Issued, Signer};
use crate::db::models::certificate::KIND_AGENT_SERVER;
use crate::db::models::scope::Scope;
use crate::db::models::{Certificate, Host};
use crate::db::schema::certificates;
use crate::enrollment::renew::CheckedRenewal;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// The audit actor of a renewal the agent of `hostname` asked for.
pub fn actor_of(hostname: &str) -> String {
    format!("agent:{hostname}")
}

fn refuse(m: impl Into<String>) -> ManagerError {
    ManagerError::Forbidden(m.into())
}

/// The recorded agent certificate with this DER fingerprint.
fn by_fingerprint(conn: &mut PgConnection, fingerprint: &str) -> QueryResult<Option<Certificate>> {
    certificates::table
        .filter(certificates::kind.eq(KIND_AGENT_SERVER))
        .filter(certificates::fingerprint.eq(fingerprint))
        .select(Certificate::as_select())
        .first(conn)
        .optional()
}

/// Whether `cert_pem` certifies the key of `csr_pem`.
fn certifies(cert_pem: &str, csr_pem: &str) -> bool {
    let Ok(key) = crate::enrollment::csr::public_key(csr_pem) else {
        return false;
    };
    openssl::x509::X509::from_pem(cert_pem.as_bytes())
        .and_then(|c| c.public_key())
        .map(|k| k.public_eq(&key))
        .unwrap_or(false)
}

/// Renews the certificate `checked` presents; returns the new certificate and the host's name. A retry of a
/// renewal already done (same CSR key) returns the certificate issued then.
pub fn renew_agent(
    conn: &mut PgConnection,
    ca: &InternalCa,
    checked: &CheckedRenewal,
    now: DateTime<Utc>,
) -> Result<(Certificate, String), ManagerError> {
    conn.transaction(|conn| {
        lock(conn)?;
        let old = by_fingerprint(conn, &checked.fingerprint)?
            .ok_or_else(|| refuse("this certificate was not issued to a host by this manager"))?;
        let host_id = old
            .host_id
            .ok_or_else(|| refuse("this certificate was not issued to a host by this manager"))?;
        if old.revoked_at.is_some() {
            return Err(refuse(format!(
                "certificate {} was revoked: it cannot be renewed (enrol the agent again)",
                old.serial
            )));
        }
        if old.not_after <= now {
            return Err(refuse(format!(
                "certificate {} expired at {}: it cannot be renewed (enrol the agent again)",
                old.serial, old.not_after
            )));
        }
        let host = Host::find(conn, Scope::All, host_id)?
            .ok_or_else(|| refuse("the host of this certificate was removed"))?;
        if !checked.common_name.eq_ignore_ascii_case(&host.hostname) {
            return Err(ManagerError::Invalid(format!(
                "csr: the common name `{}` is not the host's name `{}`",
                checked.common_name.escape_default(),
                host.hostname
            )));
        }
        if let Some(by) = old.superseded_by {
            // The same request again (the answer was lost): the certificate issued for it then.
            if let Some(next) = Certificate::by_id(conn, by)? {
                if next.revoked_at.is_none() && certifies(&next.cert_pem, &checked.csr_pem) {
                    return Ok((next, host.hostname));
                }
            }
            return Err(ManagerError::Refused(format!(
                "certificate {} was already replaced (by #{by}); it cannot be renewed again",
                old.serial
            )));
        }
        let req = agent_request(&host.hostname, &host.ip).map_err(|e| ManagerError::Invalid(e.0))?;
        let public = crate::enrollment::csr::public_key(&checked.csr_pem).map_err(ManagerError::Invalid)?;
        let (cert_pem, serial, not_after) = ca
            .sign(Signer::Agents, &req, &public, &At(now))
            .map_err(internal)?;
        let issued = Issued {
            cert_pem,
            key_pem: String::new(),
            serial,
            not_after,
        };
        let new = record(conn, &issued, &req, KIND_AGENT_SERVER, Some(host.id), "", now)?;
        Certificate::supersede_others(conn, KIND_AGENT_SERVER, Some(host.id), new.id, now)?;
        audit_as(
            conn,
            now,
            &actor_of(&host.hostname),
            "cert.renew",
            &new,
            serde_json::json!({"renews": old.serial, "renews_id": old.id, "sans": new.sans,
                "key_fingerprint": checked.key_fingerprint, "by": "agent"}),
        )?;
        Ok((new, host.hostname))
    })
}
