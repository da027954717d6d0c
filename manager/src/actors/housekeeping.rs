//! The `Housekeeping` actor: owns the plan of chores (audit prune + verify, enrolment purge, certificate
//! renewal, operational-data prune) and runs what the Clock says is due, on a real-time tick; callers and tests use
//! [`HousekeepingHandle`] (`run_due`, `run_now`).

use crate::error::ManagerError;
use crate::housekeeping::chores::ChoreRunner;
use crate::housekeeping::{Chore, Plan};
use actix::prelude::*;
use linux_patch_shared::clock::SharedClock;
use std::rc::Rc;
use std::time::Duration;

/// Real time between checks of the plan (each check runs what is due by the Clock).
pub const TICK: Duration = Duration::from_secs(60);

/// What one chore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoreOutcome {
    /// Which chore.
    pub chore: Chore,
    /// What it did, or why it failed.
    pub result: Result<String, String>,
}

/// The actor.
pub struct Housekeeping {
    plan: Plan,
    clock: SharedClock,
    runner: Rc<dyn ChoreRunner>,
    tick: Option<Duration>,
}

impl Actor for Housekeeping {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if let Some(every) = self.tick {
            ctx.notify(RunChores { only: None });
            ctx.run_interval(every, |_, ctx| ctx.notify(RunChores { only: None }));
        }
    }
}

/// Command: run the chores due now (`only: None`) or one chore now whatever the plan says.
struct RunChores {
    only: Option<Chore>,
}

impl Message for RunChores {
    type Result = Vec<ChoreOutcome>;
}

impl Handler<RunChores> for Housekeeping {
    type Result = ResponseFuture<Vec<ChoreOutcome>>;

    fn handle(&mut self, msg: RunChores, _: &mut Self::Context) -> Self::Result {
        let now = self.clock.now();
        let chores = msg.only.map_or_else(|| self.plan.due(now), |c| vec![c]);
        for c in &chores {
            self.plan.ran(*c, now);
        }
        let runner = self.runner.clone();
        Box::pin(async move {
            let mut out = Vec::with_capacity(chores.len());
            for chore in chores {
                let result = runner.run(chore).await.map_err(|e| {
                    log::error!("housekeeping: {} failed: {e}", chore.name());
                    e.to_string()
                });
                out.push(ChoreOutcome { chore, result });
            }
            out
        })
    }
}

/// Query: when each chore is next due.
struct GetStatus;

impl Message for GetStatus {
    type Result = Plan;
}

impl Handler<GetStatus> for Housekeeping {
    type Result = MessageResult<GetStatus>;

    fn handle(&mut self, _: GetStatus, _: &mut Self::Context) -> Self::Result {
        MessageResult(self.plan.clone())
    }
}

/// Command: new retention periods (runtime settings) for the next prunes.
struct SetRetention(crate::settings::Retention);

impl Message for SetRetention {
    type Result = ();
}

impl Handler<SetRetention> for Housekeeping {
    type Result = ();

    fn handle(&mut self, m: SetRetention, _: &mut Self::Context) {
        self.runner.set_retention(m.0);
    }
}

/// How callers reach the running housekeeping actor.
#[derive(Debug, Clone)]
pub struct HousekeepingHandle {
    addr: Addr<Housekeeping>,
}

fn gone(e: MailboxError) -> ManagerError {
    ManagerError::Internal(format!("the housekeeping actor is not running: {e}"))
}

impl HousekeepingHandle {
    /// Runs the chores that are due by the Clock; answers when they are done.
    pub async fn run_due(&self) -> Result<Vec<ChoreOutcome>, ManagerError> {
        self.addr.send(RunChores { only: None }).await.map_err(gone)
    }

    /// Runs `chore` now (and plans its next run one period later).
    pub async fn run_now(&self, chore: Chore) -> Result<ChoreOutcome, ManagerError> {
        let mut out = self
            .addr
            .send(RunChores { only: Some(chore) })
            .await
            .map_err(gone)?;
        out.pop()
            .ok_or_else(|| ManagerError::Internal("the chore did not run".into()))
    }

    /// Retention periods for the next prunes (runtime settings).
    pub async fn set_retention(&self, r: crate::settings::Retention) -> Result<(), ManagerError> {
        self.addr.send(SetRetention(r)).await.map_err(gone)
    }

    /// When each chore is next due.
    pub async fn status(&self) -> Result<Plan, ManagerError> {
        self.addr.send(GetStatus).await.map_err(gone)
    }
}

/// Starts the actor on the current arbiter: the plan begins now (by `clock`); with `tick` it checks the
/// plan at once and then every `tick` (`None`: tests drive it with [`HousekeepingHandle::run_due`]).
pub fn start(clock: SharedClock, runner: Rc<dyn ChoreRunner>, tick: Option<Duration>) -> HousekeepingHandle {
    let plan = Plan::new(clock.now());
    let addr = Housekeeping {
        plan,
        clock,
        runner,
        tick,
    }
    .start();
    HousekeepingHandle { addr }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use futures_util::future::LocalBoxFuture;
    use linux_patch_shared::clock::{Clock, ManualClock};
    use std::cell::RefCell;
    use std::sync::Arc;

    /// Records which chores ran; fails the renewal when told to.
    #[derive(Default)]
    struct Recorder {
        ran: RefCell<Vec<Chore>>,
        fail_renewal: bool,
    }

    impl ChoreRunner for Recorder {
        fn run(&self, chore: Chore) -> LocalBoxFuture<'static, Result<String, ManagerError>> {
            self.ran.borrow_mut().push(chore);
            let fail = self.fail_renewal && chore == Chore::CertificateRenewal;
            Box::pin(async move {
                if fail {
                    Err(ManagerError::Database("connection refused".into()))
                } else {
                    Ok(format!("{} done", chore.name()))
                }
            })
        }
    }

    fn start_at(fail_renewal: bool) -> (HousekeepingHandle, ManualClock, Rc<Recorder>) {
        let t0: DateTime<Utc> = "2026-06-01T12:00:00Z".parse().unwrap();
        let clock = ManualClock::new(t0);
        let rec = Rc::new(Recorder {
            fail_renewal,
            ..Recorder::default()
        });
        let handle = start(Arc::new(clock.clone()), rec.clone(), None);
        (handle, clock, rec)
    }

    fn chores(out: &[ChoreOutcome]) -> Vec<Chore> {
        out.iter().map(|o| o.chore).collect()
    }

    #[actix_rt::test]
    async fn the_clock_decides_what_runs() {
        let (h, clock, rec) = start_at(false);
        let first = h.run_due().await.unwrap();
        assert_eq!(
            chores(&first),
            vec![
                Chore::Audit,
                Chore::EnrolmentPurge,
                Chore::SessionPrune,
                Chore::OperationalPrune,
                Chore::ComplianceSnapshot
            ]
        );
        assert!(first.iter().all(|o| o.result.is_ok()));
        assert!(h.run_due().await.unwrap().is_empty(), "nothing is due twice");

        clock.advance(chrono::Duration::minutes(59));
        assert!(h.run_due().await.unwrap().is_empty());
        clock.advance(chrono::Duration::minutes(1));
        assert_eq!(
            chores(&h.run_due().await.unwrap()),
            vec![
                Chore::EnrolmentPurge,
                Chore::SessionPrune,
                Chore::ComplianceSnapshot
            ]
        );

        clock.advance(chrono::Duration::hours(23));
        assert_eq!(
            chores(&h.run_due().await.unwrap()),
            vec![
                Chore::Audit,
                Chore::EnrolmentPurge,
                Chore::CertificateRenewal,
                Chore::SessionPrune,
                Chore::OperationalPrune,
                Chore::ComplianceSnapshot
            ]
        );
        assert_eq!(rec.ran.borrow().len(), 14);
    }

    #[actix_rt::test]
    async fn run_now_runs_one_chore_and_moves_its_plan() {
        let (h, clock, rec) = start_at(false);
        let out = h.run_now(Chore::CertificateRenewal).await.unwrap();
        assert_eq!(out.result, Ok("certificate renewal done".to_owned()));
        assert_eq!(*rec.ran.borrow(), vec![Chore::CertificateRenewal]);
        let plan = h.status().await.unwrap();
        assert_eq!(
            plan.next_due(Chore::CertificateRenewal),
            Some(clock.now() + chrono::Duration::days(1))
        );
    }

    #[actix_rt::test]
    async fn a_failing_chore_is_reported_and_does_not_stop_the_others() {
        let (h, clock, _rec) = start_at(true);
        h.run_due().await.unwrap();
        clock.advance(chrono::Duration::days(1));
        let out = h.run_due().await.unwrap();
        assert_eq!(out.len(), 6);
        let renewal = out.iter().find(|o| o.chore == Chore::CertificateRenewal).unwrap();
        assert!(renewal
            .result
            .as_ref()
            .unwrap_err()
            .contains("connection refused"));
        assert!(out
            .iter()
            .filter(|o| o.chore != Chore::CertificateRenewal)
            .all(|o| o.result.is_ok()));
        // Failed or not, it comes back a day later, not every tick.
        assert!(h.run_due().await.unwrap().is_empty());
    }
}
