//! Hash-chained audit log: append (serialised by a table lock, copied to the journal), verify, and prune
//! with a checkpoint.

pub mod actor;
pub mod chain;
pub mod journal;
pub mod prune;
pub mod verify;

pub use actor::Actor;
pub use prune::{prune, prune_batch, Pruned};
pub use verify::{verify, Broken, Verified};

use crate::db::schema::{audit_checkpoints, audit_log};
use chrono::{DateTime, SubsecRound, Utc};
use diesel::prelude::*;

/// One stored audit row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
pub struct AuditRecord {
    /// Position in the chain.
    pub id: i64,
    /// When it happened (microsecond precision, as stored).
    pub at: DateTime<Utc>,
    /// Who did it (`cli`, a user name, `system`).
    pub actor: String,
    /// What (`user.create`, `audit.prune`, ...).
    pub action: String,
    /// On what (`user:alice`).
    pub target: String,
    /// Structured details.
    pub details: serde_json::Value,
    /// The previous row's hash (or the checkpoint's, or [`chain::GENESIS`]).
    pub prev_hash: String,
    /// SHA-256 (hex) over this row's canonical content.
    pub hash: String,
}

/// What to append.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Who.
    pub actor: &'a str,
    /// What.
    pub action: &'a str,
    /// On what.
    pub target: &'a str,
    /// Details (any JSON; hashed in canonical form).
    pub details: serde_json::Value,
}

/// Appends one row, chained to the last row (or the latest checkpoint).
///
/// Concurrency: `LOCK TABLE audit_log IN EXCLUSIVE MODE` inside the transaction serialises appenders
/// (readers still proceed), so "read the last hash, insert after it" cannot interleave and ids are
/// taken in chain order. The row is inserted, read back as stored (jsonb normalises `details`), hashed,
/// and its hash written, all before the lock is released at commit.
pub fn append(conn: &mut PgConnection, at: DateTime<Utc>, entry: &Entry<'_>) -> QueryResult<AuditRecord> {
    conn.transaction(|conn| {
        diesel::sql_query("LOCK TABLE audit_log IN EXCLUSIVE MODE").execute(conn)?;
        let prev_hash = chain_head(conn)?;
        let row: AuditRecord = diesel::insert_into(audit_log::table)
            .values((
                audit_log::at.eq(at.trunc_subsecs(6)),
                audit_log::actor.eq(entry.actor),
                audit_log::action.eq(entry.action),
                audit_log::target.eq(entry.target),
                audit_log::details.eq(&entry.details),
                audit_log::prev_hash.eq(&prev_hash),
                audit_log::hash.eq(""),
            ))
            .returning(AuditRecord::as_returning())
            .get_result(conn)?;
        let hash = chain::hash(&row);
        diesel::update(audit_log::table.find(row.id))
            .set(audit_log::hash.eq(&hash))
            .returning(AuditRecord::as_returning())
            .get_result(conn)
    })
    .inspect(journal::send)
}

/// The hash the next row must chain to: the last row's, else the latest checkpoint's, else genesis.
fn chain_head(conn: &mut PgConnection) -> QueryResult<String> {
    if let Some(h) = audit_log::table
        .order(audit_log::id.desc())
        .select(audit_log::hash)
        .first::<String>(conn)
        .optional()?
    {
        return Ok(h);
    }
    Ok(latest_checkpoint(conn)?
        .map(|c| c.last_pruned_hash)
        .unwrap_or_else(|| chain::GENESIS.to_owned()))
}

/// One row of `audit_checkpoints`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = audit_checkpoints, check_for_backend(diesel::pg::Pg))]
pub struct Checkpoint {
    /// Primary key.
    pub id: i64,
    /// When the pruning happened.
    pub created_at: DateTime<Utc>,
    /// The last row removed.
    pub last_pruned_id: i64,
    /// Its hash: the first remaining row's `prev_hash`.
    pub last_pruned_hash: String,
    /// How many rows this pruning removed.
    pub pruned_rows: i64,
}

/// The newest checkpoint, if any rows were ever pruned.
pub fn latest_checkpoint(conn: &mut PgConnection) -> QueryResult<Option<Checkpoint>> {
    audit_checkpoints::table
        .order(audit_checkpoints::id.desc())
        .select(Checkpoint::as_select())
        .first(conn)
        .optional()
}

/// The newest rows (before id `before`, when given), newest first, at most `limit`.
pub fn recent(conn: &mut PgConnection, before: Option<i64>, limit: i64) -> QueryResult<Vec<AuditRecord>> {
    let mut q = audit_log::table.into_boxed();
    if let Some(b) = before {
        q = q.filter(audit_log::id.lt(b));
    }
    q.order(audit_log::id.desc())
        .limit(limit)
        .select(AuditRecord::as_select())
        .load(conn)
}
