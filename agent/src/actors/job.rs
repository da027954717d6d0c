//! `Job`: one actor per running job; runs it (see `jobs::runner`) and reports `JobFinished` to the manager.

use super::job_manager::{JobFinished, JobManager};
use crate::jobs::runner::{self, RunDeps, RunInput};
use actix::prelude::*;

/// A running job.
pub struct Job {
    id: String,
    input: Option<RunInput>,
    deps: RunDeps,
    manager: Addr<JobManager>,
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
    pub fn new(id: String, input: RunInput, deps: RunDeps, manager: Addr<JobManager>) -> Self {
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
