//! What the poller reports about itself (`GET /api/v1/poller`): the last health and patch-data sweeps, the
//! one running, on-demand refreshes, the last prune.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One finished phase of a sweep or refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PhaseReport {
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When its last result was written.
    pub finished_at: DateTime<Utc>,
    /// Hosts contacted.
    pub hosts: usize,
    /// Hosts that answered.
    pub ok: usize,
    /// Hosts that did not.
    pub failed: usize,
    /// `finished_at - started_at`, milliseconds.
    pub duration_ms: i64,
    /// Results lost to database errors (0 normally).
    pub lost: usize,
}

/// The phase under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Running {
    /// `health` or `patches`.
    pub phase: &'static str,
    /// `sweep` or `refresh`.
    pub kind: &'static str,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Hosts in it.
    pub hosts: usize,
}

/// The outcome of one sweep (a tick with due hosts, or a forced one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SweepReport {
    /// The health phase, when any host was due.
    pub health: Option<PhaseReport>,
    /// The patch-data phase, when any host was due.
    pub patches: Option<PhaseReport>,
    /// Health rows pruned by this sweep's daily prune.
    pub pruned: usize,
    /// Why nothing was polled, when nothing was.
    pub skipped: Option<String>,
}

/// The poller's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PollerStatus {
    /// Whether a manager client certificate is loaded (without one nothing is polled).
    pub trust_loaded: bool,
    /// Whether a sweep is under way.
    pub sweeping: bool,
    /// The phases under way (a sweep and refreshes).
    pub running: Vec<Running>,
    /// The last finished health sweep.
    pub last_health_sweep: Option<PhaseReport>,
    /// The last finished patch-data sweep.
    pub last_patch_sweep: Option<PhaseReport>,
    /// Sweeps finished since start (with at least one host).
    pub sweeps_completed: u64,
    /// The last finished on-demand refresh (all its phases together).
    pub last_refresh: Option<PhaseReport>,
    /// The last prune of the health history.
    pub last_prune_at: Option<DateTime<Utc>>,
    /// Rows it removed.
    pub last_prune_rows: usize,
    /// Why the last tick polled nothing, if it did not.
    pub last_skip: Option<String>,
}
