//! `Job`: one actor per running job; runs it (see `jobs::runner`) and reports `JobFinished` to whoever
//! started it (a `Recipient`, so this file does not know the job manager).

use crate::jobs::runner::{self, RunDeps, RunInput, RunOutcome};
use actix::prelude::*;

/// Event: a job ended.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct JobFinished {
    /// Job id.
    pub id: String,
    /// How it ended.
    pub outcome: RunOutcome,
}

/// A running job.
pub struct Job {
    id: String,
    input: Option<RunInput>,
    deps: RunDeps,
    manager: Recipient<JobFinished>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Job {
    /// A job that reports to `manager` when done.
    pub fn new(id: String, input: RunInput, deps: RunDeps, manager: Recipient<JobFinished>) -> Self {
        Self {
            id,
            input: Some(input),
            deps,
            manager,
        }
    }
}

impl Actor for Job {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let Some(input) = self.input.take() else { return };
        let deps = self.deps.clone();
        ctx.spawn(
            runner::run(input, deps)
                .into_actor(self)
                .map(|outcome, act, ctx| {
                    act.manager.do_send(JobFinished {
                        id: act.id.clone(),
                        outcome,
                    });
                    ctx.stop();
                }),
        );
    }
}
