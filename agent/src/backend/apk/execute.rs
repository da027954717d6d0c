//! Running an operation's apk commands: global options, streamed output, progress, the time limit, and
//! the failures apk does not report by its exit code (`apk del` keeping a needed package).

use super::output::{failure_message, is_fetch_error, not_removed, Tracker};
use super::plan::{plan, refused, Prepared, Step};
use super::runner::{self, Ended};
use super::world::{read_world, WorldEntry};
use super::ApkBackend;
use crate::backend::{Operation, Progress, RunError, RunLimits};
use std::time::{Duration, Instant};

/// Prefix of the lines the agent itself adds to an operation's output.
const OWN: &str = "linux-patch-api:";

/// Global options of every changing apk run, after the configured extra arguments: never ask, and
/// wait up to `lock_timeout` for apk's database lock.
pub fn change_args(extra: &[String], lock_timeout: Duration, step: &[String]) -> Vec<String> {
    let mut a = extra.to_vec();
    a.extend([
        "--no-interactive".to_string(),
        "--wait".to_string(),
        lock_timeout.as_secs().to_string(),
    ]);
    a.extend(step.iter().cloned());
    a
}

/// The time an operation has: its limits and when it started (every apk command gets what is left).
#[derive(Debug, Clone, Copy)]
struct Budget<'a> {
    limits: &'a RunLimits,
    started: Instant,
}

impl Budget<'_> {
    fn left(&self) -> Duration {
        self.limits.timeout.saturating_sub(self.started.elapsed())
    }
}

impl ApkBackend {
    /// [`crate::backend::PackageBackend::execute`] for apk: one changing run at a time in this backend.
    pub(super) fn run_operation(
        &self,
        op: &Operation,
        limits: &RunLimits,
        progress: &mut dyn Progress,
    ) -> Result<(), RunError> {
        let started = Instant::now();
        let Some(_entered) = self.gate.enter(limits.lock_timeout) else {
            return Err(refused(format!(
                "another package operation of this agent was still running after {} s (lock timeout)",
                limits.lock_timeout.as_secs()
            )));
        };
        progress.percent(0, "starting");
        let (_, installed) = self.raw_packages().map_err(RunError::Backend)?;
        let steps = match plan(op, &installed, &|| self.security_names())? {
            Prepared::Run(steps) => steps,
            Prepared::Nothing(why) => {
                progress.line(&format!("{OWN} {why}"));
                progress.percent(100, "done");
                return Ok(());
            }
        };
        let world = read_world(&self.paths.world());
        let budget = Budget { limits, started };
        let result = self.run_steps(&steps, &world, budget, progress);
        self.invalidate();
        if result.is_ok() {
            progress.percent(100, "done");
        }
        result
    }

    fn run_steps(
        &self,
        steps: &[Step],
        world: &[WorldEntry],
        budget: Budget<'_>,
        progress: &mut dyn Progress,
    ) -> Result<(), RunError> {
        let mut tracker = Tracker::new(steps.len());
        for (i, step) in steps.iter().enumerate() {
            let (pct, phase) = tracker.start(i);
            progress.percent(pct, &phase);
            let lines = self.run_step(step, budget, &mut tracker, progress)?;
            if !step.removes.is_empty() {
                self.check_removed(step, &lines, world, budget, &mut tracker, progress)?;
            }
        }
        Ok(())
    }

    /// Runs one apk command with what is left of the time limit; its lines on success.
    fn run_step(
        &self,
        step: &Step,
        budget: Budget<'_>,
        tracker: &mut Tracker,
        progress: &mut dyn Progress,
    ) -> Result<Vec<String>, RunError> {
        let limits = budget.limits;
        let args = change_args(&self.extra_args, limits.lock_timeout, &step.args);
        progress.line(&format!("{OWN} apk {}", step.args.join(" ")));
        let mut lines: Vec<String> = Vec::new();
        let ended = runner::run(
            &self.program,
            &args,
            &self.child_env,
            budget.left(),
            &mut |_, line| {
                progress.line(line);
                if let Some((pct, phase)) = tracker.observe(line) {
                    progress.percent(pct, &phase);
                }
                lines.push(line.to_string());
            },
        )
        .map_err(RunError::Backend)?;
        match ended {
            Ended::Exited(status) if status.success() => Ok(lines),
            Ended::Exited(status) => Err(RunError::Failed {
                exit_code: status.code(),
                message: failure_message(&lines),
                fetch_error: is_fetch_error(&lines),
            }),
            Ended::TimedOut { output_closed } => {
                let secs = limits.timeout.as_secs();
                log::warn!("apk {} killed after {secs} s", step.args.join(" "));
                progress.line(&format!("{OWN} apk was killed after {secs} s (time limit)"));
                if !output_closed {
                    progress.line(&format!(
                        "{OWN} some processes apk started left its process group and are still running"
                    ));
                }
                Err(RunError::TimedOut)
            }
        }
    }

    /// After `apk del`: what it kept (it says so and exits 0) or what is still installed is a failure;
    /// the world entries `apk del` dropped for those packages are put back first.
    fn check_removed(
        &self,
        step: &Step,
        lines: &[String],
        world: &[WorldEntry],
        budget: Budget<'_>,
        tracker: &mut Tracker,
        progress: &mut dyn Progress,
    ) -> Result<(), RunError> {
        let said = not_removed(lines);
        let still: Vec<String> = match self.raw_packages() {
            Ok((_, now)) => now
                .iter()
                .filter(|p| step.removes.contains(&p.name))
                .map(|p| p.name.clone())
                .collect(),
            Err(e) => {
                log::warn!("cannot check what apk del removed: {e}");
                Vec::new()
            }
        };
        let mut kept: Vec<String> = Vec::new();
        for name in said.iter().map(|(n, _)| n).chain(still.iter()) {
            if step.removes.contains(name) && !kept.contains(name) {
                kept.push(name.clone());
            }
        }
        if kept.is_empty() {
            return Ok(());
        }
        let described: Vec<String> = kept
            .iter()
            .map(|n| match said.iter().find(|(s, _)| s == n) {
                Some((_, by)) if !by.is_empty() => format!("{n} (still needed by {by})"),
                _ => n.clone(),
            })
            .collect();
        let mut message = format!("apk del did not remove {}", described.join(", "));
        let entries: Vec<String> = world
            .iter()
            .filter(|e| kept.contains(&e.name))
            .map(|e| e.text.clone())
            .collect();
        if !entries.is_empty() {
            let mut operands = vec!["add".to_string(), "--".to_string()];
            operands.extend(entries.iter().cloned());
            let back = Step {
                args: operands,
                removes: Vec::new(),
            };
            match self.run_step(&back, budget, tracker, progress) {
                Ok(_) => message.push_str(&format!("; world entry {} put back", entries.join(" "))),
                Err(e) => {
                    log::warn!("cannot put back the world entries {entries:?}: {e}");
                    message.push_str(&format!("; putting back the world entry failed: {e}"));
                }
            }
        }
        Err(RunError::Failed {
            exit_code: Some(0),
            message,
            fetch_error: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::change_args;
    use std::time::Duration;

    #[test]
    fn global_options_follow_the_configured_ones() {
        let extra = vec!["--root".to_string(), "/r".to_string()];
        let step = vec!["add".to_string(), "--".to_string(), "x".to_string()];
        assert_eq!(
            change_args(&extra, Duration::from_secs(60), &step),
            [
                "--root",
                "/r",
                "--no-interactive",
                "--wait",
                "60",
                "add",
                "--",
                "x"
            ]
        );
    }
}
