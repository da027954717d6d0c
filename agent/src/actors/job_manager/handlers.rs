//! The `JobManager`'s message handlers.

use super::messages::*;
use super::{release, JobManager};
use crate::error::AgentError;
use crate::jobs::record::{JobRecord, JobSpec};
use crate::jobs::runner::JobUpdate;
use actix::prelude::*;
use linux_patch_shared::api::jobs::{Job, JobEventKind, JobStatus};

impl JobManager {
    /// Why a rollback of `target` is refused, if it is.
    fn refuse_rollback(&self, target: &str) -> Option<AgentError> {
        let conflict = |code: &'static str, message: String| Some(AgentError::Conflict { code, message });
        let Some(t) = self.records.get(target) else {
            return Some(AgentError::NotFound {
                code: "JOB_NOT_FOUND",
                message: format!("no job {target}"),
            });
        };
        if !t.job.status.is_finished() {
            return conflict(
                "JOB_NOT_FINISHED",
                format!("job {target} is still {:?}", t.job.status).to_lowercase(),
            );
        }
        if t.job.status == JobStatus::RolledBack || t.job.rolled_back_by.is_some() {
            return conflict(
                "ALREADY_ROLLED_BACK",
                format!(
                    "job {target} was already rolled back by {}",
                    t.job.rolled_back_by.as_deref().unwrap_or("?")
                ),
            );
        }
        let pending = self.records.values().find(|r| {
            !r.job.status.is_finished() && matches!(&r.spec, JobSpec::Rollback { target: x } if x == target)
        });
        if let Some(p) = pending {
            return conflict(
                "ROLLBACK_PENDING",
                format!("rollback {} of job {target} is already queued", p.job.id),
            );
        }
        match &t.job.change_set {
            None => conflict(
                "NOTHING_TO_ROLL_BACK",
                format!("job {target} has no recorded change set"),
            ),
            Some(cs) if cs.is_empty() => {
                conflict("NOTHING_TO_ROLL_BACK", format!("job {target} changed nothing"))
            }
            Some(_) => None,
        }
    }
}

impl Handler<StartJob> for JobManager {
    type Result = Result<Job, AgentError>;

    fn handle(&mut self, msg: StartJob, ctx: &mut Context<Self>) -> Self::Result {
        if let Some(key) = &msg.idempotency_key {
            if let Some(existing) = self.idempotency.get(key).and_then(|id| self.records.get(id)) {
                return Ok(existing.job.clone());
            }
        }
        let rollback_of = match &msg.spec {
            JobSpec::Rollback { target } => {
                if let Some(refusal) = self.refuse_rollback(target) {
                    return Err(refusal);
                }
                Some(target.clone())
            }
            _ => None,
        };
        let id = ulid::Ulid::generate().to_string();
        let job = Job {
            id: id.clone(),
            kind: msg.kind,
            status: JobStatus::Queued,
            items: msg.items,
            params: msg.params,
            created_at: self.deps.clock.now(),
            started_at: None,
            finished_at: None,
            progress: 0,
            phase: "queued".into(),
            message: None,
            change_set: None,
            rollback_of,
            rolled_back_by: None,
            request_id: msg.request_id,
            client: msg.client,
            output_tail: Vec::new(),
        };
        let record = JobRecord {
            job: job.clone(),
            spec: msg.spec,
            before: None,
            before_residual: Vec::new(),
            idempotency_key: msg.idempotency_key,
        };
        self.deps
            .store
            .save(&record)
            .map_err(|e| AgentError::Internal(format!("cannot persist the job record: {e}")))?;
        if let Some(key) = &record.idempotency_key {
            self.idempotency.insert(key.clone(), id.clone());
        }
        self.records.insert(id.clone(), record);
        self.queue.push_back(id.clone());
        self.emit(&id, JobEventKind::Queued { kind: job.kind });
        self.audit_job("job.queued", &id);
        self.schedule(ctx);
        Ok(self.records.get(&id).map_or(job, |r| r.job.clone()))
    }
}

impl Handler<GetJob> for JobManager {
    type Result = Option<Job>;

    fn handle(&mut self, msg: GetJob, _: &mut Context<Self>) -> Self::Result {
        self.records.get(&msg.id).map(|r| r.job.clone())
    }
}

impl Handler<ListJobs> for JobManager {
    type Result = Vec<Job>;

    fn handle(&mut self, msg: ListJobs, _: &mut Context<Self>) -> Self::Result {
        let mut jobs: Vec<Job> = self
            .records
            .values()
            .filter(|r| msg.status.is_none_or(|s| r.job.status == s))
            .filter(|r| msg.kind.is_none_or(|k| r.job.kind == k))
            .map(|r| r.job.clone())
            .collect();
        jobs.sort_by(|a, b| b.id.cmp(&a.id));
        jobs
    }
}

impl Handler<Subscribe> for JobManager {
    type Result = u64;

    fn handle(&mut self, msg: Subscribe, _: &mut Context<Self>) -> u64 {
        let id = self.next_subscriber;
        self.next_subscriber += 1;
        if let Some(job) = &msg.job {
            // Replay in order, past the mailbox's bound: the log is bounded per job (EVENTS_PER_JOB), and a
            // replay cut short would leave the client waiting for events that never come.
            for ev in self.events.get(job).into_iter().flatten() {
                msg.recipient.do_send(JobEventMsg(ev.clone()));
            }
        }
        self.subscribers.insert(id, (msg.recipient, msg.job));
        id
    }
}

impl Handler<Unsubscribe> for JobManager {
    type Result = ();

    fn handle(&mut self, msg: Unsubscribe, _: &mut Context<Self>) {
        self.subscribers.remove(&msg.id);
    }
}

impl Handler<JobProgressed> for JobManager {
    type Result = ();

    fn handle(&mut self, msg: JobProgressed, _: &mut Context<Self>) {
        let Some(record) = self.records.get_mut(&msg.id) else {
            return;
        };
        match msg.update {
            JobUpdate::Before(snapshot, residual) => {
                record.before = Some(snapshot.into_iter().collect());
                record.before_residual = residual;
                self.save(&msg.id);
            }
            JobUpdate::Progress(percent, phase) => {
                let percent = percent.min(100).max(record.job.progress);
                record.job.progress = percent;
                record.job.phase = phase.clone();
                self.emit(&msg.id, JobEventKind::Progress { percent, phase });
            }
            JobUpdate::Output(line) => {
                record.push_output(&line);
                self.emit(&msg.id, JobEventKind::Output { line });
            }
        }
    }
}

impl Handler<JobFinished> for JobManager {
    type Result = ();

    fn handle(&mut self, msg: JobFinished, ctx: &mut Context<Self>) {
        let now = self.deps.clock.now();
        self.running.retain(|r| *r != msg.id);
        let Some(record) = self.records.get_mut(&msg.id) else {
            return;
        };
        let o = msg.outcome;
        record.job.status = o.status;
        record.job.items = o.items;
        record.job.change_set = o.change_set.clone();
        record.job.message = o.message.clone();
        record.job.finished_at = Some(now);
        record.job.phase = "finished".into();
        let is_rollback = matches!(record.spec, JobSpec::Rollback { .. });
        let target = record.job.rollback_of.clone();
        if is_rollback {
            release(&self.deps.lock, &msg.id);
        }
        if let (true, JobStatus::Succeeded, Some(t)) = (is_rollback, o.status, &target) {
            if let Some(tr) = self.records.get_mut(t) {
                tr.job.status = JobStatus::RolledBack;
                tr.job.rolled_back_by = Some(msg.id.clone());
            }
            self.save(t);
            self.emit(
                t,
                JobEventKind::Finished {
                    status: JobStatus::RolledBack,
                    change_set: None,
                    message: None,
                },
            );
        }
        self.save(&msg.id);
        self.emit(
            &msg.id,
            JobEventKind::Finished {
                status: o.status,
                change_set: o.change_set,
                message: o.message,
            },
        );
        self.audit_job("job.finished", &msg.id);
        self.forget_old_events(&msg.id);
        self.schedule(ctx);
    }
}
