//! The deployer's work, apart from its actor: claim due targets (lease + `SKIP LOCKED`), send each job to its
//! agent under `Idempotency-Key: <target>.<attempt>` with bounded concurrency, follow running jobs by id, and
//! write what became of each (`deploy::target` decides). Runs on one actix arbiter (awc is `!Send`).

mod one;

use crate::agents::{AgentConn, Agents};
use crate::db::models::deployment::Deployment;
use crate::db::models::deployment_claims::{self as claims, Claimed, Outcome};
use crate::db::models::Certificate;
use crate::db::Db;
use crate::deploy::target::{self, TargetState, LEASE};
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use linux_patch_shared::clock::SharedClock;
use serde::Serialize;
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

/// Targets claimed per batch, in multiples of the concurrency.
const CLAIM_WAVES: usize = 4;

/// What the engine needs, passed in explicitly.
#[derive(Clone)]
pub struct DispatchDeps {
    /// The database.
    pub db: Db,
    /// Where time comes from.
    pub clock: SharedClock,
    /// Agent clients (trust in force, timeout).
    pub agents: Agents,
    /// This process's name in leases (unique per process).
    pub owner: String,
    /// Agents called at once.
    pub concurrency: usize,
}

impl std::fmt::Debug for DispatchDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DispatchDeps")
            .field("owner", &self.owner)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Targets claimed.
    pub claimed: usize,
    /// Jobs the agents accepted.
    pub dispatched: usize,
    /// Targets that ended (succeeded, failed, missed their window, ...).
    pub ended: usize,
    /// Targets put back to wait (agent unreachable, retry due).
    pub again: usize,
    /// Running jobs looked at.
    pub followed: usize,
    /// Why the round did nothing, if it did not run.
    pub skipped: Option<String>,
}

/// What a round does to a claimed target.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Send its job.
    Dispatch,
    /// Look at its running job.
    Follow,
}

/// The engine shared by the actor and its rounds.
#[derive(Debug)]
pub struct Engine {
    deps: DispatchDeps,
    busy: Cell<bool>,
    concurrency: Cell<usize>,
}

impl Engine {
    /// An engine with `deps`.
    pub fn new(deps: DispatchDeps) -> Rc<Self> {
        let concurrency = Cell::new(deps.concurrency.clamp(1, 4096));
        Rc::new(Self {
            deps,
            busy: Cell::new(false),
            concurrency,
        })
    }

    /// Agents called at once from the next round on (runtime settings).
    pub fn set_concurrency(&self, n: usize) {
        self.concurrency.set(n.clamp(1, 4096));
        log::info!("deployer: {} agents at once", self.concurrency.get());
    }

    /// Agents called at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency.get()
    }

    fn now(&self) -> DateTime<Utc> {
        self.deps.clock.now()
    }

    /// One round: dispatch every due target (unless `follow_only`), then follow every running job; rounds
    /// never overlap.
    pub async fn round(self: Rc<Self>, follow_only: bool) -> Result<Report, ManagerError> {
        if self.busy.replace(true) {
            return Ok(Report {
                skipped: Some("a round is already running".into()),
                ..Report::default()
            });
        }
        let out = self.clone().round_inner(follow_only).await;
        self.busy.set(false);
        if let Ok(r) = &out {
            if r.claimed > 0 || r.ended > 0 {
                log::info!(
                    "deployer {}: claimed {}, dispatched {}, ended {}, again {}, followed {}",
                    self.deps.owner,
                    r.claimed,
                    r.dispatched,
                    r.ended,
                    r.again,
                    r.followed
                );
            }
        }
        out
    }

    async fn round_inner(self: Rc<Self>, follow_only: bool) -> Result<Report, ManagerError> {
        let mut report = Report::default();
        if let Err(why) = self.deps.agents.client() {
            report.skipped = Some(why);
            return Ok(report);
        }
        // Claim a few times the concurrency at once so the calls stay `concurrency` deep while slow agents
        // finish (a batch of exactly `concurrency` waits for its slowest call before the next claim). Worst
        // case CLAIM_WAVES x the agent timeout must stay inside the lease: 4 x 10 s < 60 s.
        let limit = i64::try_from(self.concurrency.get() * CLAIM_WAVES).unwrap_or(256);
        for _ in 0..if follow_only { 0 } else { 1000 } {
            let (owner, now) = (self.deps.owner.clone(), self.now());
            let batch = self
                .deps
                .db
                .run(move |c| Ok(claims::claim_due(c, &owner, now, now + LEASE, limit)?))
                .await?;
            let n = batch.len();
            report.claimed += n;
            self.work(batch, &mut report, Step::Dispatch).await?;
            if i64::try_from(n).unwrap_or(0) < limit {
                break;
            }
        }
        // Each running target once per round, in id order (a job still running stays claimable by this
        // process, so without `after` the same first batch would be looked at again and again).
        let mut after = 0;
        for _ in 0..1000 {
            let (owner, now) = (self.deps.owner.clone(), self.now());
            let batch = self
                .deps
                .db
                .run(move |c| Ok(claims::claim_running(c, &owner, now, now + LEASE, after, limit)?))
                .await?;
            let n = batch.len();
            report.followed += n;
            after = batch.iter().map(|t| t.id).max().unwrap_or(after);
            self.work(batch, &mut report, Step::Follow).await?;
            if i64::try_from(n).unwrap_or(0) < limit || report.followed > 100_000 {
                break;
            }
        }
        Ok(report)
    }

    /// When the next target is due (pending targets of active deployments), if any.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, ManagerError> {
        self.deps.db.run(|c| Ok(claims::next_due(c)?)).await
    }

    /// Runs `step` on every claimed target, `concurrency` at once, and writes each outcome. Each host is
    /// called only if it presents a certificate the manager issued to it (its pins; none recorded: refused).
    async fn work(&self, batch: Vec<Claimed>, report: &mut Report, step: Step) -> Result<(), ManagerError> {
        let now = self.now();
        let ids: Vec<i64> = batch.iter().filter_map(|c| c.host_id).collect();
        let mut pins: HashMap<i64, Vec<String>> = HashMap::new();
        for (host, fp) in self
            .deps
            .db
            .run_patient("deployer: reading the hosts' certificates", move |c| {
                Ok(Certificate::agent_pins(c, &ids, now)?)
            })
            .await?
        {
            pins.entry(host).or_default().push(fp);
        }
        let agents = &self.deps.agents;
        let pins = &pins;
        let results: Vec<(Claimed, Outcome)> = futures_util::stream::iter(batch)
            .map(|c| async move {
                let host_pins = c.host_id.and_then(|h| pins.get(&h)).cloned().unwrap_or_default();
                let conn: Option<AgentConn> = agents.client_pinned(&host_pins).ok().map(|cl| cl.connect());
                match (step, conn) {
                    (Step::Dispatch, Some(conn)) => one::dispatch(&conn, c, now).await,
                    (Step::Follow, Some(conn)) => one::follow(&conn, c, now).await,
                    (Step::Dispatch, None) => one::no_trust(c, now),
                    (Step::Follow, None) => one::not_followed(c),
                }
            })
            .buffer_unordered(self.concurrency.get())
            .collect()
            .await;
        let owner = self.deps.owner.clone();
        let mut touched: Vec<i64> = Vec::new();
        for (c, o) in &results {
            match o {
                Outcome::Dispatched { .. } => report.dispatched += 1,
                Outcome::Ended { .. } => report.ended += 1,
                Outcome::Again { .. } => report.again += 1,
                Outcome::Progress { .. } => {}
            }
            if matches!(o, Outcome::Ended { .. } | Outcome::Again { .. }) {
                touched.push(c.deployment_id);
            }
        }
        touched.sort_unstable();
        touched.dedup();
        // The jobs are with the agents now: what became of them is written even if the database is away
        // for a while (waiting for it), so no target is lost or sent again because of the manager's outage.
        let results = std::sync::Arc::new(results);
        self.deps
            .db
            .run_patient("deployer: recording what the agents answered", move |c| {
                let outcomes: Vec<(i64, &Outcome)> = results.iter().map(|(t, o)| (t.id, o)).collect();
                claims::record_all(c, &owner, &outcomes, now)?;
                for (claimed, outcome) in results.iter() {
                    if let Outcome::Ended { state, error, .. } = outcome {
                        if TargetState::parse(state).is_some_and(TargetState::is_failure) {
                            crate::notify::emit::target_failed(c, now, claimed.id, error);
                        }
                    }
                    if let (Outcome::Ended { state, .. }, "rollback") = (outcome, claimed.operation.as_str())
                    {
                        if *state == "succeeded" {
                            rolled_back(c, claimed, now)?;
                        }
                    }
                }
                for id in &touched {
                    settle(c, *id, now)?;
                }
                Ok(())
            })
            .await
    }

    /// Whether the database is there (rounds pause while it is not).
    pub fn db_available(&self) -> bool {
        self.deps.db.available()
    }
}

/// A rollback target succeeded: the target it undid becomes `rolled_back`.
fn rolled_back(c: &mut diesel::PgConnection, t: &Claimed, now: DateTime<Utc>) -> Result<(), ManagerError> {
    use crate::db::schema::deployments as d;
    use diesel::prelude::*;
    let undone: Option<i64> = d::table.find(t.deployment_id).select(d::rollback_of).first(c)?;
    if let (Some(undone), Some(host), Some(job)) = (undone, t.host_id, t.agent_job_id.as_deref()) {
        claims::mark_rolled_back(c, undone, host, job, now)?;
    }
    Ok(())
}

/// `finished` once every target of deployment `id` ended; `paused` when its stop rule trips.
fn settle(c: &mut diesel::PgConnection, id: i64, now: DateTime<Utc>) -> Result<(), ManagerError> {
    let counts = Deployment::counts(c, id)?;
    let state = |s: &String| TargetState::parse(s);
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let open: i64 = counts
        .iter()
        .filter(|(s, _)| !state(s).is_some_and(TargetState::is_final))
        .map(|(_, n)| n)
        .sum();
    let failed: i64 = counts
        .iter()
        .filter(|(s, _)| state(s).is_some_and(TargetState::is_failure))
        .map(|(_, n)| n)
        .sum();
    let dep = Deployment::find(c, crate::db::models::scope::Scope::All, id)?;
    let pct = dep.as_ref().and_then(|d| d.stop_failed_pct);
    if open == 0 {
        if claims::set_status(c, id, "finished", now)? {
            if let Some(d) = &dep {
                let e = crate::notify::Event::DeploymentFinished {
                    deployment: id,
                    created_by: d.created_by.clone(),
                    succeeded: total - failed,
                    failed,
                };
                crate::notify::emit(c, now, &e);
            }
        }
    } else if dep.is_some_and(|d| d.status == "active") && target::stop_rule_tripped(failed, total, pct) {
        claims::set_status(c, id, "paused", now)?;
        log::warn!("deployment #{id}: {failed} of {total} targets failed, more than {pct:?} %: paused");
    }
    Ok(())
}
