//! The `Notifier` actor: offers the outbox's due e-mails to the SMTP server on a real-time tick (due by the Clock, so backoff is tested without sleeping); callers and tests use [`NotifierHandle::run_due`].

use crate::error::ManagerError;
use crate::notify::deliver::{self, DeliverDeps, Delivered};
use actix::prelude::*;
use std::time::Duration;

/// Real time between passes.
pub const TICK: Duration = Duration::from_secs(15);

/// The actor.
pub struct Notifier {
    deps: DeliverDeps,
    tick: Option<Duration>,
    busy: bool,
}

impl Actor for Notifier {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if let Some(every) = self.tick {
            ctx.run_interval(every, |act, ctx| {
                if act.busy || !act.deps.db.available() {
                    return;
                }
                act.busy = true;
                let deps = act.deps.clone();
                ctx.spawn(
                    actix::fut::wrap_future(async move { deliver::pass(&deps).await }).map(
                        |r, act: &mut Notifier, _| {
                            act.busy = false;
                            if let Err(e) = r {
                                log::error!("notifier: pass failed: {e}");
                            }
                        },
                    ),
                );
            });
        }
    }
}

/// Command: one pass now; answers when done.
struct RunDue;

impl Message for RunDue {
    type Result = Result<Delivered, ManagerError>;
}

impl Handler<RunDue> for Notifier {
    type Result = ResponseFuture<Result<Delivered, ManagerError>>;

    fn handle(&mut self, _: RunDue, _: &mut Self::Context) -> Self::Result {
        let deps = self.deps.clone();
        Box::pin(async move { deliver::pass(&deps).await })
    }
}

/// How callers reach the notifier.
#[derive(Debug, Clone)]
pub struct NotifierHandle {
    addr: Addr<Notifier>,
}

impl NotifierHandle {
    /// Offers the e-mails due by the Clock now and answers what became of them.
    pub async fn run_due(&self) -> Result<Delivered, ManagerError> {
        self.addr
            .send(RunDue)
            .await
            .map_err(|e| ManagerError::Internal(format!("the notifier is not running: {e}")))?
    }
}

/// Starts the notifier on the current arbiter (`tick`: on its own; `None`: only when told).
pub fn start(deps: DeliverDeps, tick: Option<Duration>) -> NotifierHandle {
    NotifierHandle {
        addr: Notifier {
            deps,
            tick,
            busy: false,
        }
        .start(),
    }
}
