//! `GET /jobs`, `GET /jobs/{id}`, `POST /jobs/{id}/rollback`, and the `GET /ws/jobs` WebSocket.

use super::ctx::Ctx;
use crate::actors::job_manager::{self, StartJob};
use crate::actors::ws::JobEventsSession;
use crate::error::AgentError;
use crate::jobs::record::JobSpec;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use linux_patch_shared::api::jobs::{JobKind, JobStatus};
use schemars::JsonSchema;
use serde::Deserialize;

/// Filters of `GET /jobs`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
    /// Only jobs in this state (`completed` is read as `succeeded`).
    pub status: Option<JobStatus>,
    /// Only jobs of this kind.
    pub kind: Option<JobKind>,
}

/// Query of `GET /ws/jobs`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WsQuery {
    /// Follow only this job (its past events are replayed first; the socket closes when it finishes).
    pub job: Option<String>,
}

fn check_id(id: &str) -> Result<(), AgentError> {
    if id.len() == 26 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(AgentError::invalid(
            "INVALID_JOB_ID",
            "a job id is a 26-character ULID",
        ))
    }
}

fn not_found(id: &str) -> AgentError {
    AgentError::NotFound {
        code: "JOB_NOT_FOUND",
        message: format!("no job {id}"),
    }
}

/// Lists jobs, newest first.
pub async fn list(ctx: Ctx, q: web::Query<JobQuery>) -> Result<HttpResponse, AgentError> {
    Ok(ctx.ok(job_manager::list(&ctx.state.actors.jobs, q.status, q.kind).await?))
}

/// One job.
pub async fn get(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AgentError> {
    check_id(&id)?;
    match job_manager::get(&ctx.state.actors.jobs, id.clone()).await? {
        Some(job) => Ok(ctx.ok(job)),
        None => Err(not_found(&id)),
    }
}

/// Undoes a finished job's change set in a new (exclusive) job.
pub async fn rollback(ctx: Ctx, id: web::Path<String>) -> Result<HttpResponse, AgentError> {
    check_id(&id)?;
    let target = id.into_inner();
    let job = job_manager::start(
        &ctx.state.actors.jobs,
        StartJob {
            kind: JobKind::Rollback,
            spec: JobSpec::Rollback {
                target: target.clone(),
            },
            items: Vec::new(),
            params: serde_json::json!({ "target": target }),
            request_id: ctx.request_id.to_string(),
            client: ctx.client.clone(),
            idempotency_key: ctx.idempotency_key.clone(),
        },
    )
    .await?;
    Ok(ctx.respond(StatusCode::ACCEPTED, job))
}

/// Upgrades to a WebSocket streaming job events.
pub async fn ws(
    ctx: Ctx,
    req: HttpRequest,
    q: web::Query<WsQuery>,
    stream: web::Payload,
) -> Result<HttpResponse, AgentError> {
    if let Some(id) = &q.job {
        check_id(id)?;
        if job_manager::get(&ctx.state.actors.jobs, id.clone())
            .await?
            .is_none()
        {
            return Err(not_found(id));
        }
    }
    let mut session = JobEventsSession::new(ctx.state.actors.jobs.clone(), q.job.clone());
    if let Some(peer) = req.peer_addr() {
        session = session.guarded(ctx.state.edge.clone(), peer.ip());
    }
    actix_web_actors::ws::start(session, &req, stream)
        .map_err(|e| AgentError::invalid("NOT_A_WEBSOCKET", format!("WebSocket upgrade refused: {e}")))
}
