//! The `Deployer` actor: runs rounds of the dispatch engine (send due jobs, follow running ones) one at a
//! time; follows running jobs every [`FOLLOW_TICK`] while any run. Callers use [`DeployerHandle`]
//! (`kick` after a change, `round` in tests); the [`super::scheduler`] wakes it when targets fall due.

use crate::dispatch::{Engine, Report};
use crate::error::ManagerError;
use actix::prelude::*;
use std::rc::Rc;
use std::time::Duration;

/// Real time between looks at running jobs.
pub const FOLLOW_TICK: Duration = Duration::from_secs(2);

/// The actor.
pub struct Deployer {
    engine: Rc<Engine>,
    tick: Option<Duration>,
    after_round: Vec<Recipient<RoundDone>>,
}

impl Actor for Deployer {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if let Some(every) = self.tick {
            ctx.run_interval(every, |act, ctx| {
                // Paused while the database is away: nothing is followed, so nothing times out or
                // fails because of the manager's own outage; the next tick after it resumes.
                if !act.engine.db_available() {
                    return;
                }
                let (engine, done) = (act.engine.clone(), act.after_round.clone());
                ctx.spawn(actix::fut::wrap_future(async move {
                    match engine.round(true).await {
                        Ok(r) if r.ended + r.again > 0 => notify(&done, r),
                        Ok(_) => {}
                        Err(e) => log::error!("deployer: following running jobs failed: {e}"),
                    }
                }));
            });
        }
    }
}

fn notify(to: &[Recipient<RoundDone>], r: Report) {
    for t in to {
        t.do_send(RoundDone(r.clone()));
    }
}

/// Event: a round ended (the scheduler then looks for the next due target).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct RoundDone(pub Report);

/// Command: dispatch what is due and follow what runs; answers when written.
struct StartRound;

impl Message for StartRound {
    type Result = Result<Report, ManagerError>;
}

impl Handler<StartRound> for Deployer {
    type Result = ResponseFuture<Result<Report, ManagerError>>;

    fn handle(&mut self, _: StartRound, _: &mut Self::Context) -> Self::Result {
        let (engine, done) = (self.engine.clone(), self.after_round.clone());
        Box::pin(async move {
            let r = match engine.round(false).await {
                Ok(r) => r,
                Err(e) => {
                    // The scheduler looks again after a short wait (the database may be away).
                    let failed = Report {
                        skipped: Some(format!("the round failed: {e}")),
                        ..Report::default()
                    };
                    notify(done.as_ref(), failed);
                    return Err(e);
                }
            };
            if r.skipped.is_none() {
                notify(&done, r.clone());
            }
            Ok(r)
        })
    }
}

/// Command: agents called at once from the next round on (runtime settings); answers with the value in force.
struct SetConcurrency(usize);

impl Message for SetConcurrency {
    type Result = usize;
}

impl Handler<SetConcurrency> for Deployer {
    type Result = usize;

    fn handle(&mut self, m: SetConcurrency, _: &mut Self::Context) -> usize {
        self.engine.set_concurrency(m.0);
        self.engine.concurrency()
    }
}

/// Query: agents called at once now.
struct GetConcurrency;

impl Message for GetConcurrency {
    type Result = usize;
}

impl Handler<GetConcurrency> for Deployer {
    type Result = usize;

    fn handle(&mut self, _: GetConcurrency, _: &mut Self::Context) -> usize {
        self.engine.concurrency()
    }
}

/// How callers reach the running deployer.
#[derive(Debug, Clone)]
pub struct DeployerHandle {
    addr: Addr<Deployer>,
    /// Started without a tick (tests): `kick` does nothing, rounds run only when asked.
    manual: bool,
}

impl DeployerHandle {
    /// Asks for a round soon (after a deployment was created or cancelled); does not wait. Manual
    /// deployers (tests) ignore it.
    pub fn kick(&self) {
        if self.manual {
            return;
        }
        let addr = self.addr.clone();
        actix::spawn(async move {
            match addr.send(StartRound).await {
                Ok(Ok(r)) => log::debug!("deployer: {r:?}"),
                Ok(Err(e)) => log::error!("deployer: round failed: {e}"),
                Err(e) => log::error!("deployer: not running: {e}"),
            }
        });
    }

    /// Sets how many agents the next rounds call at once; answers with the value in force.
    pub async fn set_concurrency(&self, n: usize) -> Result<usize, ManagerError> {
        self.addr
            .send(SetConcurrency(n))
            .await
            .map_err(|e| ManagerError::Internal(format!("the deployer is not running: {e}")))
    }

    /// How many agents the next round calls at once.
    pub async fn concurrency(&self) -> Result<usize, ManagerError> {
        self.addr
            .send(GetConcurrency)
            .await
            .map_err(|e| ManagerError::Internal(format!("the deployer is not running: {e}")))
    }

    /// Runs a round now and answers when it is written.
    pub async fn round(&self) -> Result<Report, ManagerError> {
        self.addr
            .send(StartRound)
            .await
            .map_err(|e| ManagerError::Internal(format!("the deployer is not running: {e}")))?
    }
}

/// Starts the deployer on the current arbiter; with `tick` it follows running jobs on its own; each round's
/// end is told to every one of `after_round` (the scheduler, the relay).
pub fn start(
    engine: Rc<Engine>,
    tick: Option<Duration>,
    after_round: Vec<Recipient<RoundDone>>,
) -> DeployerHandle {
    DeployerHandle {
        manual: tick.is_none(),
        addr: Deployer {
            engine,
            tick,
            after_round,
        }
        .start(),
    }
}
