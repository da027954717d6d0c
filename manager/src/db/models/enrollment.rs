//! `enrollments`: agents asking to join (the polling token stored only as its SHA-256), and the two host
//! columns enrolment fills in (`machine_id`, `os`).

use crate::db::schema::{certificates, enrollments, hosts};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// One row of `enrollments`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize, schemars::JsonSchema)]
#[diesel(table_name = enrollments, check_for_backend(diesel::pg::Pg))]
pub struct Enrollment {
    /// Primary key.
    pub id: i64,
    /// SHA-256 (hex) of the polling token (never shown).
    #[serde(skip)]
    pub token_hash: String,
    /// `/etc/machine-id` of the agent.
    pub machine_id: String,
    /// The FQDN the agent reported.
    pub fqdn: String,
    /// The IPv4 address the agent is reachable at.
    pub ip: String,
    /// Its operating system.
    pub os: String,
    /// Its port.
    pub agent_port: i32,
    /// The address the request came from.
    pub source_ip: String,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    /// When it was asked (or last replaced).
    pub created_at: DateTime<Utc>,
    /// Last status poll (or the request itself).
    pub last_polled_at: DateTime<Utc>,
    /// When an admin decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// The host it became (approved).
    pub host_id: Option<i64>,
    /// The certificate delivered.
    pub certificate_id: Option<i64>,
    /// When the bundle was first fetched.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The agent's certificate signing request (PEM): its own key's public part.
    #[serde(skip)]
    pub csr_pem: String,
    /// SHA-256 of that public key (SubjectPublicKeyInfo DER), uppercase hex pairs joined by ':' — the agent
    /// prints it, the approval page shows it.
    pub key_fingerprint: String,
}

/// What a new request holds (validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrollment<'a> {
    /// SHA-256 (hex) of the polling token.
    pub token_hash: &'a str,
    /// Machine id (32 lowercase hex).
    pub machine_id: &'a str,
    /// FQDN (lowercase).
    pub fqdn: &'a str,
    /// IPv4 address.
    pub ip: &'a str,
    /// Operating system.
    pub os: &'a str,
    /// Agent port.
    pub port: u16,
    /// Where the request came from.
    pub source_ip: &'a str,
    /// The agent's CSR (PEM).
    pub csr_pem: &'a str,
    /// Its public key's fingerprint.
    pub key_fingerprint: &'a str,
}

impl Enrollment {
    /// Inserts a pending request.
    pub fn insert(
        conn: &mut PgConnection,
        n: &NewEnrollment<'_>,
        now: DateTime<Utc>,
    ) -> QueryResult<Enrollment> {
        diesel::insert_into(enrollments::table)
            .values((
                enrollments::token_hash.eq(n.token_hash),
                enrollments::machine_id.eq(n.machine_id),
                enrollments::fqdn.eq(n.fqdn),
                enrollments::ip.eq(n.ip),
                enrollments::os.eq(n.os),
                enrollments::agent_port.eq(i32::from(n.port)),
                enrollments::source_ip.eq(n.source_ip),
                enrollments::csr_pem.eq(n.csr_pem),
                enrollments::key_fingerprint.eq(n.key_fingerprint),
                enrollments::status.eq("pending"),
                enrollments::created_at.eq(now),
                enrollments::last_polled_at.eq(now),
            ))
            .returning(Enrollment::as_returning())
            .get_result(conn)
    }

    /// The pending request of this machine id and FQDN, locked for update.
    pub fn pending_of(
        conn: &mut PgConnection,
        machine_id: &str,
        fqdn: &str,
    ) -> QueryResult<Option<Enrollment>> {
        enrollments::table
            .filter(enrollments::machine_id.eq(machine_id))
            .filter(enrollments::fqdn.eq(fqdn))
            .filter(enrollments::status.eq("pending"))
            .select(Enrollment::as_select())
            .for_update()
            .first(conn)
            .optional()
    }

    /// The request with this token hash.
    pub fn by_token_hash(conn: &mut PgConnection, hash: &str) -> QueryResult<Option<Enrollment>> {
        enrollments::table
            .filter(enrollments::token_hash.eq(hash))
            .select(Enrollment::as_select())
            .first(conn)
            .optional()
    }

    /// Request `id`, locked for update.
    pub fn by_id_for_update(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Enrollment>> {
        enrollments::table
            .filter(enrollments::id.eq(id))
            .select(Enrollment::as_select())
            .for_update()
            .first(conn)
            .optional()
    }

    /// Pending requests from `source_ip`, and pending requests in total.
    pub fn pending_counts(conn: &mut PgConnection, source_ip: &str) -> QueryResult<(i64, i64)> {
        let from_source = enrollments::table
            .filter(enrollments::status.eq("pending"))
            .filter(enrollments::source_ip.eq(source_ip))
            .count()
            .get_result(conn)?;
        let total = enrollments::table
            .filter(enrollments::status.eq("pending"))
            .count()
            .get_result(conn)?;
        Ok((from_source, total))
    }

    /// Every request in `status`, oldest first.
    pub fn with_status(conn: &mut PgConnection, status: &str) -> QueryResult<Vec<Enrollment>> {
        enrollments::table
            .filter(enrollments::status.eq(status))
            .order(enrollments::created_at.asc())
            .select(Enrollment::as_select())
            .load(conn)
    }

    /// One page of pending requests, oldest first (by id): those after `after`, at most `limit`.
    pub fn pending_page(
        conn: &mut PgConnection,
        after: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<Enrollment>> {
        enrollments::table
            .filter(enrollments::status.eq("pending"))
            .filter(enrollments::id.gt(after.unwrap_or(0)))
            .order(enrollments::id.asc())
            .limit(limit)
            .select(Enrollment::as_select())
            .load(conn)
    }

    /// The most recently decided requests (approved or denied), newest first.
    pub fn recently_decided(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Enrollment>> {
        enrollments::table
            .filter(enrollments::status.ne("pending"))
            .order(enrollments::decided_at.desc())
            .limit(limit)
            .select(Enrollment::as_select())
            .load(conn)
    }

    /// Records a poll.
    pub fn touch(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> QueryResult<()> {
        diesel::update(enrollments::table.filter(enrollments::id.eq(id)))
            .set(enrollments::last_polled_at.eq(now))
            .execute(conn)
            .map(|_| ())
    }

    /// Records a decision.
    pub fn decide(
        conn: &mut PgConnection,
        id: i64,
        status: &str,
        who: &str,
        host_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> QueryResult<Enrollment> {
        diesel::update(enrollments::table.filter(enrollments::id.eq(id)))
            .set((
                enrollments::status.eq(status),
                enrollments::decided_at.eq(now),
                enrollments::decided_by.eq(who),
                enrollments::host_id.eq(host_id),
            ))
            .returning(Enrollment::as_returning())
            .get_result(conn)
    }

    /// Records the first delivery of the bundle (the certificate with `serial`).
    pub fn delivered(conn: &mut PgConnection, id: i64, serial: &str, now: DateTime<Utc>) -> QueryResult<()> {
        let cert: Option<i64> = certificates::table
            .filter(certificates::serial.eq(serial))
            .select(certificates::id)
            .first(conn)
            .optional()?;
        diesel::update(enrollments::table.filter(enrollments::id.eq(id)))
            .set((
                enrollments::delivered_at.eq(now),
                enrollments::certificate_id.eq(cert),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Deletes the requests that are stale at `cutoff`: pending and not polled since, approved and not
    /// delivered since the decision, denied or delivered before it. Returns the removed rows.
    pub fn purge(conn: &mut PgConnection, cutoff: DateTime<Utc>) -> QueryResult<Vec<Enrollment>> {
        use enrollments::dsl as e;
        let stale = e::status
            .eq("pending")
            .and(e::last_polled_at.lt(cutoff))
            .or(e::status
                .eq("approved")
                .and(e::delivered_at.is_null())
                .and(e::decided_at.lt(cutoff)))
            .or(e::status.eq("approved").and(e::delivered_at.lt(cutoff)))
            .or(e::status.eq("denied").and(e::decided_at.lt(cutoff)));
        diesel::delete(enrollments::table.filter(stale))
            .returning(Enrollment::as_returning())
            .get_results(conn)
    }
}

/// Sets what enrolment learnt about host `id`: its machine id and operating system.
pub fn set_host_identity(conn: &mut PgConnection, id: i64, machine_id: &str, os: &str) -> QueryResult<()> {
    diesel::update(hosts::table.filter(hosts::id.eq(id)))
        .set((hosts::machine_id.eq(machine_id), hosts::os.eq(os)))
        .execute(conn)
        .map(|_| ())
}

/// The host registered under exactly `hostname`, if any (administrators' view: enrolment is theirs).
pub fn host_named(conn: &mut PgConnection, hostname: &str) -> QueryResult<Option<crate::db::models::Host>> {
    hosts::table
        .filter(hosts::hostname.eq(hostname))
        .select(crate::db::models::Host::as_select())
        .first(conn)
        .optional()
}
