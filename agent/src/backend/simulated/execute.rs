//! Runs a planned operation on the simulated host: apt-like output, monotonic progress, the host's seeded
//! durations (blocking the calling blocking-pool thread, like a real package manager), the time limit
//! (changes made before it stay, as with a killed apt), and one operation at a time (the "dpkg lock").

use super::catalogue::{Catalogue, SECURITY_SUITE, SUITE};
use super::host::HostState;
use super::plan::{self, Plan, Step};
use super::SimulatedBackend;
use crate::backend::{Operation, Progress, RunError, RunLimits};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// First output line of every operation, so nobody mistakes the output for a real package manager's.
pub const LABEL: &str = "[simulated] no package manager runs on this host: its packages are synthetic";

/// Blocks the calling thread for `d` (a timed wait on a channel nobody sends on; `thread::sleep` is
/// reserved for the clock module).
pub fn pause(d: Duration) {
    if d.is_zero() {
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let _ = rx.recv_timeout(d);
    drop(tx);
}

/// The simulated dpkg lock: one changing operation at a time per host.
#[derive(Debug, Default)]
pub struct Busy {
    held: Mutex<bool>,
    freed: Condvar,
}

/// Holding the lock; released on drop.
#[derive(Debug)]
pub struct BusyGuard<'a>(&'a Busy);

impl Busy {
    /// Takes the lock, waiting at most `wait`.
    pub fn acquire(&self, wait: Duration) -> Option<BusyGuard<'_>> {
        let held = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (mut held, timeout) = self
            .freed
            .wait_timeout_while(held, wait, |h| *h)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if timeout.timed_out() && *held {
            return None;
        }
        *held = true;
        Some(BusyGuard(self))
    }
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut h) = self.0.held.lock() {
            *h = false;
        }
        self.0.freed.notify_one();
    }
}

fn failed(message: String) -> RunError {
    RunError::Failed {
        exit_code: Some(100),
        message,
        fetch_error: false,
    }
}

struct Run<'a> {
    deadline: Instant,
    progress: &'a mut dyn Progress,
}

impl Run<'_> {
    /// Waits `d` unless that passes the deadline: then waits until it and reports the kill.
    fn wait(&mut self, d: Duration) -> Result<(), RunError> {
        let now = Instant::now();
        if now + d > self.deadline {
            pause(self.deadline.saturating_duration_since(now));
            self.progress
                .line("E: simulated package manager killed: the job's time limit passed");
            return Err(RunError::TimedOut);
        }
        pause(d);
        Ok(())
    }
}

fn deb_version(v: &str) -> &str {
    v.split_once(':').map_or(v, |(_, rest)| rest)
}

impl SimulatedBackend {
    /// See [`crate::backend::PackageBackend::execute`].
    pub(super) fn run_operation(
        &self,
        op: &Operation,
        limits: &RunLimits,
        progress: &mut dyn Progress,
    ) -> Result<(), RunError> {
        let deadline = Instant::now() + limits.timeout;
        let Some(_guard) = self.busy.acquire(limits.lock_timeout.min(limits.timeout)) else {
            return Err(failed(
                "Could not get lock /var/lib/dpkg/lock-frontend: another operation holds it (simulated)"
                    .into(),
            ));
        };
        progress.percent(0, "starting");
        progress.line(LABEL);
        for l in [
            "Reading package lists...",
            "Building dependency tree...",
            "Reading state information...",
        ] {
            progress.line(l);
        }
        let cat = &self.catalogue;
        let (planned, pending) = {
            let st = self.state();
            (plan::plan(cat, &st, op), st.pending(cat).count())
        };
        let plan = planned.map_err(|e| {
            progress.line(&format!("E: {e}"));
            failed(e)
        })?;
        let mut run = Run { deadline, progress };
        for n in &plan.notes {
            run.progress.line(n);
        }
        summary(cat, &plan, pending, run.progress);
        run.wait(self.scaled(self.profile.base_ms / 2))?;
        let fetches: Vec<(usize, u8)> = plan
            .steps
            .iter()
            .filter_map(|s| match *s {
                Step::Install { i, to } | Step::Change { i, to, .. } => Some((i, to)),
                Step::Remove { .. } => None,
            })
            .collect();
        let mut fetched_kb = 0u64;
        for (k, (i, to)) in fetches.iter().enumerate() {
            let Some(e) = cat.entry(*i) else { continue };
            let suite = if *to > 0 && e.update(*to).security {
                SECURITY_SUITE
            } else {
                SUITE
            };
            let kb = u64::from(e.size_kib / 3 + 1);
            fetched_kb += kb;
            let (arch, version) = (e.architecture(), e.version(*to));
            run.progress.line(&format!(
                "Get:{} http://deb.example.invalid/simulated {suite}/main {arch} {} {arch} {version} [{kb} kB]",
                k + 1,
                e.name
            ));
            let pct = u8::try_from(30 * (k + 1) / fetches.len()).unwrap_or(30);
            run.progress.percent(pct, "downloading");
            let share = self.profile.base_ms / 2 / fetches.len() as u64;
            run.wait(self.scaled(share))?;
        }
        if !fetches.is_empty() {
            run.progress.line(&format!("Fetched {fetched_kb} kB in 1s"));
        }
        for (k, step) in plan.steps.iter().enumerate() {
            run.wait(self.scaled(self.profile.per_package_ms))?;
            let phase = self.apply(cat, *step, run.progress);
            let pct = 30 + 69 * (k + 1) / plan.steps.len();
            run.progress.percent(u8::try_from(pct).unwrap_or(99), &phase);
        }
        run.progress.percent(100, "done");
        Ok(())
    }

    /// Makes one change to the state and prints dpkg's lines for it; returns the progress phase.
    fn apply(&self, cat: &Catalogue, step: Step, progress: &mut dyn Progress) -> String {
        let (i, from, to) = match step {
            Step::Install { i, to } => (i, None, Some(to)),
            Step::Change { i, from, to } => (i, Some(from), Some(to)),
            Step::Remove { i, .. } => (i, self.state().installed(i), None),
        };
        let Some(e) = cat.entry(i) else {
            return "skipped".into();
        };
        let name = &e.name;
        let phase = match (from, to, step) {
            (_, None, Step::Remove { purge, .. }) => {
                let v = e.version(from.unwrap_or(e.variants.saturating_sub(1)));
                if from.is_some() {
                    progress.line(&format!("Removing {name} ({v}) ..."));
                }
                if purge {
                    progress.line(&format!("Purging configuration files for {name} ({v}) ..."));
                }
                self.mutate(|st| st.remove(i, purge));
                format!("removing {name}")
            }
            (_, None, _) => return "skipped".into(),
            (from, Some(to), _) => {
                let v = e.version(to);
                if from.is_none() {
                    progress.line(&format!("Selecting previously unselected package {name}."));
                }
                let arch = e.architecture();
                progress.line(&format!(
                    "Preparing to unpack .../{name}_{}_{arch}.deb ...",
                    deb_version(&v)
                ));
                match from {
                    Some(f) => progress.line(&format!("Unpacking {name} ({v}) over ({}) ...", e.version(f))),
                    None => progress.line(&format!("Unpacking {name} ({v}) ...")),
                }
                self.mutate(|st| {
                    st.set_installed(i, to);
                    let k = u16::try_from(i).unwrap_or(u16::MAX);
                    if e.reboot && !st.reboot_for.contains(&k) {
                        st.reboot_for.push(k);
                    }
                });
                progress.line(&format!("Setting up {name} ({v}) ..."));
                let verb = match from {
                    None => "installing",
                    Some(f) if f < to => "upgrading",
                    Some(_) => "downgrading",
                };
                format!("{verb} {name}")
            }
        };
        phase
    }

    fn mutate(&self, f: impl FnOnce(&mut HostState)) {
        let mut st = self.state();
        f(&mut st);
        st.last_change = self.clock.now();
    }
}

/// apt's "The following packages will be ..." block and its count line.
fn summary(cat: &Catalogue, plan: &Plan, pending: usize, progress: &mut dyn Progress) {
    let name = |i: usize| cat.entry(i).map(|e| e.name.to_string()).unwrap_or_default();
    let (mut new, mut up, mut down, mut gone) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in &plan.steps {
        match *s {
            Step::Install { i, .. } => new.push(name(i)),
            Step::Change { i, from, to } if to > from => up.push(name(i)),
            Step::Change { i, .. } => down.push(name(i)),
            Step::Remove { i, purge } => gone.push(if purge { format!("{}*", name(i)) } else { name(i) }),
        }
    }
    for (title, list) in [
        ("The following NEW packages will be installed:", &new),
        ("The following packages will be upgraded:", &up),
        ("The following packages will be DOWNGRADED:", &down),
        ("The following packages will be REMOVED:", &gone),
    ] {
        if !list.is_empty() {
            progress.line(title);
            progress.line(&format!("  {}", list.join(" ")));
        }
    }
    progress.line(&format!(
        "{} upgraded, {} newly installed, {} downgraded, {} to remove and {} not upgraded.",
        up.len(),
        new.len(),
        down.len(),
        gone.len(),
        pending.saturating_sub(up.len())
    ));
}
