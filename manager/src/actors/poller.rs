//! The `Poller` actor: health every 5 minutes, patch data every 30, on demand; bounded concurrency,
//! per-host backoff, results written in batches. The actor only owns the tick and forwards to
//! [`crate::poll::sweep::Engine`]; callers use [`PollerHandle`].

use crate::error::ManagerError;
use crate::poll::status::{PhaseReport, PollerStatus, SweepReport};
use crate::poll::sweep::{Engine, PollDeps, What};
use actix::prelude::*;
use std::rc::Rc;
use std::time::Duration;

/// Real time between ticks (each tick sweeps the hosts that are due by the Clock).
pub const TICK: Duration = Duration::from_secs(5);

/// What an on-demand refresh fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Health only.
    Health,
    /// Health, system info and patch data.
    All,
}

impl From<Refresh> for What {
    fn from(r: Refresh) -> Self {
        match r {
            Refresh::Health => What::Health,
            Refresh::All => What::All,
        }
    }
}

/// The actor.
pub struct Poller {
    engine: Rc<Engine>,
    tick: Option<Duration>,
}

impl Actor for Poller {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if let Some(every) = self.tick {
            ctx.run_interval(every, |act, ctx| {
                if act.engine.paused() {
                    return;
                }
                let engine = act.engine.clone();
                ctx.spawn(actix::fut::wrap_future(async move {
                    if let Err(e) = engine.sweep(None).await {
                        log::error!("poller: sweep failed: {e}");
                    }
                }));
            });
        }
    }
}

/// Runs one sweep now: the due hosts, or every host with `Some(what)`; answers when it is written.
struct Sweep(Option<What>);

impl Message for Sweep {
    type Result = Result<SweepReport, ManagerError>;
}

impl Handler<Sweep> for Poller {
    type Result = ResponseFuture<Result<SweepReport, ManagerError>>;

    fn handle(&mut self, msg: Sweep, _: &mut Self::Context) -> Self::Result {
        Box::pin(self.engine.clone().sweep(msg.0))
    }
}

/// An on-demand refresh; `wait` answers when written, else once queued.
struct RefreshHosts {
    ids: Vec<i64>,
    what: What,
    wait: bool,
}

enum RefreshAnswer {
    Queued(usize),
    Done(PhaseReport),
}

impl Message for RefreshHosts {
    type Result = Result<RefreshAnswer, ManagerError>;
}

impl Handler<RefreshHosts> for Poller {
    type Result = ResponseFuture<Result<RefreshAnswer, ManagerError>>;

    fn handle(&mut self, m: RefreshHosts, _: &mut Self::Context) -> Self::Result {
        let engine = self.engine.clone();
        Box::pin(async move {
            if m.wait {
                engine.refresh(m.ids, m.what).await.map(RefreshAnswer::Done)
            } else {
                engine
                    .queue_refresh(m.ids, m.what)
                    .await
                    .map(RefreshAnswer::Queued)
            }
        })
    }
}

/// The status.
struct GetStatus;

impl Message for GetStatus {
    type Result = PollerStatus;
}

impl Handler<GetStatus> for Poller {
    type Result = MessageResult<GetStatus>;

    fn handle(&mut self, _: GetStatus, _: &mut Self::Context) -> Self::Result {
        let mut st = self.engine.status.borrow().clone();
        st.trust_loaded = self.engine.trust_loaded();
        MessageResult(st)
    }
}

/// Command: new intervals and health-history retention from the runtime settings.
struct SetIntervals {
    health_secs: u64,
    patch_secs: u64,
    history_days: u32,
}

impl Message for SetIntervals {
    type Result = crate::poll::schedule::Policy;
}

impl Handler<SetIntervals> for Poller {
    type Result = MessageResult<SetIntervals>;

    fn handle(&mut self, m: SetIntervals, _: &mut Self::Context) -> Self::Result {
        self.engine
            .set_intervals(m.health_secs, m.patch_secs, m.history_days);
        MessageResult(self.engine.policy())
    }
}

/// How callers reach the running poller (it exists from start-up on).
#[derive(Debug, Clone)]
pub struct PollerHandle {
    addr: Addr<Poller>,
}

fn gone(e: MailboxError) -> ManagerError {
    ManagerError::Internal(format!("the poller is not running: {e}"))
}

impl PollerHandle {
    /// Queues an immediate refresh of `host_ids` (ignoring their backoff); returns how many were queued.
    pub async fn refresh(&self, host_ids: Vec<i64>, what: Refresh) -> Result<usize, ManagerError> {
        let m = RefreshHosts {
            ids: host_ids,
            what: what.into(),
            wait: false,
        };
        match self.addr.send(m).await.map_err(gone)?? {
            RefreshAnswer::Queued(n) => Ok(n),
            RefreshAnswer::Done(r) => Ok(r.hosts),
        }
    }

    /// Refreshes `host_ids` now and answers when the results are written.
    pub async fn refresh_wait(&self, host_ids: Vec<i64>, what: Refresh) -> Result<PhaseReport, ManagerError> {
        let m = RefreshHosts {
            ids: host_ids,
            what: what.into(),
            wait: true,
        };
        match self.addr.send(m).await.map_err(gone)?? {
            RefreshAnswer::Done(r) => Ok(r),
            RefreshAnswer::Queued(_) => Err(ManagerError::Internal("refresh was queued, not run".into())),
        }
    }

    /// Runs a sweep of the hosts due now (by the Clock) and answers when it is written.
    pub async fn sweep_due(&self) -> Result<SweepReport, ManagerError> {
        self.addr.send(Sweep(None)).await.map_err(gone)?
    }

    /// Sweeps every host now (health, or health and patch data), recorded as a sweep.
    pub async fn sweep_all(&self, what: Refresh) -> Result<SweepReport, ManagerError> {
        self.addr.send(Sweep(Some(what.into()))).await.map_err(gone)?
    }

    /// Applies new polling intervals (seconds) and health-history retention (days) from the next sweep on;
    /// answers with the policy now in force.
    pub async fn set_intervals(
        &self,
        health_secs: u64,
        patch_secs: u64,
        history_days: u32,
    ) -> Result<crate::poll::schedule::Policy, ManagerError> {
        let m = SetIntervals {
            health_secs,
            patch_secs,
            history_days,
        };
        self.addr.send(m).await.map_err(gone)
    }

    /// The last sweeps, what is running, the last prune.
    pub async fn status(&self) -> Result<PollerStatus, ManagerError> {
        self.addr.send(GetStatus).await.map_err(gone)
    }
}

/// Starts the poller on the current actix arbiter with `deps`, ticking every `tick` (`None`: no automatic
/// sweeps — tests drive [`PollerHandle::sweep_due`]).
pub fn start(deps: PollDeps, tick: Option<Duration>) -> PollerHandle {
    let engine = Engine::new(deps);
    PollerHandle {
        addr: Poller { engine, tick }.start(),
    }
}
