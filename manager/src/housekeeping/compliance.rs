//! The daily compliance snapshot chore: every host's state for today (UTC, by the Clock), older days pruned.

use crate::db::models::reports::snapshot;
use crate::db::Db;
use crate::error::ManagerError;
use chrono::{DateTime, Duration, Utc};

/// Takes today's snapshot and prunes days older than `keep_days` (the operational retention setting); what
/// it did, in words.
pub async fn snapshot(db: &Db, now: DateTime<Utc>, keep_days: u32) -> Result<String, ManagerError> {
    let day = now.date_naive();
    let keep_from = day - Duration::days(i64::from(keep_days));
    let (n, pruned) = db
        .run(move |c| Ok((snapshot::take(c, day)?, snapshot::prune(c, keep_from)?)))
        .await?;
    log::info!("compliance: snapshot of {n} hosts for {day}, {pruned} old rows pruned");
    Ok(format!(
        "compliance snapshot of {n} hosts for {day}; pruned {pruned}"
    ))
}
