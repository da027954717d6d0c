//! Retention: removes rows older than the cut-off and records a checkpoint so the rest still verifies.

use super::{append, Entry};
use crate::db::schema::{audit_checkpoints, audit_log};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

/// What a pruning did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pruned {
    /// Rows removed.
    pub rows: i64,
    /// The last removed id (the checkpoint), when any were removed.
    pub last_pruned_id: Option<i64>,
}

/// Removes rows with `at` before `now - retention_days`, writes a checkpoint holding the last removed row's
/// hash, and appends `audit.prune` — all under the append lock, in one transaction.
pub fn prune(conn: &mut PgConnection, now: DateTime<Utc>, retention_days: u32) -> QueryResult<Pruned> {
    prune_some(conn, now, retention_days, None)
}

/// Like [`prune`] but removes at most `limit` of the oldest rows (one short transaction; call it until it
/// removes fewer), so the append lock is never held for long.
pub fn prune_batch(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    retention_days: u32,
    limit: i64,
) -> QueryResult<Pruned> {
    prune_some(conn, now, retention_days, Some(limit))
}

fn prune_some(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    retention_days: u32,
    limit: Option<i64>,
) -> QueryResult<Pruned> {
    let cutoff = now - chrono::Duration::days(i64::from(retention_days));
    conn.transaction(|conn| {
        diesel::sql_query("LOCK TABLE audit_log IN EXCLUSIVE MODE").execute(conn)?;
        // Pruning stops at the first row that is recent enough, so the kept part is a suffix of the chain.
        let first_kept: Option<i64> = audit_log::table
            .filter(audit_log::at.ge(cutoff))
            .select(audit_log::id)
            .order(audit_log::id.asc())
            .first(conn)
            .optional()?;
        let mut old = audit_log::table.order(audit_log::id.desc()).into_boxed();
        if let Some(k) = first_kept {
            old = old.filter(audit_log::id.lt(k));
        }
        if let Some(n) = limit {
            // The batch ends at the n-th oldest row (ids grow along the chain).
            let first: Option<i64> = audit_log::table.select(audit_log::id).order(audit_log::id.asc()).first(conn).optional()?;
            if let Some(f) = first {
                old = old.filter(audit_log::id.lt(f + n.max(1)));
            }
        }
        let last: Option<(i64, String)> = old
            .select((audit_log::id, audit_log::hash))
            .first(conn)
            .optional()?;
        let Some((last_id, last_hash)) = last else {
            return Ok(Pruned { rows: 0, last_pruned_id: None });
        };
        let rows = diesel::delete(audit_log::table.filter(audit_log::id.le(last_id))).execute(conn)? as i64;
        diesel::insert_into(audit_checkpoints::table)
            .values((
                audit_checkpoints::created_at.eq(now),
                audit_checkpoints::last_pruned_id.eq(last_id),
                audit_checkpoints::last_pruned_hash.eq(&last_hash),
                audit_checkpoints::pruned_rows.eq(rows),
            ))
            .execute(conn)?;
        append(
            conn,
            now,
            &Entry {
                actor: "system",
                action: "audit.prune",
                target: "audit_log",
                details: serde_json::json!({ "rows": rows, "last_pruned_id": last_id, "retention_days": retention_days }),
            },
        )?;
        Ok(Pruned { rows, last_pruned_id: Some(last_id) })
    })
}
