//! Walks the chain in id order and reports the first broken row and why.

use super::{chain, latest_checkpoint, AuditRecord};
use crate::db::schema::audit_log;
use diesel::prelude::*;

/// The first row where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The row's id.
    pub id: i64,
    /// Why, for a human.
    pub reason: String,
}

/// A verification's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Rows checked.
    pub rows: u64,
    /// First and last id checked.
    pub range: Option<(i64, i64)>,
    /// The last pruned id the chain continues from, if pruned.
    pub checkpoint: Option<i64>,
    /// The first broken row; `None` = the chain holds.
    pub broken: Option<Broken>,
}

const BATCH: i64 = 1000;

/// Verifies every row: its `prev_hash` is the previous row's hash (the checkpoint's or genesis for the
/// first) and its `hash` is SHA-256 over its canonical content.
pub fn verify(conn: &mut PgConnection) -> QueryResult<Verified> {
    let checkpoint = latest_checkpoint(conn)?;
    let mut expected_prev = checkpoint
        .as_ref()
        .map_or_else(|| chain::GENESIS.to_owned(), |c| c.last_pruned_hash.clone());
    let mut after = checkpoint.as_ref().map_or(i64::MIN, |c| c.last_pruned_id);
    let mut out = Verified {
        rows: 0,
        range: None,
        checkpoint: checkpoint.as_ref().map(|c| c.last_pruned_id),
        broken: None,
    };
    if let Some(c) = &checkpoint {
        let stale: Option<i64> = audit_log::table
            .filter(audit_log::id.le(c.last_pruned_id))
            .select(audit_log::id)
            .first(conn)
            .optional()?;
        if let Some(id) = stale {
            out.broken = Some(Broken {
                id,
                reason: format!(
                    "row survives although checkpoint {} pruned every row up to id {}",
                    c.id, c.last_pruned_id
                ),
            });
            return Ok(out);
        }
    }
    loop {
        let batch: Vec<AuditRecord> = audit_log::table
            .filter(audit_log::id.gt(after))
            .order(audit_log::id.asc())
            .limit(BATCH)
            .select(AuditRecord::as_select())
            .load(conn)?;
        for r in &batch {
            if r.prev_hash != expected_prev {
                out.broken = Some(Broken {
                    id: r.id,
                    reason: format!(
                        "prev_hash {} is not the previous row's hash {expected_prev} (a row was removed or altered before it)",
                        r.prev_hash
                    ),
                });
                return Ok(out);
            }
            let h = chain::hash(r);
            if h != r.hash {
                out.broken = Some(Broken {
                    id: r.id,
                    reason: format!("stored hash {} does not match its content (content hashes to {h}): the row was altered", r.hash),
                });
                return Ok(out);
            }
            out.rows += 1;
            out.range = Some((out.range.map_or(r.id, |(a, _)| a), r.id));
            expected_prev = r.hash.clone();
            after = r.id;
        }
        if (batch.len() as i64) < BATCH {
            return Ok(out);
        }
    }
}
