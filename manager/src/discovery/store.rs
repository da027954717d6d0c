//! Scans in memory: kept an hour after they start, a bounded number at once, each visible to its owner
//! and to administrators only.

use crate::auth::rbac::Scope;
use crate::error::ManagerError;
use chrono::{DateTime, Duration, Utc};
use ipnet::Ipv4Net;
use serde::Serialize;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Mutex;
use ulid::Ulid;

/// How long a scan is kept.
pub const KEEP: Duration = Duration::hours(1);
/// Scans kept at most (the oldest finished one is dropped first).
pub const MAX_SCANS: usize = 64;
/// Scans running at the same time at most.
pub const MAX_RUNNING: usize = 4;
/// Scans one user may have running at the same time (so one user cannot take every slot).
pub const MAX_RUNNING_PER_USER: usize = 1;

/// What one address said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// An agent answered `GET /api/v1/health` over mTLS.
    Answered {
        /// Agent version.
        version: String,
        /// Its backend.
        backend: String,
    },
    /// Nothing usable answered.
    Silent {
        /// Why (connection refused, timed out after 2 s, TLS handshake failed: ...).
        reason: String,
    },
}

impl Probe {
    /// Whether an agent answered.
    pub fn answered(&self) -> bool {
        matches!(self, Probe::Answered { .. })
    }
}

/// One address and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    /// The address.
    pub address: Ipv4Addr,
    /// Its answer.
    pub probe: Probe,
}

/// One scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Its id.
    pub id: Ulid,
    /// Who started it.
    pub owner_id: i64,
    /// Their name.
    pub owner: String,
    /// The range.
    pub range: Ipv4Net,
    /// The agent port probed.
    pub port: u16,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When the last probe ended (None while running).
    pub finished_at: Option<DateTime<Utc>>,
    /// Results by address (empty while running).
    pub results: Vec<ProbeResult>,
}

/// A line of the scan list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ScanSummary {
    /// Id.
    pub id: String,
    /// Range.
    pub range: String,
    /// Port.
    pub port: u16,
    /// Who.
    pub owner: String,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Agents found.
    pub answered: usize,
}

impl Scan {
    /// Whether `viewer` (user id + scope) may see it: its owner, or an administrator.
    pub fn visible_to(&self, user_id: i64, scope: Scope) -> bool {
        scope.is_admin() || self.owner_id == user_id
    }

    /// The list line.
    pub fn summary(&self) -> ScanSummary {
        ScanSummary {
            id: self.id.to_string(),
            range: self.range.to_string(),
            port: self.port,
            owner: self.owner.clone(),
            started_at: self.started_at,
            finished_at: self.finished_at,
            answered: self.results.iter().filter(|r| r.probe.answered()).count(),
        }
    }
}

/// The scans of this process.
#[derive(Debug, Default)]
pub struct DiscoveryStore {
    scans: Mutex<HashMap<Ulid, Scan>>,
}

impl DiscoveryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Ulid, Scan>> {
        match self.scans.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn expire(map: &mut HashMap<Ulid, Scan>, now: DateTime<Utc>) {
        map.retain(|_, s| s.started_at + KEEP > now);
    }

    /// Records a new running scan; refused while the owner has [`MAX_RUNNING_PER_USER`] running, or while
    /// [`MAX_RUNNING`] run in all.
    pub fn begin(
        &self,
        owner_id: i64,
        owner: &str,
        range: Ipv4Net,
        port: u16,
        now: DateTime<Utc>,
    ) -> Result<Ulid, ManagerError> {
        let mut map = self.lock();
        Self::expire(&mut map, now);
        let running = |s: &&Scan| s.finished_at.is_none();
        if map
            .values()
            .filter(running)
            .filter(|s| s.owner_id == owner_id)
            .count()
            >= MAX_RUNNING_PER_USER
        {
            return Err(ManagerError::TooMany(format!(
                "you already have {MAX_RUNNING_PER_USER} discovery scan running; start another when it has finished"
            )));
        }
        if map.values().filter(running).count() >= MAX_RUNNING {
            return Err(ManagerError::TooMany(format!(
                "{MAX_RUNNING} discovery scans are running; start another when one has finished"
            )));
        }
        while map.len() >= MAX_SCANS {
            let oldest = map
                .values()
                .filter(|s| s.finished_at.is_some())
                .min_by_key(|s| s.started_at)
                .map(|s| s.id);
            match oldest {
                Some(id) => map.remove(&id),
                None => break,
            };
        }
        let id = Ulid::from_datetime(now.into());
        map.insert(
            id,
            Scan {
                id,
                owner_id,
                owner: owner.to_owned(),
                range,
                port,
                started_at: now,
                finished_at: None,
                results: Vec::new(),
            },
        );
        Ok(id)
    }

    /// Stores the results of scan `id`.
    pub fn finish(&self, id: Ulid, results: Vec<ProbeResult>, now: DateTime<Utc>) {
        if let Some(s) = self.lock().get_mut(&id) {
            s.results = results;
            s.finished_at = Some(now);
        }
    }

    /// Forgets scan `id` (it could not be audited).
    pub fn abandon(&self, id: Ulid) {
        self.lock().remove(&id);
    }

    /// Scan `id` if `user_id`/`scope` may see it and it has not expired.
    pub fn get(&self, id: Ulid, user_id: i64, scope: Scope, now: DateTime<Utc>) -> Option<Scan> {
        let mut map = self.lock();
        Self::expire(&mut map, now);
        map.get(&id).filter(|s| s.visible_to(user_id, scope)).cloned()
    }

    /// The scans `user_id`/`scope` may see, newest first.
    pub fn list(&self, user_id: i64, scope: Scope, now: DateTime<Utc>) -> Vec<ScanSummary> {
        let mut map = self.lock();
        Self::expire(&mut map, now);
        let mut v: Vec<&Scan> = map.values().filter(|s| s.visible_to(user_id, scope)).collect();
        v.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
        v.into_iter().map(Scan::summary).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap()
    }

    fn net() -> Ipv4Net {
        "10.0.0.0/30".parse().unwrap()
    }

    #[test]
    fn scans_belong_to_their_owner_and_expire() {
        let s = DiscoveryStore::new();
        let id = s.begin(7, "op", net(), 12443, t(0)).unwrap();
        assert!(s.get(id, 7, Scope::GroupsOf(7), t(1)).is_some());
        assert!(
            s.get(id, 8, Scope::GroupsOf(8), t(1)).is_none(),
            "another operator"
        );
        assert!(s.get(id, 1, Scope::All, t(1)).is_some(), "an administrator");
        assert_eq!(s.list(8, Scope::GroupsOf(8), t(1)).len(), 0);
        let r = ProbeResult {
            address: "10.0.0.1".parse().unwrap(),
            probe: Probe::Answered {
                version: "1".into(),
                backend: "apt".into(),
            },
        };
        s.finish(id, vec![r], t(3));
        assert_eq!(s.list(7, Scope::GroupsOf(7), t(4))[0].answered, 1);
        assert!(s.get(id, 7, Scope::GroupsOf(7), t(3599)).is_some());
        assert!(
            s.get(id, 7, Scope::GroupsOf(7), t(3600)).is_none(),
            "kept one hour"
        );
    }

    #[test]
    fn running_scans_are_bounded() {
        let s = DiscoveryStore::new();
        for i in 0..MAX_RUNNING {
            let n = i64::try_from(i).unwrap();
            s.begin(n, "a", net(), 1, t(n)).unwrap();
        }
        let e = s.begin(99, "b", net(), 1, t(10)).unwrap_err();
        assert!(matches!(e, ManagerError::TooMany(_)), "{e}");
    }

    #[test]
    fn one_user_cannot_take_every_slot() {
        let s = DiscoveryStore::new();
        let first = s.begin(1, "busy", net(), 1, t(0)).unwrap();
        let e = s.begin(1, "busy", net(), 1, t(1)).unwrap_err();
        assert!(e.to_string().contains("you already have"), "{e}");
        s.begin(2, "other", net(), 1, t(2))
            .expect("another user still scans");
        s.finish(first, Vec::new(), t(3));
        s.begin(1, "busy", net(), 1, t(4))
            .expect("free again once the first ended");
    }
}
