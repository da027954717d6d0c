//! Batched writes: results are collected and flushed every [`MAX_ROWS`] results or [`MAX_WAIT`], each flush
//! one transaction of set-based statements on one pooled connection (never one connection per host).

use super::outcome::{HealthUpdate, PatchFailure, PatchUpdate};
use crate::db::models::health::HostHealth;
use crate::db::models::host_status::{self, HealthColumns, PatchColumns};
use crate::db::models::patch::HostPatch;
use crate::db::Db;
use crate::error::ManagerError;
use diesel::{Connection, PgConnection};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// Results per flush.
pub const MAX_ROWS: usize = 250;
/// Longest a result waits before it is written.
pub const MAX_WAIT: Duration = Duration::from_secs(1);

/// One result of the poller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A health attempt.
    Health(HealthUpdate),
    /// A successful patch-data fetch.
    Patches(PatchUpdate),
    /// A failed patch-data fetch.
    PatchFailed(PatchFailure),
}

/// The results of one flush.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// Health attempts (all kept for the history; the last per host updates `hosts`).
    pub health: Vec<HealthUpdate>,
    /// Patch data (the last per host).
    pub patches: Vec<PatchUpdate>,
    /// Failed patch fetches.
    pub patch_failures: Vec<PatchFailure>,
}

impl Batch {
    /// Adds a result.
    pub fn push(&mut self, r: Record) {
        match r {
            Record::Health(h) => self.health.push(h),
            Record::Patches(p) => self.patches.push(p),
            Record::PatchFailed(f) => self.patch_failures.push(f),
        }
    }

    /// Results held.
    pub fn len(&self) -> usize {
        self.health.len() + self.patches.len() + self.patch_failures.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Patch data with one entry per host (the last), so a host's rows are replaced exactly once.
    pub fn patches_per_host(&self) -> Vec<PatchUpdate> {
        let mut last: HashMap<i64, usize> = HashMap::new();
        for (i, p) in self.patches.iter().enumerate() {
            last.insert(p.host_id, i);
        }
        let mut keep: Vec<usize> = last.into_values().collect();
        keep.sort_unstable();
        keep.into_iter().map(|i| self.patches[i].clone()).collect()
    }
}

/// Writes a batch in one transaction: host health columns, history rows, host patch columns, patch rows,
/// patch failures (in that order, so a failed fetch after a healthy check leaves the host yellow).
pub fn flush(conn: &mut PgConnection, b: &Batch) -> Result<(), ManagerError> {
    let patches = b.patches_per_host();
    let red: Vec<i64> = b
        .health
        .iter()
        .filter(|h| h.state == crate::db::models::poll_rows::HostState::Unreachable)
        .map(|h| h.host_id)
        .collect();
    conn.transaction(|conn| {
        // Hosts turning red now (not those red already) are e-mailed to who chose it.
        let turning = crate::notify::emit::not_yet_red(conn, &red);
        host_status::apply_health(conn, &HealthColumns::of(&b.health))?;
        for (id, hostname) in turning {
            if let Some(h) = b.health.iter().rev().find(|h| h.host_id == id) {
                let e = crate::notify::Event::HostRed {
                    host_id: id,
                    hostname,
                    reason: h.reason.clone(),
                };
                crate::notify::emit(conn, h.checked_at, &e);
            }
        }
        HostHealth::insert_many(conn, &b.health)?;
        host_status::apply_patches(conn, &PatchColumns::of(&patches))?;
        HostPatch::replace(conn, &patches)?;
        crate::db::models::first_seen::record(conn, &patches)?;
        host_status::apply_patch_failures(conn, &b.patch_failures)?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// Totals of a writer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Results written.
    pub written: usize,
    /// Transactions.
    pub flushes: usize,
    /// Results lost to database errors (logged).
    pub lost: usize,
}

async fn flush_async(db: &Db, batch: Batch, stats: &mut WriterStats) {
    let n = batch.len();
    let b = std::sync::Arc::new(batch);
    // A host removed during the sweep can fail a statement once; the retry skips it. While the database
    // is away the results wait for it (they are the agents' answers: no host is blamed for our outage).
    for attempt in 0..2 {
        let b = b.clone();
        match db
            .run_patient("poller: writing results", move |c| flush(c, &b))
            .await
        {
            Ok(()) => {
                stats.written += n;
                stats.flushes += 1;
                return;
            }
            Err(e) if attempt == 0 => log::warn!("poller: writing {n} results failed, retrying once: {e}"),
            Err(e) => log::error!("poller: {n} results not written: {e}"),
        }
    }
    stats.lost += n;
}

/// Receives results until every sender is gone, flushing by size and age; returns the totals.
pub async fn run(db: Db, mut rx: mpsc::Receiver<Record>) -> WriterStats {
    let mut stats = WriterStats::default();
    let mut batch = Batch::default();
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let tick = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            r = rx.recv() => match r {
                Some(rec) => {
                    if batch.is_empty() {
                        deadline = Some(tokio::time::Instant::now() + MAX_WAIT);
                    }
                    batch.push(rec);
                    if batch.len() >= MAX_ROWS {
                        flush_async(&db, std::mem::take(&mut batch), &mut stats).await;
                        deadline = None;
                    }
                }
                None => break,
            },
            () = tick => {
                flush_async(&db, std::mem::take(&mut batch), &mut stats).await;
                deadline = None;
            }
        }
    }
    if !batch.is_empty() {
        flush_async(&db, batch, &mut stats).await;
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poll::outcome::HostState;

    fn patch(host_id: i64, kernel: &str) -> PatchUpdate {
        PatchUpdate {
            host_id,
            checked_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            kernel: kernel.into(),
            os: String::new(),
            machine_id: String::new(),
            backend: String::new(),
            reboot_required: "unknown",
            reboot_reason: String::new(),
            patches: vec![],
        }
    }

    #[test]
    fn a_batch_keeps_every_attempt_and_the_last_patch_data_per_host() {
        let mut b = Batch::default();
        assert!(b.is_empty());
        b.push(Record::Patches(patch(1, "old")));
        b.push(Record::Patches(patch(2, "x")));
        b.push(Record::Patches(patch(1, "new")));
        b.push(Record::Health(HealthUpdate {
            host_id: 1,
            checked_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            state: HostState::Healthy,
            reason: String::new(),
            failures: 0,
            retry_at: None,
            answered: true,
            agent_version: None,
            backend: None,
            latency_ms: None,
        }));
        assert_eq!(b.len(), 4);
        let per_host = b.patches_per_host();
        let kernels: Vec<(i64, &str)> = per_host.iter().map(|p| (p.host_id, p.kernel.as_str())).collect();
        assert_eq!(kernels, [(2, "x"), (1, "new")]);
    }
}
