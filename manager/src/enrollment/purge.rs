//! Stale agent-enrolment requests removed (hourly by the housekeeping actor, and before each new request),
//! with one audit row naming them.

use crate::audit::{self, Entry};
use crate::db::models::enrollment::Enrollment;
use crate::error::ManagerError;
use chrono::{DateTime, Duration, Utc};
use diesel::{Connection, PgConnection};

/// Removes requests idle for `hours` (pending not polled, approved not delivered, denied, delivered);
/// one `enroll.purge` audit row when any went. Returns how many.
pub fn purge(conn: &mut PgConnection, now: DateTime<Utc>, hours: u32) -> Result<usize, ManagerError> {
    let cutoff = now - Duration::hours(i64::from(hours));
    conn.transaction(|conn| {
        let gone = Enrollment::purge(conn, cutoff)?;
        if !gone.is_empty() {
            let rows: Vec<_> = gone
                .iter()
                .map(|e| serde_json::json!({"id": e.id, "fqdn": e.fqdn, "status": e.status}))
                .collect();
            audit::append(
                conn,
                now,
                &Entry {
                    actor: "system",
                    action: "enroll.purge",
                    target: "enrollments",
                    details: serde_json::json!({"purged": rows, "older_than_hours": hours}),
                },
            )?;
        }
        Ok(gone.len())
    })
}
