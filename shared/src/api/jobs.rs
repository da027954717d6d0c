//! Job DTOs of the agent API: jobs, their items and change sets, and the WebSocket events.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// `POST /packages`.
    Install,
    /// `PUT /packages/{name}`.
    Update,
    /// `DELETE /packages/{name}`.
    Remove,
    /// `POST /patches/apply`.
    ApplyPatches,
    /// `POST /system/reboot`.
    Reboot,
    /// `POST /jobs/{id}/rollback`.
    Rollback,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for a free slot (or for a rollback to finish).
    Queued,
    /// Running now.
    Running,
    /// Finished; everything asked for is done (possibly with no change). `completed` is read as an alias.
    #[serde(alias = "completed")]
    Succeeded,
    /// Finished with an error (for a batch: at least one item failed).
    Failed,
    /// Killed after the job timeout.
    TimedOut,
    /// The agent stopped while the job ran; its outcome was not observed.
    Interrupted,
    /// Succeeded earlier and was since undone by a rollback job.
    RolledBack,
}

impl JobStatus {
    /// Whether the job has ended.
    pub fn is_finished(self) -> bool {
        !matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

/// One requested package of a job and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobItem {
    /// Package name.
    pub name: String,
    /// Requested version, if pinned.
    pub version: Option<String>,
    /// `pending`, `done`, `no_change` or `failed`.
    pub outcome: ItemOutcome,
    /// Why it failed, in the package manager's words.
    pub message: Option<String>,
}

/// Outcome of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    /// Not run yet.
    Pending,
    /// Changed as asked.
    Done,
    /// Already as asked; nothing changed.
    NoChange,
    /// Could not be done.
    Failed,
}

/// A package version change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionChange {
    /// Package name.
    pub name: String,
    /// Architecture.
    pub architecture: String,
    /// Version before (null when it was not installed).
    pub from: Option<String>,
    /// Version after (null when it is no longer installed).
    pub to: Option<String>,
}

/// What a job changed: installed set before vs after.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSet {
    /// Newly installed (`from` null).
    pub installed: Vec<VersionChange>,
    /// No longer installed (`to` null).
    pub removed: Vec<VersionChange>,
    /// Moved to a higher version.
    pub upgraded: Vec<VersionChange>,
    /// Moved to a lower version.
    pub downgraded: Vec<VersionChange>,
}

impl ChangeSet {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.installed.is_empty()
            && self.removed.is_empty()
            && self.upgraded.is_empty()
            && self.downgraded.is_empty()
    }
}

/// A job as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Job {
    /// ULID.
    pub id: String,
    /// What it does.
    pub kind: JobKind,
    /// Where it is.
    pub status: JobStatus,
    /// The requested packages and their outcomes (empty for apply-all, reboot).
    pub items: Vec<JobItem>,
    /// Parameters as requested (flags such as `purge`, `security_only`, `delay_secs`).
    pub params: serde_json::Value,
    /// When it was accepted.
    pub created_at: DateTime<Utc>,
    /// When it started running.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// 0–100.
    pub progress: u8,
    /// Current phase in words.
    pub phase: String,
    /// Outcome summary or error.
    pub message: Option<String>,
    /// What changed (set when finished; null when the agent could not observe it).
    pub change_set: Option<ChangeSet>,
    /// For a rollback job: the job it undoes.
    pub rollback_of: Option<String>,
    /// The rollback job that undid this one.
    pub rolled_back_by: Option<String>,
    /// Request id of the request that created it.
    pub request_id: String,
    /// Client certificate identity that created it.
    pub client: Option<String>,
    /// The last lines of the package manager's output.
    pub output_tail: Vec<String>,
}

/// One event of a job, as sent on `GET /ws/jobs` (one JSON object per WebSocket text message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobEvent {
    /// The job.
    pub job_id: String,
    /// Per-job sequence number, from 1, without gaps.
    pub seq: u64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    #[serde(flatten)]
    pub event: JobEventKind,
}

/// The kinds of job events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum JobEventKind {
    /// Accepted and waiting.
    Queued {
        /// The job kind.
        kind: JobKind,
    },
    /// Started running.
    Started,
    /// Progress moved.
    Progress {
        /// 0–100.
        percent: u8,
        /// Phase in words.
        phase: String,
    },
    /// One line of the package manager's output.
    Output {
        /// The line.
        line: String,
    },
    /// Ended.
    Finished {
        /// Final status.
        status: JobStatus,
        /// What changed.
        change_set: Option<ChangeSet>,
        /// Outcome summary or error.
        message: Option<String>,
    },
}
