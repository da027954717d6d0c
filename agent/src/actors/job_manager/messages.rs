//! Messages of the `JobManager` and the typed functions callers use instead of raw `send`.

use super::JobManager;
use crate::error::AgentError;
use crate::jobs::record::JobSpec;
use crate::jobs::runner::JobUpdate;
use actix::prelude::*;
use linux_patch_shared::api::jobs::{Job, JobEvent, JobItem, JobKind, JobStatus};

/// Command: accept a job (or, with a known idempotency key, return the job that key created).
#[derive(Debug, Message)]
#[rtype(result = "Result<Job, AgentError>")]
pub struct StartJob {
    /// What kind of job.
    pub kind: JobKind,
    /// What it runs.
    pub spec: JobSpec,
    /// Requested items.
    pub items: Vec<JobItem>,
    /// Parameters as requested, for the record.
    pub params: serde_json::Value,
    /// Request id of the creating request.
    pub request_id: String,
    /// Client identity of the creating request.
    pub client: Option<String>,
    /// The client's `Idempotency-Key`.
    pub idempotency_key: Option<String>,
}

/// Query: one job.
#[derive(Debug, Message)]
#[rtype(result = "Option<Job>")]
pub struct GetJob {
    /// Job id.
    pub id: String,
}

/// Query: jobs, newest first, optionally filtered.
#[derive(Debug, Message)]
#[rtype(result = "Vec<Job>")]
pub struct ListJobs {
    /// Only this status.
    pub status: Option<JobStatus>,
    /// Only this kind.
    pub kind: Option<JobKind>,
}

/// An event delivered to a subscriber.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct JobEventMsg(pub JobEvent);

/// Command: deliver job events to `recipient` (all jobs, or one job with its past events replayed first).
#[derive(Debug, Message)]
#[rtype(result = "u64")]
pub struct Subscribe {
    /// Where to send events.
    pub recipient: Recipient<JobEventMsg>,
    /// Only this job.
    pub job: Option<String>,
}

/// Command: stop delivering to a subscription.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Unsubscribe {
    /// The id `Subscribe` returned.
    pub id: u64,
}

/// Event: a running job reported progress, output or its before-snapshot.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct JobProgressed {
    /// Job id.
    pub id: String,
    /// What it reported.
    pub update: JobUpdate,
}

pub use crate::actors::job::JobFinished;

fn gone(e: MailboxError) -> AgentError {
    AgentError::Internal(format!("job manager unavailable: {e}"))
}

/// Submits a job.
pub async fn start(addr: &Addr<JobManager>, msg: StartJob) -> Result<Job, AgentError> {
    addr.send(msg).await.map_err(gone)?
}

/// One job by id.
pub async fn get(addr: &Addr<JobManager>, id: String) -> Result<Option<Job>, AgentError> {
    addr.send(GetJob { id }).await.map_err(gone)
}

/// Jobs, newest first.
pub async fn list(
    addr: &Addr<JobManager>,
    status: Option<JobStatus>,
    kind: Option<JobKind>,
) -> Result<Vec<Job>, AgentError> {
    addr.send(ListJobs { status, kind }).await.map_err(gone)
}
