//! `JobManager`: accepts jobs, queues them (at most `max_concurrent` run; a rollback runs alone),
//! persists every record, starts one `Job` actor per job, and fans events out to subscribers.

mod handlers;
pub mod messages;

pub use messages::*;

use super::cache_refresher::{self, CacheRefresher};
use super::job::Job;
use super::rollback_lock::{AcquireLock, ReleaseLock, RollbackLock};
use crate::audit::Auditor;
use crate::audit_fields;
use crate::backend::{RunLimits, SharedBackend};
use crate::jobs::record::{JobRecord, JobSpec, JobStore};
use crate::jobs::runner::{IndexRefresh, JobUpdate, Report, RunDeps, RunInput};
use crate::jobs::schedule::{next_to_start, Slot};
use actix::prelude::*;
use futures_util::future::LocalBoxFuture;
use linux_patch_shared::api::jobs::{JobEvent, JobEventKind, JobStatus};
use linux_patch_shared::clock::SharedClock;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

/// Events kept per job for replay to late subscribers.
const EVENTS_PER_JOB: usize = 5000;
/// Finished jobs whose events stay replayable.
const REPLAYABLE_FINISHED_JOBS: usize = 64;

/// What the manager needs from the rest of the agent.
#[derive(Debug, Clone)]
pub struct ManagerDeps {
    /// Where records live.
    pub store: JobStore,
    /// Time.
    pub clock: SharedClock,
    /// Audit sink.
    pub auditor: Auditor,
    /// Package backend.
    pub backend: SharedBackend,
    /// Per-job limits.
    pub limits: RunLimits,
    /// Jobs at once.
    pub max_concurrent: usize,
    /// Finished jobs stay queryable this long.
    pub retention: chrono::Duration,
    /// Reboot command.
    pub reboot_command: Vec<String>,
    /// Index refresher.
    pub refresher: Addr<CacheRefresher>,
    /// Exclusive-mode lock.
    pub lock: Addr<RollbackLock>,
}

/// The job manager actor.
#[derive(Debug)]
pub struct JobManager {
    deps: ManagerDeps,
    records: HashMap<String, JobRecord>,
    queue: VecDeque<String>,
    running: Vec<String>,
    events: HashMap<String, Vec<JobEvent>>,
    finished_order: VecDeque<String>,
    subscribers: HashMap<u64, (Recipient<JobEventMsg>, Option<String>)>,
    next_subscriber: u64,
    idempotency: HashMap<String, String>,
}

struct RefresherHandle(Addr<CacheRefresher>);

impl IndexRefresh for RefresherHandle {
    fn refresh(&self) -> LocalBoxFuture<'static, Result<(), String>> {
        let addr = self.0.clone();
        Box::pin(async move { cache_refresher::refresh(&addr, "before applying patches").await })
    }
}

impl JobManager {
    /// A manager holding the records loaded from the store (interrupted ones already marked).
    pub fn new(deps: ManagerDeps, records: Vec<JobRecord>) -> Self {
        let idempotency = records
            .iter()
            .filter_map(|r| r.idempotency_key.clone().map(|k| (k, r.job.id.clone())))
            .collect();
        let records = records.into_iter().map(|r| (r.job.id.clone(), r)).collect();
        Self {
            deps,
            records,
            queue: VecDeque::new(),
            running: Vec::new(),
            events: HashMap::new(),
            finished_order: VecDeque::new(),
            subscribers: HashMap::new(),
            next_subscriber: 1,
            idempotency,
        }
    }

    fn save(&self, id: &str) {
        if let Some(r) = self.records.get(id) {
            if let Err(e) = self.deps.store.save(r) {
                log::error!("cannot persist job {id}: {e}");
            }
        }
    }

    /// Records and fans out one event of `id`.
    fn emit(&mut self, id: &str, event: JobEventKind) {
        let log = self.events.entry(id.to_owned()).or_default();
        let seq = log.last().map_or(1, |e| e.seq + 1);
        let ev = JobEvent {
            job_id: id.to_owned(),
            seq,
            at: self.deps.clock.now(),
            event,
        };
        if log.len() < EVENTS_PER_JOB || !matches!(ev.event, JobEventKind::Output { .. }) {
            log.push(ev.clone());
        }
        self.subscribers.retain(|_, (recipient, filter)| {
            if filter.as_deref().is_some_and(|f| f != id) {
                return true;
            }
            recipient.try_send(JobEventMsg(ev.clone())).is_ok()
        });
    }

    fn slot(&self, id: &str) -> Option<Slot<'_>> {
        let r = self.records.get(id)?;
        Some(Slot {
            id: r.job.id.as_str(),
            exclusive: matches!(r.spec, JobSpec::Rollback { .. }),
        })
    }

    /// Starts whatever the scheduler allows.
    fn schedule(&mut self, ctx: &mut Context<Self>) {
        let running: Vec<Slot<'_>> = self.running.iter().filter_map(|id| self.slot(id)).collect();
        let queue: VecDeque<Slot<'_>> = self.queue.iter().filter_map(|id| self.slot(id)).collect();
        let start: Vec<String> = next_to_start(&running, &queue, self.deps.max_concurrent)
            .into_iter()
            .map(str::to_owned)
            .collect();
        for id in start {
            self.queue.retain(|q| *q != id);
            self.start_job(&id, ctx);
        }
    }

    fn start_job(&mut self, id: &str, ctx: &mut Context<Self>) {
        let now = self.deps.clock.now();
        let Some(record) = self.records.get_mut(id) else {
            return;
        };
        record.job.status = JobStatus::Running;
        record.job.started_at = Some(now);
        record.job.phase = "starting".into();
        let spec = record.spec.clone();
        let items = record.job.items.clone();
        if matches!(spec, JobSpec::Rollback { .. }) {
            self.deps.lock.do_send(AcquireLock { job: id.to_owned() });
        }
        let target = match &spec {
            JobSpec::Rollback { target } => self.records.get(target),
            _ => None,
        };
        let target_change_set = target.and_then(|t| t.job.change_set.clone());
        let target_residual = target.map(|t| t.before_residual.clone()).unwrap_or_default();
        self.running.push(id.to_owned());
        self.save(id);
        self.emit(id, JobEventKind::Started);
        let manager = ctx.address();
        let job_id = id.to_owned();
        let report: Report = Arc::new(move |update: JobUpdate| {
            manager.do_send(JobProgressed {
                id: job_id.clone(),
                update,
            });
        });
        let deps = RunDeps {
            backend: self.deps.backend.clone(),
            limits: self.deps.limits,
            reboot_command: self.deps.reboot_command.clone(),
            refresher: Rc::new(RefresherHandle(self.deps.refresher.clone())),
            report,
        };
        Job::new(
            id.to_owned(),
            RunInput {
                spec,
                items,
                target_change_set,
                target_residual,
            },
            deps,
            ctx.address().recipient(),
        )
        .start();
    }

    fn audit_job(&self, event: &str, id: &str) {
        let Some(r) = self.records.get(id) else { return };
        let j = &r.job;
        self.deps.auditor.emit(
            if j.status == JobStatus::Failed || j.status == JobStatus::TimedOut {
                log::Level::Warn
            } else {
                log::Level::Info
            },
            event,
            audit_fields! {
                "job_id" => j.id, "kind" => j.kind, "status" => j.status, "client" => j.client,
                "request_id" => j.request_id, "items" => j.items, "params" => j.params,
                "change_set" => j.change_set, "message" => j.message, "rollback_of" => j.rollback_of,
            },
        );
    }

    /// Drops finished jobs older than the retention period (hourly).
    fn prune(&mut self) {
        let now = self.deps.clock.now();
        let retention = self.deps.retention;
        let old: Vec<String> = self
            .records
            .values()
            .filter(|r| r.job.status.is_finished() && r.job.finished_at.is_some_and(|t| now - t > retention))
            .map(|r| r.job.id.clone())
            .collect();
        for id in old {
            if let Err(e) = self.deps.store.remove(&id) {
                log::error!("cannot remove expired job {id}: {e}");
                continue;
            }
            if let Some(r) = self.records.remove(&id) {
                if let Some(k) = r.idempotency_key {
                    self.idempotency.remove(&k);
                }
            }
            self.events.remove(&id);
        }
    }

    fn forget_old_events(&mut self, finished: &str) {
        self.finished_order.push_back(finished.to_owned());
        while self.finished_order.len() > REPLAYABLE_FINISHED_JOBS {
            if let Some(old) = self.finished_order.pop_front() {
                self.events.remove(&old);
            }
        }
    }
}

impl Actor for JobManager {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Jobs stay ordered: resume nothing (interrupted ones were marked at load), prune hourly.
        self.prune();
        ctx.run_interval(std::time::Duration::from_secs(3600), |act, _| act.prune());
    }
}

/// Releases the exclusive lock of a rollback job (called when it finishes).
fn release(lock: &Addr<RollbackLock>, id: &str) {
    lock.do_send(ReleaseLock { job: id.to_owned() });
}
