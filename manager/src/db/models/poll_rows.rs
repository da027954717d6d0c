//! The poller's results as the database takes them: host states, health and patch-data updates, pending
//! update rows, and the timing columns a sweep schedules from (computed in `poll/`, written here).

use chrono::{DateTime, Utc};

/// Most pending updates stored per host.
pub const MAX_PATCHES: usize = 20_000;

/// `hosts.state` values the poller writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostState {
    /// Answers, nothing wrong.
    Healthy,
    /// Yellow: the agent reports a problem, or a retry is pending.
    Degraded,
    /// Red: retries exhausted.
    Unreachable,
}

impl HostState {
    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            HostState::Healthy => "healthy",
            HostState::Degraded => "degraded",
            HostState::Unreachable => "unreachable",
        }
    }
}

/// The result of one health attempt, as written to `hosts` and `host_health`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthUpdate {
    /// Host id.
    pub host_id: i64,
    /// When the attempt ended.
    pub checked_at: DateTime<Utc>,
    /// New state.
    pub state: HostState,
    /// Why, in words ('' when healthy).
    pub reason: String,
    /// Consecutive failures after this attempt.
    pub failures: i32,
    /// No attempt before this (None after a success).
    pub retry_at: Option<DateTime<Utc>>,
    /// Whether the agent answered (then `last_seen_at = checked_at`).
    pub answered: bool,
    /// Agent version, when it answered.
    pub agent_version: Option<String>,
    /// Backend, when it answered.
    pub backend: Option<String>,
    /// Round-trip time of a successful attempt.
    pub latency_ms: Option<i32>,
}

/// One pending update as stored in `host_patches`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchRow {
    /// Package name.
    pub name: String,
    /// Architecture.
    pub architecture: String,
    /// Installed version (None for a new package).
    pub installed_version: Option<String>,
    /// Candidate version.
    pub candidate_version: String,
    /// Repository.
    pub repository: String,
    /// Security update.
    pub security: bool,
    /// Severity, where known.
    pub severity: Option<String>,
    /// CVE ids.
    pub cves: Vec<String>,
    /// What decided `security`.
    pub security_source: String,
}

/// A successful patch-data fetch (system info + pending updates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchUpdate {
    /// Host id.
    pub host_id: i64,
    /// When the fetch ended.
    pub checked_at: DateTime<Utc>,
    /// Running kernel.
    pub kernel: String,
    /// OS pretty name (or name + version).
    pub os: String,
    /// Machine id ('' = unknown; the stored one is kept).
    pub machine_id: String,
    /// Backend.
    pub backend: String,
    /// `yes`, `no` or `unknown`.
    pub reboot_required: &'static str,
    /// Why.
    pub reboot_reason: String,
    /// Pending updates (unique by name + architecture, at most [`MAX_PATCHES`]).
    pub patches: Vec<PatchRow>,
}

impl PatchUpdate {
    /// Number of pending updates.
    pub fn total(&self) -> i32 {
        i32::try_from(self.patches.len()).unwrap_or(i32::MAX)
    }

    /// Number of pending security updates.
    pub fn security(&self) -> i32 {
        i32::try_from(self.patches.iter().filter(|p| p.security).count()).unwrap_or(i32::MAX)
    }
}

/// A failed patch-data fetch from a host whose health answered: yellow with the reason, retried after the
/// first backoff step (the failure count is about reachability and stays as it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchFailure {
    /// Host id.
    pub host_id: i64,
    /// Why.
    pub reason: String,
    /// No patch attempt before this.
    pub retry_at: DateTime<Utc>,
}

/// The poller's columns of one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timing {
    /// Consecutive failed health attempts.
    pub failures: i32,
    /// Last health attempt.
    pub health_checked_at: Option<DateTime<Utc>>,
    /// Last successful patch-data fetch.
    pub patches_checked_at: Option<DateTime<Utc>>,
    /// No attempt before this.
    pub retry_at: Option<DateTime<Utc>>,
    /// Last successful contact.
    pub last_seen_at: Option<DateTime<Utc>>,
}
