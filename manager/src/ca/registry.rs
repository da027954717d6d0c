//! The register of issued certificates (table `certificates`, keys under `<data_dir>/certs/`): the
//! manager's client certificate, agents' server certificates, the CRL and host bundles. Renewal and
//! revocation are in [`super::lifecycle`]. Every write takes one advisory lock, so two requests cannot issue
//! twice for the same purpose.

use super::sans::{agent_request, manager_client_request, sans_text};
use super::{build, files, CaError, InternalCa, IssueRequest, Issued, Signer};
use crate::audit::{self, Entry};
use crate::db::models::certificate::{
    NewCertificate, EXPIRING_WITHIN, KIND_AGENT_SERVER, KIND_MANAGER_CLIENT,
};
use crate::db::models::{Certificate, Host};
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use linux_patch_shared::clock::Clock;
use std::path::{Path, PathBuf};

pub use super::lifecycle::{record_web_cert, renew, renew_due, revoke, Renewed, Revoked};

/// The audit actor of automatic certificate operations.
pub const SYSTEM: &str = "system";

/// The manager's current client certificate and key (PEM).
#[derive(Clone)]
pub struct ManagerIdentity {
    /// Certificate, PEM.
    pub cert_pem: String,
    /// Private key, PKCS#8 PEM.
    pub key_pem: String,
    /// Serial, lowercase hex.
    pub serial: String,
    /// End of validity.
    pub not_after: DateTime<Utc>,
}

impl std::fmt::Debug for ManagerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerIdentity")
            .field("serial", &self.serial)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// What an agent needs to serve mTLS (the files of `/etc/linux_patch_api/certs/`).
#[derive(Clone)]
pub struct HostBundle {
    /// Root CA, PEM (`ca.pem`).
    pub ca_pem: String,
    /// The host's server certificate, PEM (`server.pem`).
    pub server_pem: String,
    /// Its private key, PEM (`server.key`).
    pub server_key: String,
    /// The current CRL, PEM (`crl.pem`).
    pub crl_pem: String,
    /// Serial of the server certificate.
    pub serial: String,
    /// Its row in `certificates`.
    pub certificate_id: i64,
}

impl std::fmt::Debug for HostBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostBundle")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// A clock stopped at one instant (the register works on the `now` it is given).
#[derive(Debug)]
pub(crate) struct At(pub DateTime<Utc>);

impl Clock for At {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A CA failure as a manager error (our fault: files, openssl).
pub(crate) fn internal(e: CaError) -> ManagerError {
    ManagerError::Internal(e.to_string())
}

/// Serialises writers of the register for the rest of the transaction.
pub(crate) fn lock(conn: &mut PgConnection) -> Result<(), ManagerError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(7626413301)").execute(conn)?;
    Ok(())
}

/// Appends an audit row for `actor`.
pub(crate) fn audit_as(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &str,
    action: &str,
    cert: &Certificate,
    mut details: serde_json::Value,
) -> Result<(), ManagerError> {
    if let Some(m) = details.as_object_mut() {
        m.insert("id".into(), cert.id.into());
        m.insert("kind".into(), cert.kind.clone().into());
        m.insert("subject".into(), cert.subject.clone().into());
        m.insert("not_after".into(), cert.not_after.to_rfc3339().into());
        if let Some(h) = cert.host_id {
            m.insert("host_id".into(), h.into());
        }
    }
    audit::append(
        conn,
        now,
        &Entry {
            actor,
            action,
            target: &format!("cert:{}", cert.serial),
            details,
        },
    )?;
    Ok(())
}

/// `certs/<serial>.key` (relative to the data directory); the serial must be hex.
fn key_file_for(serial: &str) -> Result<String, CaError> {
    if serial.is_empty() || !serial.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CaError(format!("{serial:?} is not a hexadecimal serial number")));
    }
    Ok(format!("certs/{serial}.key"))
}

/// Writes a leaf key to `<data_dir>/certs/<serial>.key` (dir 0700, file 0600, atomic); the relative name.
pub(crate) fn write_key(data_dir: &Path, serial: &str, key_pem: &str) -> Result<String, CaError> {
    let rel = key_file_for(serial)?;
    files::private_dir(&data_dir.join("certs"))?;
    files::write_atomic(&data_dir.join(&rel), key_pem.as_bytes(), files::KEY_MODE)?;
    Ok(rel)
}

/// Reads the key of a recorded certificate.
pub(crate) fn read_key(data_dir: &Path, cert: &Certificate) -> Result<String, CaError> {
    let path: PathBuf = data_dir.join(&cert.key_file);
    let bytes = files::read(&path)?;
    String::from_utf8(bytes).map_err(|e| CaError::at(&path, "key is not UTF-8", e))
}

/// Records an issued certificate whose key is already in `key_file`.
pub(crate) fn record(
    conn: &mut PgConnection,
    issued: &Issued,
    req: &IssueRequest,
    kind: &str,
    host_id: Option<i64>,
    key_file: &str,
    now: DateTime<Utc>,
) -> Result<Certificate, ManagerError> {
    let x = openssl::x509::X509::from_pem(issued.cert_pem.as_bytes())
        .map_err(|e| ManagerError::Internal(format!("issued certificate is not PEM: {e}")))?;
    let not_before = build::chrono_time(x.not_before()).map_err(internal)?;
    Ok(Certificate::insert(
        conn,
        &NewCertificate {
            serial: &issued.serial,
            kind,
            subject: &req.common_name,
            sans: &sans_text(req),
            host_id,
            cert_pem: &issued.cert_pem,
            key_file,
            not_before,
            not_after: issued.not_after,
            created_at: now,
        },
    )?)
}

/// Issues a certificate for `req` and records it (not audited: callers do). The manager's client
/// certificate is signed by the root and its key written under `certs/`; an agent's server certificate is
/// signed by the agents' CA and its key is only returned (handed over once, never kept).
pub(crate) fn issue_leaf(
    conn: &mut PgConnection,
    ca: &InternalCa,
    data_dir: &Path,
    req: &IssueRequest,
    kind: &str,
    host_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(Certificate, Issued), ManagerError> {
    if kind == KIND_AGENT_SERVER {
        let issued = ca.issue_by(Signer::Agents, req, &At(now)).map_err(internal)?;
        let row = record(conn, &issued, req, kind, host_id, "", now)?;
        return Ok((row, issued));
    }
    let issued = ca.issue(req, &At(now)).map_err(internal)?;
    let key_file = write_key(data_dir, &issued.serial, &issued.key_pem).map_err(internal)?;
    match record(conn, &issued, req, kind, host_id, &key_file, now) {
        Ok(row) => Ok((row, issued)),
        Err(e) => {
            let _ = std::fs::remove_file(data_dir.join(&key_file));
            Err(e)
        }
    }
}

/// The manager's client certificate: the current one when valid for more than 30 more days and not
/// revoked, else a newly issued one (recorded, audited as `system`).
pub fn ensure_manager_client(
    conn: &mut PgConnection,
    ca: &InternalCa,
    data_dir: &Path,
    now: DateTime<Utc>,
) -> Result<ManagerIdentity, ManagerError> {
    conn.transaction(|conn| {
        lock(conn)?;
        if let Some(c) = Certificate::current(conn, KIND_MANAGER_CLIENT, None, now)? {
            if c.not_after - now > EXPIRING_WITHIN {
                match read_key(data_dir, &c) {
                    Ok(key_pem) => {
                        return Ok(ManagerIdentity {
                            cert_pem: c.cert_pem,
                            key_pem,
                            serial: c.serial,
                            not_after: c.not_after,
                        })
                    }
                    Err(e) => log::warn!("manager client certificate {}: {e}; issuing a new one", c.serial),
                }
            }
        }
        let req = manager_client_request();
        let (row, issued) = issue_leaf(conn, ca, data_dir, &req, KIND_MANAGER_CLIENT, None, now)?;
        let old = supersede_current(conn, KIND_MANAGER_CLIENT, None, row.id, now)?;
        audit_as(
            conn,
            now,
            SYSTEM,
            "cert.issue",
            &row,
            serde_json::json!({"reason": "manager client certificate", "replaces": old}),
        )?;
        log::info!(
            "issued the manager's client certificate (serial {}, until {})",
            row.serial,
            row.not_after
        );
        Ok(ManagerIdentity {
            cert_pem: issued.cert_pem,
            key_pem: issued.key_pem,
            serial: row.serial,
            not_after: row.not_after,
        })
    })
}

/// Marks every other current certificate of `kind` (and host) as superseded by `by`; their serials.
fn supersede_current(
    conn: &mut PgConnection,
    kind: &str,
    host_id: Option<i64>,
    by: i64,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ManagerError> {
    Ok(Certificate::supersede_others(conn, kind, host_id, by, now)?)
}

/// Issues a server certificate for `host` (SAN = name + IP, 365 days), supersedes its previous one, audits
/// `cert.issue` for `actor`.
pub fn issue_for_host(
    conn: &mut PgConnection,
    ca: &InternalCa,
    data_dir: &Path,
    host: &Host,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(Certificate, Issued), ManagerError> {
    conn.transaction(|conn| {
        lock(conn)?;
        let req = agent_request(&host.hostname, &host.ip).map_err(|e| ManagerError::Invalid(e.0))?;
        let (row, issued) = issue_leaf(conn, ca, data_dir, &req, KIND_AGENT_SERVER, Some(host.id), now)?;
        let old = supersede_current(conn, KIND_AGENT_SERVER, Some(host.id), row.id, now)?;
        audit_as(
            conn,
            now,
            actor,
            "cert.issue",
            &row,
            serde_json::json!({"sans": row.sans, "replaces": old}),
        )?;
        Ok((row, issued))
    })
}

/// A new bundle for `host` (for an administrator): a fresh key and a server certificate for it from the agents'
/// CA (SAN = hostname + IP), superseding the host's previous one. The key is in the answer only: handed over
/// once, never stored. Audited `cert.issue` and `cert.bundle_download` for `actor`.
pub fn host_bundle(
    conn: &mut PgConnection,
    ca: &InternalCa,
    data_dir: &Path,
    host: &Host,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<HostBundle, ManagerError> {
    conn.transaction(|conn| {
        lock(conn)?;
        let (row, issued) = issue_for_host(conn, ca, data_dir, host, actor, now)?;
        let crl = crl_pem(conn, ca, now)?;
        audit_as(
            conn,
            now,
            actor,
            "cert.bundle_download",
            &row,
            serde_json::json!({"host": host.hostname}),
        )?;
        Ok(HostBundle {
            ca_pem: ca.cert_pem(),
            server_pem: row.cert_pem,
            server_key: issued.key_pem,
            crl_pem: crl,
            serial: row.serial,
            certificate_id: row.id,
        })
    })
}

/// The bundle of an approved enrolment: a server certificate for `host` (SAN = hostname + IP) from the
/// agents' CA for the public key of the agent's CSR (the agent keeps its key; the manager never has it),
/// superseding the host's previous one. Audited `cert.issue` for `actor`; `server_key` is empty.
pub fn host_bundle_for_csr(
    conn: &mut PgConnection,
    ca: &InternalCa,
    host: &Host,
    csr_pem: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<HostBundle, ManagerError> {
    conn.transaction(|conn| {
        lock(conn)?;
        let req = agent_request(&host.hostname, &host.ip).map_err(|e| ManagerError::Invalid(e.0))?;
        let public = crate::enrollment::csr::public_key(csr_pem).map_err(ManagerError::Internal)?;
        let (cert_pem, serial, not_after) = ca
            .sign(Signer::Agents, &req, &public, &At(now))
            .map_err(internal)?;
        let issued = Issued {
            cert_pem,
            key_pem: String::new(),
            serial,
            not_after,
        };
        let row = record(conn, &issued, &req, KIND_AGENT_SERVER, Some(host.id), "", now)?;
        let old = supersede_current(conn, KIND_AGENT_SERVER, Some(host.id), row.id, now)?;
        audit_as(
            conn,
            now,
            actor,
            "cert.issue",
            &row,
            serde_json::json!({"sans": row.sans, "replaces": old, "from": "enrolment CSR"}),
        )?;
        let crl = crl_pem(conn, ca, now)?;
        Ok(HostBundle {
            ca_pem: ca.cert_pem(),
            server_pem: row.cert_pem,
            server_key: String::new(),
            crl_pem: crl,
            serial: row.serial,
            certificate_id: row.id,
        })
    })
}

/// A CRL listing every revoked certificate, freshly signed (PEM), also written to `<data_dir>/ca/crl.pem`.
pub fn crl_pem(conn: &mut PgConnection, ca: &InternalCa, now: DateTime<Utc>) -> Result<String, ManagerError> {
    let pem = signed_crl(conn, ca, now)?;
    ca.write_crl(&pem).map_err(internal)?;
    Ok(pem)
}

/// The same list signed by the agents' CA (what the manager checks agents' certificates against).
pub fn agents_crl(
    conn: &mut PgConnection,
    ca: &InternalCa,
    now: DateTime<Utc>,
) -> Result<String, ManagerError> {
    let revoked = Certificate::revoked(conn)?;
    ca.sign_crl_by(super::Signer::Agents, &revoked, now)
        .map_err(internal)
}

/// A freshly signed CRL of every revoked certificate, not written anywhere (for `GET /crl.pem`).
pub fn signed_crl(
    conn: &mut PgConnection,
    ca: &InternalCa,
    now: DateTime<Utc>,
) -> Result<String, ManagerError> {
    let revoked = Certificate::revoked(conn)?;
    ca.sign_crl(&revoked, now).map_err(internal)
}
