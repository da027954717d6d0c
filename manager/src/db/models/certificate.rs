//! `certificates`: every certificate the internal CA issued (public material only; keys live in files).

use crate::db::schema::certificates;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

/// Kind `manager_client`: the manager's client certificate for calls to agents.
pub const KIND_MANAGER_CLIENT: &str = "manager_client";
/// Kind `agent_server`: an agent's server certificate.
pub const KIND_AGENT_SERVER: &str = "agent_server";
/// Kind `web`: the console's HTTPS certificate.
pub const KIND_WEB: &str = "web";

/// A certificate counts as "expiring" when it ends within this long.
pub const EXPIRING_WITHIN: Duration = Duration::days(30);

/// One row of `certificates`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = certificates, check_for_backend(diesel::pg::Pg))]
pub struct Certificate {
    /// Primary key.
    pub id: i64,
    /// Serial number, lowercase hex (unique).
    pub serial: String,
    /// `manager_client`, `agent_server` or `web`.
    pub kind: String,
    /// Subject common name.
    pub subject: String,
    /// subjectAltName as text: `DNS:a, IP:1.2.3.4` ('' = none).
    pub sans: String,
    /// The host an agent certificate belongs to.
    pub host_id: Option<i64>,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key file, relative to the data directory.
    #[serde(skip)]
    pub key_file: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why.
    pub revoke_reason: Option<String>,
    /// The certificate that replaced it (renewal).
    pub superseded_by: Option<i64>,
}

/// What to record for a newly issued certificate.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = certificates)]
pub struct NewCertificate<'a> {
    /// Serial, lowercase hex.
    pub serial: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// Subject CN.
    pub subject: &'a str,
    /// SAN text.
    pub sans: &'a str,
    /// Host of an agent certificate.
    pub host_id: Option<i64>,
    /// PEM.
    pub cert_pem: &'a str,
    /// Key file relative to the data directory.
    pub key_file: &'a str,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// Now.
    pub created_at: DateTime<Utc>,
}

impl Certificate {
    /// `valid`, `expiring` (within 30 days), `expired`, `revoked` or `superseded` at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.not_after <= now {
            "expired"
        } else if self.superseded_by.is_some() {
            "superseded"
        } else if self.not_after - now < EXPIRING_WITHIN {
            "expiring"
        } else {
            "valid"
        }
    }

    /// Not revoked and within its validity at `now`.
    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.not_before <= now && now < self.not_after
    }

    /// Records a certificate.
    pub fn insert(conn: &mut PgConnection, new: &NewCertificate<'_>) -> QueryResult<Certificate> {
        diesel::insert_into(certificates::table)
            .values(new)
            .returning(Certificate::as_returning())
            .get_result(conn)
    }

    /// The fingerprints (SHA-256 of the DER, lowercase hex) of every agent certificate of `host_ids` that
    /// is not revoked and not expired at `now` (a superseded one stays until the agent has its successor):
    /// (host id, fingerprint) pairs.
    pub fn agent_pins(
        conn: &mut PgConnection,
        host_ids: &[i64],
        now: DateTime<Utc>,
    ) -> QueryResult<Vec<(i64, String)>> {
        let rows: Vec<(Option<i64>, Option<String>)> = certificates::table
            .filter(certificates::kind.eq(KIND_AGENT_SERVER))
            .filter(certificates::host_id.eq_any(host_ids))
            .filter(certificates::revoked_at.is_null())
            .filter(certificates::not_after.gt(now))
            .select((certificates::host_id, certificates::fingerprint))
            .load(conn)?;
        Ok(rows.into_iter().filter_map(|(h, f)| Some((h?, f?))).collect())
    }

    /// Every certificate, newest first.
    pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Certificate>> {
        certificates::table
            .order(certificates::id.desc())
            .select(Certificate::as_select())
            .load(conn)
    }

    /// The certificate `id`.
    pub fn by_id(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Certificate>> {
        certificates::table
            .find(id)
            .select(Certificate::as_select())
            .first(conn)
            .optional()
    }

    /// The certificate with this serial.
    pub fn by_serial(conn: &mut PgConnection, serial: &str) -> QueryResult<Option<Certificate>> {
        certificates::table
            .filter(certificates::serial.eq(serial))
            .select(Certificate::as_select())
            .first(conn)
            .optional()
    }

    /// The newest unrevoked, unsuperseded certificate of `kind` (and `host_id` for agent certificates) that is
    /// still valid at `now`.
    pub fn current(
        conn: &mut PgConnection,
        kind: &str,
        host_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> QueryResult<Option<Certificate>> {
        let mut q = certificates::table
            .filter(certificates::kind.eq(kind))
            .filter(certificates::revoked_at.is_null())
            .filter(certificates::superseded_by.is_null())
            .filter(certificates::not_before.le(now))
            .filter(certificates::not_after.gt(now))
            .into_boxed();
        if let Some(h) = host_id {
            q = q.filter(certificates::host_id.eq(h));
        }
        q.order((certificates::not_after.desc(), certificates::id.desc()))
            .select(Certificate::as_select())
            .first(conn)
            .optional()
    }

    /// Serials and revocation times of every revoked certificate (for the CRL).
    pub fn revoked(conn: &mut PgConnection) -> QueryResult<Vec<(String, DateTime<Utc>)>> {
        let rows: Vec<(String, Option<DateTime<Utc>>)> = certificates::table
            .filter(certificates::revoked_at.is_not_null())
            .order(certificates::id.asc())
            .select((certificates::serial, certificates::revoked_at))
            .load(conn)?;
        Ok(rows.into_iter().filter_map(|(s, t)| t.map(|t| (s, t))).collect())
    }

    /// Marks `id` revoked at `now` for `reason` unless it already is; the updated row, or `None` when it
    /// was already revoked (or does not exist).
    pub fn revoke(
        conn: &mut PgConnection,
        id: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> QueryResult<Option<Certificate>> {
        diesel::update(
            certificates::table
                .find(id)
                .filter(certificates::revoked_at.is_null()),
        )
        .set((
            certificates::revoked_at.eq(now),
            certificates::revoke_reason.eq(reason),
        ))
        .returning(Certificate::as_returning())
        .get_result(conn)
        .optional()
    }

    /// Marks every unrevoked, unsuperseded, unexpired certificate of `kind` (and `host_id`) other than `by` as
    /// superseded by `by`; their serials.
    pub fn supersede_others(
        conn: &mut PgConnection,
        kind: &str,
        host_id: Option<i64>,
        by: i64,
        now: DateTime<Utc>,
    ) -> QueryResult<Vec<String>> {
        let mut q = diesel::update(certificates::table)
            .filter(certificates::kind.eq(kind))
            .filter(certificates::id.ne(by))
            .filter(certificates::revoked_at.is_null())
            .filter(certificates::superseded_by.is_null())
            .filter(certificates::not_after.gt(now))
            .into_boxed();
        if let Some(h) = host_id {
            q = q.filter(certificates::host_id.eq(h));
        }
        q.set(certificates::superseded_by.eq(by))
            .returning(certificates::serial)
            .get_results(conn)
    }

    /// Records that `id` was replaced by `by` (only if it was not already).
    pub fn supersede(conn: &mut PgConnection, id: i64, by: i64) -> QueryResult<usize> {
        diesel::update(
            certificates::table
                .find(id)
                .filter(certificates::superseded_by.is_null()),
        )
        .set(certificates::superseded_by.eq(by))
        .execute(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(now: DateTime<Utc>) -> Certificate {
        Certificate {
            id: 1,
            serial: "ab".into(),
            kind: KIND_AGENT_SERVER.into(),
            subject: "h".into(),
            sans: String::new(),
            host_id: None,
            cert_pem: String::new(),
            key_file: String::new(),
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(100),
            created_at: now,
            revoked_at: None,
            revoke_reason: None,
            superseded_by: None,
        }
    }

    #[test]
    fn status_follows_revocation_expiry_and_renewal() {
        let now = DateTime::UNIX_EPOCH + Duration::days(20_000);
        let mut c = row(now);
        assert_eq!(c.status(now), "valid");
        assert_eq!(c.status(now + Duration::days(80)), "expiring");
        assert_eq!(c.status(now + Duration::days(100)), "expired");
        c.superseded_by = Some(2);
        assert_eq!(c.status(now), "superseded");
        assert!(c.usable(now));
        c.revoked_at = Some(now);
        assert_eq!(c.status(now), "revoked");
        assert!(!c.usable(now));
    }
}
