//! The `Scheduler` actor: sleeps until the next target falls due (a window opens, a retry or a backoff
//! ends) — never polling every second — then has the deployer dispatch; looks again after every round,
//! when told (a deployment was created), and at least every minute (other manager processes). Tests drive it with [`SchedulerHandle::run_due`] after moving the clock.

use super::deployer::{self, DeployerHandle, RoundDone};
use crate::dispatch::{Engine, Report};
use crate::error::ManagerError;
use actix::prelude::*;
use chrono::{DateTime, Utc};
use linux_patch_shared::clock::SharedClock;
use std::rc::Rc;
use std::time::Duration;

/// Longest sleep: the plan is read again at least this often, so deployments created through another
/// manager process on the same database are seen within a minute.
pub const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Sleep after the plan could not be read.
pub const RETRY_SLEEP: Duration = Duration::from_secs(2);

/// The actor.
pub struct Scheduler {
    engine: Rc<Engine>,
    clock: SharedClock,
    deployer: DeployerHandle,
    ticking: bool,
    timer: Option<SpawnHandle>,
    next: Option<DateTime<Utc>>,
}

impl Actor for Scheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if self.ticking {
            self.look(ctx);
        }
    }
}

impl Scheduler {
    /// Reads when the next target is due and sleeps until then.
    fn look(&mut self, ctx: &mut Context<Self>) {
        let engine = self.engine.clone();
        ctx.spawn(
            actix::fut::wrap_future(async move { engine.next_due().await }).map(
                |due, act: &mut Self, ctx| {
                    let (due, failed) = match due {
                        Ok(d) => (d, false),
                        Err(e) => {
                            if !matches!(e, ManagerError::Unavailable(_)) {
                                log::error!("scheduler: cannot read the next due target: {e}");
                            }
                            (None, true)
                        }
                    };
                    act.next = due;
                    if let Some(t) = act.timer.take() {
                        ctx.cancel_future(t);
                    }
                    // After a failed read (the database away) look again soon, not in a minute.
                    let idle = if failed { RETRY_SLEEP } else { MAX_SLEEP };
                    let sleep = due.map_or(idle, |at| {
                        (at - act.clock.now())
                            .to_std()
                            .unwrap_or(Duration::ZERO)
                            .min(MAX_SLEEP)
                    });
                    if act.ticking {
                        act.timer = Some(ctx.run_later(sleep, |act, ctx| {
                            act.timer = None;
                            if act.next.is_some_and(|at| at <= act.clock.now()) {
                                act.deployer.kick();
                            } else {
                                act.look(ctx);
                            }
                        }));
                    }
                },
            ),
        );
    }
}

impl Handler<RoundDone> for Scheduler {
    type Result = ();

    fn handle(&mut self, done: RoundDone, ctx: &mut Self::Context) {
        if done.0.skipped.is_some() && self.ticking {
            // The round failed (the database away): look again shortly, not in a tight loop.
            if let Some(t) = self.timer.take() {
                ctx.cancel_future(t);
            }
            self.timer = Some(ctx.run_later(RETRY_SLEEP, |act, ctx| {
                act.timer = None;
                act.look(ctx);
            }));
            return;
        }
        self.look(ctx);
    }
}

/// Command: read the plan again (a deployment was created or cancelled).
struct LookAgain;

impl Message for LookAgain {
    type Result = ();
}

impl Handler<LookAgain> for Scheduler {
    type Result = ();

    fn handle(&mut self, _: LookAgain, ctx: &mut Self::Context) {
        self.look(ctx);
    }
}

/// Command: dispatch what is due now (tests, after moving the clock).
struct RunDue;

impl Message for RunDue {
    type Result = Result<Report, ManagerError>;
}

impl Handler<RunDue> for Scheduler {
    type Result = ResponseFuture<Result<Report, ManagerError>>;

    fn handle(&mut self, _: RunDue, _: &mut Self::Context) -> Self::Result {
        let d = self.deployer.clone();
        Box::pin(async move { d.round().await })
    }
}

/// Query: when the scheduler will wake the deployer next.
struct GetStatus;

impl Message for GetStatus {
    type Result = Option<DateTime<Utc>>;
}

impl Handler<GetStatus> for Scheduler {
    type Result = Option<DateTime<Utc>>;

    fn handle(&mut self, _: GetStatus, _: &mut Self::Context) -> Self::Result {
        self.next
    }
}

/// How callers reach the scheduler.
#[derive(Debug, Clone)]
pub struct SchedulerHandle {
    addr: Addr<Scheduler>,
}

fn gone(e: MailboxError) -> ManagerError {
    ManagerError::Internal(format!("the scheduler is not running: {e}"))
}

impl SchedulerHandle {
    /// Reads the plan again soon (after a deployment was created or cancelled); does not wait.
    pub fn look_again(&self) {
        self.addr.do_send(LookAgain);
    }

    /// Has the deployer dispatch everything due now and follow what runs; answers when written.
    pub async fn run_due(&self) -> Result<Report, ManagerError> {
        self.addr.send(RunDue).await.map_err(gone)?
    }

    /// When the next target falls due, as last read.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>, ManagerError> {
        self.addr.send(GetStatus).await.map_err(gone)
    }
}

/// Starts the scheduler and its deployer on the current arbiter (`ticking`: on their own; else only when
/// told); the end of every deployer round is also told to `also` (the relay). Returns both handles.
pub fn start(
    engine: Rc<Engine>,
    clock: SharedClock,
    ticking: bool,
    also: Vec<Recipient<RoundDone>>,
) -> (SchedulerHandle, DeployerHandle) {
    let ctx: Context<Scheduler> = Context::new();
    let mut after = vec![ctx.address().recipient()];
    after.extend(also);
    let deployer = deployer::start(engine.clone(), ticking.then_some(deployer::FOLLOW_TICK), after);
    let addr = ctx.run(Scheduler {
        engine,
        clock,
        deployer: deployer.clone(),
        ticking,
        timer: None,
        next: None,
    });
    (SchedulerHandle { addr }, deployer)
}
