//! Retention pruning in small batches (each its own short transaction, so the console stays fast): audit rows behind a checkpoint, and operational data (health history, finished deployments with their targets — the job and patch history — and sent e-mails).

use crate::db::Db;
use crate::error::ManagerError;
use crate::settings::Retention;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};

/// Rows removed per transaction.
pub const BATCH: i64 = 1000;
/// Most batches per chore run (the rest waits for the next day's run).
const MAX_BATCHES: usize = 10_000;

/// What an operational prune removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OperationalPruned {
    /// Health-history rows.
    pub health: usize,
    /// Deployment targets of finished deployments.
    pub targets: usize,
    /// Finished deployments.
    pub deployments: usize,
    /// Sent e-mails.
    pub emails: usize,
}

/// Prunes audit rows older than `days` in batches of [`BATCH`]; the chain stays verifiable through the
/// checkpoint each batch writes.
pub async fn audit(db: &Db, now: DateTime<Utc>, days: u32) -> Result<crate::audit::Pruned, ManagerError> {
    let mut total = crate::audit::Pruned {
        rows: 0,
        last_pruned_id: None,
    };
    for _ in 0..MAX_BATCHES {
        let p = db
            .run(move |c| Ok(crate::audit::prune_batch(c, now, days, BATCH)?))
            .await?;
        if p.rows == 0 {
            break;
        }
        total.rows += p.rows;
        total.last_pruned_id = p.last_pruned_id;
    }
    Ok(total)
}

const HEALTH: &str = "DELETE FROM host_health WHERE id IN \
    (SELECT id FROM host_health WHERE checked_at < $1 ORDER BY id LIMIT $2)";
const TARGETS: &str = "DELETE FROM deployment_targets WHERE id IN (SELECT t.id FROM deployment_targets t \
    JOIN deployments d ON d.id = t.deployment_id WHERE d.finished_at < $1 LIMIT $2)";
const DEPLOYMENTS: &str = "DELETE FROM deployments WHERE id IN (SELECT d.id FROM deployments d \
    WHERE d.finished_at < $1 AND NOT EXISTS (SELECT 1 FROM deployment_targets t WHERE t.deployment_id = d.id) \
    LIMIT $2)";
const EMAILS: &str = "DELETE FROM notification_outbox WHERE id IN \
    (SELECT id FROM notification_outbox WHERE sent_at < $1 LIMIT $2)";

/// One batch of `sql` (rows older than `cutoff`, at most [`BATCH`]).
fn delete(c: &mut PgConnection, sql: &'static str, cutoff: DateTime<Utc>) -> QueryResult<usize> {
    diesel::sql_query(sql)
        .bind::<Timestamptz, _>(cutoff)
        .bind::<BigInt, _>(BATCH)
        .execute(c)
}

async fn batches<F>(db: &Db, one: F) -> Result<usize, ManagerError>
where
    F: Fn(&mut PgConnection) -> QueryResult<usize> + Clone + Send + 'static,
{
    let mut total = 0;
    for _ in 0..MAX_BATCHES {
        let f = one.clone();
        let n = db.run(move |c| Ok(f(c)?)).await?;
        total += n;
        if n == 0 {
            break;
        }
    }
    Ok(total)
}

/// Prunes operational data older than `r.operational_days`.
pub async fn operational(db: &Db, now: DateTime<Utc>, r: Retention) -> Result<String, ManagerError> {
    let cutoff = now - Duration::days(i64::from(r.operational_days));
    let health = batches(db, move |c| delete(c, HEALTH, cutoff)).await?;
    let targets = batches(db, move |c| delete(c, TARGETS, cutoff)).await?;
    // Rollbacks of a pruned deployment keep their row (`rollback_of` is set to NULL by the foreign key).
    let deployments_n = batches(db, move |c| delete(c, DEPLOYMENTS, cutoff)).await?;
    let emails = batches(db, move |c| delete(c, EMAILS, cutoff)).await?;
    let p = OperationalPruned {
        health,
        targets,
        deployments: deployments_n,
        emails,
    };
    if health + targets + deployments_n + emails > 0 {
        log::info!(
            "retention: pruned data older than {} days: {p:?}",
            r.operational_days
        );
    }
    Ok(format!(
        "pruned {health} health rows, {targets} deployment targets, {deployments_n} deployments, {emails} sent e-mails older than {} days",
        r.operational_days
    ))
}
