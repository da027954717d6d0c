//! The changing side: running the planned pacman commands with streamed output, progress, pacman's lock
//! waited for, the time limit (and the lock a killed pacman leaves), plus `-Syy` and the obtainability check.

use super::plan::{plan, Facts, Plan, Step};
use super::progress::{failure_message, is_fetch_error, Tracker};
use super::query::{self, same_version, Target};
use super::runner::{self, Ended};
use super::{names, PacmanBackend};
use crate::backend::{BackendError, Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits};
use linux_patch_shared::api::agent::{Package, Patch};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Prefix of the lines the agent itself adds to an operation's output.
const OWN: &str = "linux-patch-api:";

/// How often pacman's lock file is looked at while another process holds it.
const LOCK_POLL: Duration = Duration::from_millis(100);

/// Options of every changing pacman run, after the operation: no questions, no progress bar (so the
/// per-package lines are printed), no colour codes.
pub const COMMON: [&str; 4] = ["--noconfirm", "--noprogressbar", "--color", "never"];

/// The full argument vector of one step: extra arguments, operation, [`COMMON`], `--`, operands.
pub fn step_args(extra: &[String], step: &Step) -> Vec<String> {
    let mut a = extra.to_vec();
    a.extend(step.op.iter().cloned());
    a.extend(COMMON.map(String::from));
    if !step.operands.is_empty() {
        a.push("--".into());
        a.extend(step.operands.iter().cloned());
    }
    a
}

fn refused(message: String) -> RunError {
    RunError::Failed {
        exit_code: None,
        message,
        fetch_error: false,
    }
}

/// The host as the plan sees it; repository lookups are asked of pacman once per name.
struct HostFacts<'a> {
    backend: &'a PacmanBackend,
    installed: Arc<Vec<Package>>,
    sync: RefCell<HashMap<String, Result<Option<Target>, String>>>,
}

impl Facts for HostFacts<'_> {
    fn installed(&self) -> &[Package] {
        &self.installed
    }

    fn sync(&self, name: &str) -> Result<Option<Target>, String> {
        if let Some(r) = self.sync.borrow().get(name) {
            return r.clone();
        }
        let r = self.backend.sync_lookup(name);
        self.sync.borrow_mut().insert(name.to_string(), r.clone());
        r
    }

    fn cached(&self, name: &str, version: &str) -> Option<PathBuf> {
        query::cached_file(&self.backend.paths.cachedirs, name, version)
    }

    fn upgrades(&self) -> Result<Arc<Vec<Patch>>, BackendError> {
        self.backend.upgrades()
    }

    fn audit_available(&self) -> bool {
        super::audit::program(&self.backend.env).is_some()
    }
}

impl PacmanBackend {
    /// What `pacman -S NAME` would install for `name` itself: `Ok(None)` when no repository has it.
    fn sync_lookup(&self, name: &str) -> Result<Option<Target>, String> {
        match query::sync_targets(&self.env, name, self.timeout).map_err(|e| e.to_string())? {
            Ok(targets) => Ok(targets.into_iter().find(|t| t.name == name)),
            Err(e) if e.contains("target not found") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Waits up to `wait` for pacman's lock file to disappear (pacman itself never waits for it).
    fn wait_unlocked(&self, started: Instant, wait: Duration) -> Result<(), String> {
        let lock = self.paths.lock();
        let (_keep, tick) = mpsc::channel::<()>();
        while lock.exists() {
            if started.elapsed() >= wait {
                return Err(format!(
                    "pacman's database is locked by another process ({} still present after {} s)",
                    lock.display(),
                    wait.as_secs()
                ));
            }
            // Nothing is ever sent: this only paces the polling.
            let _ = tick.recv_timeout(LOCK_POLL);
        }
        Ok(())
    }

    /// [`PackageBackend::execute`] for pacman: one changing run at a time in this backend, each step
    /// after pacman's lock is free (retried while `lock_timeout` lasts when another process took it first).
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
        let facts = HostFacts {
            backend: self,
            installed,
            sync: RefCell::new(HashMap::new()),
        };
        let Plan { steps, notes } = plan(op, &facts)?;
        for n in &notes {
            progress.line(&format!("{OWN} {n}"));
        }
        if steps.is_empty() {
            progress.line(&format!("{OWN} nothing to do"));
            progress.percent(100, "done");
            return Ok(());
        }
        let mut tracker = Tracker::default();
        for (i, step) in steps.iter().enumerate() {
            tracker.start_run(i, steps.len());
            if steps.len() > 1 {
                progress.line(&format!(
                    "{OWN} step {} of {}: pacman {}",
                    i + 1,
                    steps.len(),
                    step.op.join(" ")
                ));
            }
            self.run_step(step, started, limits, &mut tracker, progress)
                .map_err(|e| match e {
                    RunError::Failed {
                        exit_code,
                        message,
                        fetch_error,
                    } if i > 0 => RunError::Failed {
                        exit_code,
                        message: format!("{message} (the first {i} of {} steps were applied)", steps.len()),
                        fetch_error,
                    },
                    other => other,
                })?;
        }
        let (pct, phase) = tracker.finish();
        progress.percent(pct, phase);
        Ok(())
    }

    /// One pacman run of a plan, within what is left of the operation's time limit.
    fn run_step(
        &self,
        step: &Step,
        started: Instant,
        limits: &RunLimits,
        tracker: &mut Tracker,
        progress: &mut dyn Progress,
    ) -> Result<(), RunError> {
        let args = step_args(&self.env.extra_args, step);
        loop {
            self.wait_unlocked(started, limits.lock_timeout)
                .map_err(refused)?;
            let mut lines: Vec<String> = Vec::new();
            let ended = runner::run(
                "pacman",
                &args,
                &self.env.env,
                limits.timeout.saturating_sub(started.elapsed()),
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
                Ended::Exited(status) if status.success() => return Ok(()),
                Ended::Exited(_)
                    if lines.iter().any(|l| l.contains("unable to lock database"))
                        && self.paths.lock().exists()
                        && started.elapsed() < limits.lock_timeout =>
                {
                    // Another process took the lock between our look and pacman's start: wait again.
                    progress.line(&format!("{OWN} pacman's database was locked; waiting for it"));
                }
                Ended::Exited(status) => {
                    return Err(RunError::Failed {
                        exit_code: status.code(),
                        message: failure_message(&lines),
                        fetch_error: is_fetch_error(&lines),
                    })
                }
                Ended::TimedOut { output_closed } => {
                    self.after_kill(limits, output_closed, progress);
                    return Err(RunError::TimedOut);
                }
            }
        }
    }

    /// After pacman was killed: says so, and removes the lock file it left (this backend waited for the
    /// lock to be free before starting it and no other run of ours is going, so the lock is that run's).
    fn after_kill(&self, limits: &RunLimits, output_closed: bool, progress: &mut dyn Progress) {
        let secs = limits.timeout.as_secs();
        log::warn!("pacman killed after {secs} s (time limit)");
        progress.line(&format!("{OWN} pacman was killed after {secs} s (time limit)"));
        if !output_closed {
            progress.line(&format!(
                "{OWN} some processes pacman started left its process group and still run"
            ));
        }
        let lock = self.paths.lock();
        if lock.exists() {
            let line = match std::fs::remove_file(&lock) {
                Ok(()) => format!(
                    "removed {} left by the killed pacman; a transaction it had begun may be incomplete \
                     (check with pacman -Dk)",
                    lock.display()
                ),
                Err(e) => format!("cannot remove {} left by the killed pacman: {e}", lock.display()),
            };
            log::warn!("{line}");
            progress.line(&format!("{OWN} {line}"));
        }
    }

    /// `pacman [extra_args] -Syy` (always a forced refresh: `-Sy` compares database mtimes only to the
    /// second), killed after `timeout` (waiting for another run or for pacman's lock counts).
    pub(super) fn refresh(&self, timeout: Duration) -> Result<(), BackendError> {
        let started = Instant::now();
        let Some(_entered) = self.gate.enter(timeout) else {
            return Err(BackendError::Command(format!(
                "pacman -Syy: another package operation of this agent was still running after {} s",
                timeout.as_secs()
            )));
        };
        self.wait_unlocked(started, timeout)
            .map_err(|e| BackendError::Command(format!("pacman -Syy: {e}")))?;
        let step = Step {
            op: vec!["-Syy".to_string()],
            operands: Vec::new(),
        };
        let mut lines = Vec::new();
        let ended = runner::run(
            "pacman",
            &step_args(&self.env.extra_args, &step),
            &self.env.env,
            timeout.saturating_sub(started.elapsed()),
            &mut |_, l| lines.push(l.to_string()),
        )?;
        match ended {
            Ended::Exited(s) if s.success() => Ok(()),
            Ended::Exited(s) => Err(BackendError::Command(format!(
                "pacman -Syy failed ({s}): {}",
                failure_message(&lines)
            ))),
            Ended::TimedOut { .. } => {
                if self.paths.lock().exists() {
                    let _ = std::fs::remove_file(self.paths.lock());
                }
                Err(BackendError::Command(format!(
                    "pacman -Syy: timed out after {} s and was killed",
                    timeout.as_secs()
                )))
            }
        }
    }

    /// Whether `spec` could be installed now: already installed (at that version), offered by a
    /// repository (`pacman -Sp` dry run, dependencies included), or, for an exact version, its file in
    /// the package cache passes a `pacman -Up` dry run.
    pub(super) fn obtainable(&self, spec: &PackageSpec) -> Result<(), String> {
        names::validate_name(&spec.name).map_err(|e| format!("{:?}: {e}", spec.name))?;
        let (_, installed) = self.raw_packages().map_err(|e| e.to_string())?;
        let have = installed
            .iter()
            .find(|p| p.name == spec.name)
            .map(|p| p.version.clone());
        let Some(version) = &spec.version else {
            if have.is_some() {
                return Ok(());
            }
            return match query::sync_targets(&self.env, &spec.name, self.timeout)
                .map_err(|e| e.to_string())?
            {
                Ok(_) => Ok(()),
                Err(e) => Err(e),
            };
        };
        names::validate_version(version).map_err(|e| format!("{} {version:?}: {e}", spec.name))?;
        if have.as_deref().is_some_and(|h| same_version(h, version)) {
            return Ok(());
        }
        let offered = match self.sync_lookup(&spec.name) {
            Ok(Some(t)) if same_version(&t.version, version) => return Ok(()),
            Ok(Some(t)) => format!("the repositories offer {}", t.version),
            Ok(None) => "no repository has it".to_string(),
            Err(e) => e,
        };
        match query::cached_file(&self.paths.cachedirs, &spec.name, version) {
            Some(file) => query::file_targets(&self.env, &file, self.timeout)
                .map_err(|e| e.to_string())?
                .map(|_| ()),
            None => Err(format!(
                "{} {version} cannot be obtained: {offered}, and the package cache ({}) has no such file",
                spec.name,
                self.paths
                    .cachedirs
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}
