//! What happens to an enrolment request: asked (never replaced while pending), polled, approved (host created or linked),
//! denied, delivered, purged — each step one transaction, every change audited.

use super::{hosts, Actor};
use crate::audit::{self, Entry};
use crate::ca::registry::{self, HostBundle};
use crate::ca::InternalCa;
use crate::db::models::enrollment::{host_named, set_host_identity, Enrollment, NewEnrollment};
use crate::db::models::Host;
pub use crate::enrollment::purge::purge;
use crate::enrollment::validate::Checked;
use crate::enrollment::{token_hash, well_formed_token};
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};

/// Most pending requests from one source address.
pub const MAX_PENDING_PER_SOURCE: i64 = 20;
/// Most pending requests in total (an administrator decides or they are purged).
pub const MAX_PENDING_TOTAL: i64 = 1000;

/// The audit actor of steps the agent itself causes (the request, the delivery).
pub const AGENT_ACTOR: &str = "enrollment";

/// A stored request and the polling token that goes with it (shown once, to the agent).
#[derive(Debug, Clone)]
pub struct Ticket {
    /// The secret token.
    pub token: String,
    /// The row.
    pub enrollment: Enrollment,
}

/// What a status poll finds.
#[derive(Debug, Clone)]
pub enum Status {
    /// Still waiting for an admin.
    Pending,
    /// An admin said no.
    Denied,
    /// Approved: the agent's bundle, under this host name.
    Approved(Box<HostBundle>, String),
}

fn append(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    actor: &str,
    action: &str,
    e: &Enrollment,
    details: serde_json::Value,
) -> Result<(), ManagerError> {
    let target = format!("enrollment:{}", e.id);
    audit::append(
        conn,
        now,
        &Entry {
            actor,
            action,
            target: &target,
            details,
        },
    )?;
    Ok(())
}

/// Stores a validated request from `source_ip`; a pending request of the same machine id and FQDN gets
/// the new token (and details) instead of a second row.
pub fn request(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    c: &Checked,
    source_ip: &str,
) -> Result<Ticket, ManagerError> {
    let token = crate::auth::random_token();
    let hash = token_hash(&token);
    let ip = c.ip.to_string();
    let new = NewEnrollment {
        token_hash: &hash,
        machine_id: &c.machine_id,
        fqdn: &c.fqdn,
        ip: &ip,
        os: &c.os,
        port: c.port,
        source_ip,
        csr_pem: &c.csr_pem,
        key_fingerprint: &c.key_fingerprint,
    };
    conn.transaction(|conn| {
        // A pending request is never replaced: machine id and FQDN are not secret, so a second submitter
        // could otherwise take over the request (and its approval). An admin denies the stale one first.
        let (from_source, total) = Enrollment::pending_counts(conn, source_ip)?;
        if from_source >= MAX_PENDING_PER_SOURCE || total >= MAX_PENDING_TOTAL {
            return Err(ManagerError::TooMany(format!(
                "too many pending enrolment requests ({from_source} from {source_ip}, {total} in total; at most \
                 {MAX_PENDING_PER_SOURCE} per address and {MAX_PENDING_TOTAL} in all): wait for an administrator"
            )));
        }
        if let Some(old) = Enrollment::pending_of(conn, &c.machine_id, &c.fqdn)? {
            return Err(ManagerError::Refused(format!(
                "an enrolment request for {} (machine {}) is already pending as request {} (key {}); \
                 an administrator must deny it before another can be made",
                old.fqdn, old.machine_id, old.id, old.key_fingerprint
            )));
        }
        let row = Enrollment::insert(conn, &new, now)?;
        let details = serde_json::json!({
            "machine_id": row.machine_id, "fqdn": row.fqdn, "ip": row.ip, "os": row.os,
            "port": row.agent_port, "source_ip": source_ip, "key_fingerprint": row.key_fingerprint,
        });
        append(conn, now, AGENT_ACTOR, "enroll.request", &row, details)?;
        Ok(Ticket {
            token: token.clone(),
            enrollment: row,
        })
    })
}

fn unknown() -> ManagerError {
    ManagerError::NotFound("unknown or purged enrolment request; run --enroll again".into())
}

/// The request behind `token` (malformed and unknown tokens are both a 404: no oracle), a poll recorded;
/// once approved, the host's bundle (the first delivery recorded and audited).
pub fn status(
    conn: &mut PgConnection,
    ca: &InternalCa,
    now: DateTime<Utc>,
    token: &str,
) -> Result<Status, ManagerError> {
    if !well_formed_token(token) {
        return Err(unknown());
    }
    let hash = token_hash(token);
    conn.transaction(|conn| {
        let e = Enrollment::by_token_hash(conn, &hash)?.ok_or_else(unknown)?;
        Enrollment::touch(conn, e.id, now)?;
        match e.status.as_str() {
            "pending" => Ok(Status::Pending),
            "denied" => Ok(Status::Denied),
            _ => {
                if e.delivered_at.is_some() {
                    // Handed over once: the key was generated for that answer and is not kept.
                    return Err(ManagerError::Refused(
                        "this enrolment's bundle was already delivered; run --enroll again".into(),
                    ));
                }
                let host_id = e.host_id.ok_or_else(unknown)?;
                let host = Host::find(conn, crate::auth::rbac::Scope::All, host_id)?.ok_or_else(unknown)?;
                let who = e.decided_by.clone().unwrap_or_else(|| AGENT_ACTOR.into());
                let bundle = registry::host_bundle_for_csr(conn, ca, &host, &e.csr_pem, &who, now)?;
                Enrollment::delivered(conn, e.id, &bundle.serial, now)?;
                let details = serde_json::json!({"host_id": host.id, "hostname": host.hostname, "serial": bundle.serial});
                append(conn, now, AGENT_ACTOR, "enroll.deliver", &e, details)?;
                Ok(Status::Approved(Box::new(bundle), host.hostname))
            }
        }
    })
}

fn pending(conn: &mut PgConnection, id: i64) -> Result<Enrollment, ManagerError> {
    let e = Enrollment::by_id_for_update(conn, id)?
        .ok_or_else(|| ManagerError::NotFound(format!("no enrolment request with id {id}")))?;
    if e.status != "pending" {
        return Err(ManagerError::Refused(format!(
            "enrolment request {id} ({}) is already {}",
            e.fqdn, e.status
        )));
    }
    Ok(e)
}

/// Approves request `id` (administrators): registers the host, or links the existing host of that name
/// when its address matches; records the machine id and OS on it.
pub fn approve(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    who: &Actor,
    reserved: &crate::ca::ConsoleNames,
    id: i64,
) -> Result<(Enrollment, Host), ManagerError> {
    who.require_admin()?;
    conn.transaction(|conn| {
        let e = pending(conn, id)?;
        let port = u16::try_from(e.agent_port).unwrap_or(12443);
        let (host, linked) = match host_named(conn, &e.fqdn)? {
            Some(h) if h.ip == e.ip => (h, true),
            Some(h) => {
                return Err(ManagerError::Refused(format!(
                    "host `{}` is already registered at {}, but the agent asks for {}; correct or remove the host first",
                    h.hostname, h.ip, e.ip
                )))
            }
            None => (hosts::add(conn, now, who, reserved, &e.fqdn, &e.ip, port)?, false),
        };
        set_host_identity(conn, host.id, &e.machine_id, &e.os)?;
        let e = Enrollment::decide(conn, id, "approved", &who.name, Some(host.id), now)?;
        let details = serde_json::json!({
            "host_id": host.id, "hostname": host.hostname, "ip": host.ip,
            "machine_id": e.machine_id, "linked_existing_host": linked,
        });
        who.audit(conn, now, "enroll.approve", &format!("enrollment:{id}"), details)?;
        let host = Host::find(conn, crate::auth::rbac::Scope::All, host.id)?.unwrap_or(host);
        Ok((e, host))
    })
}

/// Denies request `id` (administrators).
pub fn deny(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    who: &Actor,
    id: i64,
) -> Result<Enrollment, ManagerError> {
    who.require_admin()?;
    conn.transaction(|conn| {
        pending(conn, id)?;
        let e = Enrollment::decide(conn, id, "denied", &who.name, None, now)?;
        let details = serde_json::json!({"fqdn": e.fqdn, "ip": e.ip, "machine_id": e.machine_id, "source_ip": e.source_ip});
        who.audit(conn, now, "enroll.deny", &format!("enrollment:{id}"), details)?;
        Ok(e)
    })
}

/// Pending requests per page unless the caller asks for fewer or more.
pub const PAGE: i64 = 50;
/// The most a page may hold.
pub const MAX_PAGE: i64 = 200;

/// One page of what the console and the API list.
#[derive(Debug, Clone)]
pub struct PendingPage {
    /// Pending requests, oldest first.
    pub pending: Vec<Enrollment>,
    /// The id to continue after, when there may be more.
    pub next_after: Option<i64>,
    /// The 20 most recently decided.
    pub decided: Vec<Enrollment>,
}

/// Pending requests after `after` (oldest first, at most `limit`, 1 to [`MAX_PAGE`]) and the recently decided.
pub fn page(conn: &mut PgConnection, after: Option<i64>, limit: i64) -> Result<PendingPage, ManagerError> {
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ManagerError::Invalid(format!(
            "limit must be between 1 and {MAX_PAGE}, not {limit}"
        )));
    }
    if after.is_some_and(|a| a < 0) {
        return Err(ManagerError::Invalid(
            "after must be an enrolment id (0 or more)".into(),
        ));
    }
    let pending = Enrollment::pending_page(conn, after, limit)?;
    let next = (i64::try_from(pending.len()).unwrap_or(0) >= limit)
        .then(|| pending.last().map(|e| e.id))
        .flatten();
    Ok(PendingPage {
        pending,
        next_after: next,
        decided: Enrollment::recently_decided(conn, 20)?,
    })
}

/// Everything pending (the CLI's `enrollment list` / `approve --all`) and the 20 most recently decided.
pub fn listing(conn: &mut PgConnection) -> Result<(Vec<Enrollment>, Vec<Enrollment>), ManagerError> {
    Ok((
        Enrollment::with_status(conn, "pending")?,
        Enrollment::recently_decided(conn, 20)?,
    ))
}
