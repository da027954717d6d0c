//! One sweep: pick the due hosts, check their health with bounded concurrency, then fetch patch data from
//! those that answered and are due, every result going through the batched writer. Runs on one actix
//! arbiter (awc is `!Send`), so the shared state is `Rc`/`RefCell`.

pub use super::deps::PollDeps;
use super::outcome::{health_update, patch_failure, patch_update};
use super::schedule::{self, Policy};
use super::status::{PhaseReport, PollerStatus, Running, SweepReport};
pub use super::targets::{due_for_health, Target};
use super::writer::{self, Record};
use crate::agents::{AgentClient, AgentError};
use crate::db::models::health::HostHealth;
use crate::db::models::host_status::PollRow;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, Semaphore};

/// What a refresh or a forced sweep fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// Health only.
    Health,
    /// Health, then system info and patches from the hosts that answered.
    All,
}

/// The engine shared by the actor and its running sweeps and refreshes.
#[derive(Debug)]
pub struct Engine {
    state: PollDeps,
    policy: Cell<Policy>,
    sem: Arc<Semaphore>,
    concurrency: usize,
    /// What `GET /api/v1/poller` shows.
    pub status: RefCell<PollerStatus>,
    sweeping: Cell<bool>,
    paused: Cell<bool>,
    last_trust_error: Cell<Option<DateTime<Utc>>>,
}

impl Engine {
    /// An engine with `state` (settings from `state.cfg`).
    pub fn new(state: PollDeps) -> Rc<Self> {
        let concurrency = state.cfg.concurrency.clamp(1, 4096);
        let policy = Policy::of(&state.cfg);
        Rc::new(Self {
            state,
            policy: Cell::new(policy),
            sem: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            status: RefCell::new(PollerStatus::default()),
            sweeping: Cell::new(false),
            paused: Cell::new(false),
            last_trust_error: Cell::new(None),
        })
    }

    /// Whether sweeps pause: the manager's own database is away (said once per change).
    pub fn paused(&self) -> bool {
        let away = !self.state.db.available();
        if self.paused.replace(away) != away {
            if away {
                log::warn!("poller: paused while the database is unavailable (no host is marked for it)");
            } else {
                log::info!("poller: the database is back; sweeping again");
            }
        }
        away
    }

    /// Applies new polling intervals and health-history retention from the next sweep on (runtime settings).
    pub fn set_intervals(&self, health_secs: u64, patch_secs: u64, history_days: u32) {
        let mut p = self.policy.get();
        p.health_interval = chrono::Duration::seconds(i64::try_from(health_secs).unwrap_or(i64::MAX / 2_000));
        p.patch_interval = chrono::Duration::seconds(i64::try_from(patch_secs).unwrap_or(i64::MAX / 2_000));
        p.history = chrono::Duration::days(i64::from(history_days.max(1)));
        self.policy.set(p);
        log::info!("poller: health every {health_secs} s, patch data every {patch_secs} s, history {history_days} days");
    }

    /// The intervals in force.
    pub fn policy(&self) -> Policy {
        self.policy.get()
    }

    /// Whether a manager client certificate is loaded.
    pub fn trust_loaded(&self) -> bool {
        self.state.agents.trust_loaded()
    }

    fn now(&self) -> DateTime<Utc> {
        self.state.now()
    }

    /// A client with the trust in force, or why there is none (logged at most once per health interval).
    fn client(&self, hosts: usize) -> Result<AgentClient, String> {
        match self.state.agents.client() {
            Ok(client) => {
                self.status.borrow_mut().trust_loaded = true;
                Ok(client)
            }
            Err(_) => {
                self.status.borrow_mut().trust_loaded = false;
                let why = "no manager client certificate is loaded (the internal CA register has not \
                           issued one yet), so no agent can be polled"
                    .to_owned();
                let now = self.now();
                let quiet = self
                    .last_trust_error
                    .get()
                    .is_some_and(|t| now - t < self.policy.get().health_interval);
                if !quiet {
                    log::error!("poller: {why}; {hosts} hosts left as they are");
                    self.last_trust_error.set(Some(now));
                }
                Err(why)
            }
        }
    }

    /// One sweep: the due hosts (every host with `force`), health then patch data; prunes the history daily.
    pub async fn sweep(self: Rc<Self>, force: Option<What>) -> Result<SweepReport, ManagerError> {
        if self.sweeping.replace(true) {
            return Ok(SweepReport {
                skipped: Some("a sweep is already running".into()),
                ..SweepReport::default()
            });
        }
        let out = self.clone().sweep_inner(force).await;
        self.sweeping.set(false);
        self.status.borrow_mut().sweeping = false;
        let report = out?;
        let mut st = self.status.borrow_mut();
        st.last_skip = report.skipped.clone();
        if report.health.is_some() || report.patches.is_some() {
            st.sweeps_completed += 1;
        }
        if let Some(h) = &report.health {
            st.last_health_sweep = Some(h.clone());
        }
        if let Some(p) = &report.patches {
            st.last_patch_sweep = Some(p.clone());
        }
        Ok(report)
    }

    async fn sweep_inner(self: Rc<Self>, force: Option<What>) -> Result<SweepReport, ManagerError> {
        self.status.borrow_mut().sweeping = true;
        let mut report = SweepReport {
            pruned: self.prune_if_due().await?,
            ..SweepReport::default()
        };
        let rows = self.state.db(|c| Ok(PollRow::all(c)?)).await?;
        let now = self.now();
        let health: Vec<Target> = match force {
            Some(_) => rows.iter().map(Target::of).collect(),
            None => due_for_health(&self.policy.get(), now, &rows),
        };
        let in_health: std::collections::HashSet<i64> = health.iter().map(|t| t.id).collect();
        let idle_due: Vec<Target> = match force {
            Some(_) => Vec::new(),
            None => rows
                .iter()
                .filter(|r| !in_health.contains(&r.id))
                .filter(|r| schedule::patches_due(&self.policy.get(), now, &r.timing()))
                .map(Target::of)
                .collect(),
        };
        if health.is_empty() && idle_due.is_empty() {
            return Ok(report);
        }
        let client = match self.client(health.len() + idle_due.len()) {
            Ok(c) => c,
            Err(why) => {
                report.skipped = Some(why);
                return Ok(report);
            }
        };
        let mut answered: Vec<(Target, DateTime<Utc>)> = Vec::new();
        if !health.is_empty() {
            let (phase, ok) = self.health_phase(&client, health, "sweep").await;
            report.health = Some(phase);
            answered = ok;
        }
        let now = self.now();
        let mut patches: Vec<Target> = match force {
            Some(What::Health) => Vec::new(),
            Some(What::All) => answered.into_iter().map(|(t, _)| t).collect(),
            None => answered
                .into_iter()
                .filter(|(t, at)| schedule::patches_due(&self.policy.get(), now, &t.answered_at(*at)))
                .map(|(t, _)| t)
                .collect(),
        };
        patches.extend(idle_due);
        if !patches.is_empty() {
            report.patches = Some(self.patch_phase(&client, patches, "sweep").await);
        }
        Ok(report)
    }

    /// Health (and with `All` patch data) of `ids` now, ignoring intervals and backoff; waits for the end.
    pub async fn refresh(self: Rc<Self>, ids: Vec<i64>, what: What) -> Result<PhaseReport, ManagerError> {
        let (client, targets) = self.clone().refresh_targets(ids).await?;
        Ok(self.refresh_run(client, targets, what).await)
    }

    /// Like [`Engine::refresh`] but returns once the hosts are known (how many), the run going on.
    pub async fn queue_refresh(self: Rc<Self>, ids: Vec<i64>, what: What) -> Result<usize, ManagerError> {
        let (client, targets) = self.clone().refresh_targets(ids).await?;
        let n = targets.len();
        if n > 0 {
            actix_rt::spawn(async move {
                self.refresh_run(client, targets, what).await;
            });
        }
        Ok(n)
    }

    async fn refresh_targets(
        self: Rc<Self>,
        ids: Vec<i64>,
    ) -> Result<(AgentClient, Vec<Target>), ManagerError> {
        let rows = self.state.db(move |c| Ok(PollRow::by_ids(c, &ids)?)).await?;
        let targets: Vec<Target> = rows.iter().map(Target::of).collect();
        let client = self.client(targets.len()).map_err(ManagerError::Refused)?;
        Ok((client, targets))
    }

    async fn refresh_run(&self, client: AgentClient, targets: Vec<Target>, what: What) -> PhaseReport {
        let started_at = self.now();
        let (health, answered) = self.health_phase(&client, targets, "refresh").await;
        let mut lost = health.lost;
        if what == What::All && !answered.is_empty() {
            let p = self
                .patch_phase(&client, answered.into_iter().map(|(t, _)| t).collect(), "refresh")
                .await;
            lost += p.lost;
        }
        let finished_at = self.now();
        let report = PhaseReport {
            started_at,
            finished_at,
            duration_ms: (finished_at - started_at).num_milliseconds(),
            lost,
            ..health
        };
        self.status.borrow_mut().last_refresh = Some(report.clone());
        report
    }

    /// `targets` with the fingerprints of the certificates issued to each (none when they cannot be read:
    /// such a host is then refused, never called unpinned).
    async fn with_pins(&self, mut targets: Vec<Target>) -> Vec<Target> {
        let ids: Vec<i64> = targets.iter().map(|t| t.id).collect();
        let now = self.now();
        match self
            .state
            .db
            .run_patient("poller: reading the hosts' certificates", move |c| {
                Ok(crate::db::models::Certificate::agent_pins(c, &ids, now)?)
            })
            .await
        {
            Ok(pairs) => {
                let mut by_host: std::collections::HashMap<i64, Vec<String>> = Default::default();
                for (h, f) in pairs {
                    by_host.entry(h).or_default().push(f);
                }
                for t in &mut targets {
                    t.pins = by_host.remove(&t.id).unwrap_or_default();
                }
            }
            Err(e) => log::error!("poller: cannot read the hosts' certificates: {e}"),
        }
        targets
    }

    async fn prune_if_due(&self) -> Result<usize, ManagerError> {
        let now = self.now();
        if !schedule::prune_due(self.status.borrow().last_prune_at, now) {
            return Ok(0);
        }
        let before = now - self.policy.get().history;
        let n = self.state.db(move |c| Ok(HostHealth::prune(c, before)?)).await?;
        let mut st = self.status.borrow_mut();
        st.last_prune_at = Some(now);
        st.last_prune_rows = n;
        if n > 0 {
            log::info!("poller: pruned {n} health rows older than {before}");
        }
        Ok(n)
    }

    /// Runs `job` over `targets` with bounded concurrency, results into a fresh writer; the report ends
    /// when the writer has written the last result.
    async fn phase<F, Fut>(
        &self,
        phase: &'static str,
        kind: &'static str,
        targets: Vec<Target>,
        job: F,
    ) -> (PhaseReport, Vec<(Target, DateTime<Utc>)>)
    where
        F: Fn(Target) -> Fut,
        Fut: std::future::Future<Output = (Target, Record, bool)>,
    {
        let started_at = self.now();
        let hosts = targets.len();
        let running = Running {
            phase,
            kind,
            started_at,
            hosts,
        };
        self.status.borrow_mut().running.push(running.clone());
        let (tx, rx) = mpsc::channel::<Record>(writer::MAX_ROWS * 2);
        let writer = actix_rt::spawn(writer::run(self.state.db.clone(), rx));
        let sem = self.sem.clone();
        let mut results = futures_util::stream::iter(targets)
            .map(|t| {
                let sem = sem.clone();
                let fut = job(t);
                async move {
                    let _permit = sem.acquire_owned().await.ok();
                    fut.await
                }
            })
            .buffer_unordered(self.concurrency);
        let (mut ok, mut failed, mut answered) = (0, 0, Vec::new());
        while let Some((t, rec, good)) = results.next().await {
            if good {
                ok += 1;
                let at = match &rec {
                    Record::Health(h) => h.checked_at,
                    _ => self.now(),
                };
                answered.push((t, at));
            } else {
                failed += 1;
            }
            if tx.send(rec).await.is_err() {
                log::error!("poller: the writer stopped early");
            }
        }
        drop(tx);
        let stats = writer.await.unwrap_or_default();
        let finished_at = self.now();
        self.status.borrow_mut().running.retain(|r| r != &running);
        let report = PhaseReport {
            started_at,
            finished_at,
            hosts,
            ok,
            failed,
            duration_ms: (finished_at - started_at).num_milliseconds(),
            lost: stats.lost,
        };
        log::info!(
            "poller: {kind} {phase}: {hosts} hosts, {ok} ok, {failed} failed, {} ms, {} transactions",
            report.duration_ms,
            stats.flushes
        );
        (report, answered)
    }

    async fn health_phase(
        &self,
        client: &AgentClient,
        targets: Vec<Target>,
        kind: &'static str,
    ) -> (PhaseReport, Vec<(Target, DateTime<Utc>)>) {
        let policy = self.policy.get();
        let state = self.state.clone();
        let targets = self.with_pins(targets).await;
        let _ = client;
        self.phase("health", kind, targets, move |t| {
            let state = state.clone();
            async move {
                let t0 = Instant::now();
                let r = match (&t.addr, state.agents.client_pinned(&t.pins)) {
                    (Ok(a), Ok(client)) => client.connect().health(*a).await,
                    (Ok(_), Err(e)) => Err(AgentError(e)),
                    (Err(e), _) => Err(AgentError(e.clone())),
                };
                let ms = t0.elapsed().as_millis();
                let u = health_update(&policy, state.now(), t.id, t.timing.failures, r.as_ref(), ms);
                let ok = r.is_ok();
                (t, Record::Health(u), ok)
            }
        })
        .await
    }

    async fn patch_phase(
        &self,
        client: &AgentClient,
        targets: Vec<Target>,
        kind: &'static str,
    ) -> PhaseReport {
        let policy = self.policy.get();
        let state = self.state.clone();
        let targets = self.with_pins(targets).await;
        let _ = client;
        self.phase("patches", kind, targets, move |t| {
            let state = state.clone();
            async move {
                let r = match (&t.addr, state.agents.client_pinned(&t.pins)) {
                    (Ok(a), Ok(client)) => {
                        let conn = client.connect();
                        match conn.system_info(*a).await {
                            Ok(info) => conn.patches(*a).await.map(|p| (info, p)),
                            Err(e) => Err(e),
                        }
                    }
                    (Ok(_), Err(e)) => Err(AgentError(e)),
                    (Err(e), _) => Err(AgentError(e.clone())),
                };
                let now = state.now();
                match r {
                    Ok((info, patches)) => (
                        t.clone(),
                        Record::Patches(patch_update(now, t.id, &info, &patches)),
                        true,
                    ),
                    Err(e) => (
                        t.clone(),
                        Record::PatchFailed(patch_failure(&policy, now, t.id, &e)),
                        false,
                    ),
                }
            }
        })
        .await
        .0
    }
}
