//! The index side of writing: `apt-get update` with failure detection, and whether a package (version)
//! is obtainable, decided by apt's own simulation.

use super::execute::{install_arg, run_env};
use super::progress::{failure_message, update_failure};
use super::runner::{self, Ended, Stream};
use super::AptBackend;
use crate::backend::{BackendError, PackageSpec};
use std::time::{Duration, Instant};

impl AptBackend {
    /// `apt-get -q [extra_args] update` in its own process group, killed after `timeout` (waiting for
    /// another run of this agent counts). A repository that could not be fetched is an error naming it,
    /// even though apt exits 0. The lists directory then changes, which invalidates the upgrade cache.
    pub(super) fn refresh(&self, timeout: Duration) -> Result<(), BackendError> {
        let started = Instant::now();
        let Some(_entered) = self.gate.enter(timeout) else {
            return Err(BackendError::Command(format!(
                "apt-get update: another package operation of this agent was still running after {} s",
                timeout.as_secs()
            )));
        };
        let mut args = vec!["-q".to_string()];
        args.extend(self.env.extra_args.iter().cloned());
        args.push("update".to_string());
        let mut lines = Vec::new();
        let ended = runner::run(
            "apt-get",
            &args,
            &run_env(&self.env.env),
            timeout.saturating_sub(started.elapsed()),
            &mut |_, l| lines.push(l.to_string()),
        )?;
        let exit_ok = match ended {
            Ended::TimedOut { .. } => {
                return Err(BackendError::Command(format!(
                    "apt-get update: timed out after {} s and was killed",
                    timeout.as_secs()
                )))
            }
            Ended::Exited(status) => status.success(),
        };
        for w in lines.iter().filter(|l| l.starts_with("W:")) {
            log::warn!("apt-get update: {w}");
        }
        match update_failure(&lines, exit_ok) {
            Some(m) => Err(BackendError::Command(m)),
            None => Ok(()),
        }
    }

    /// `apt-get -s -q -o Debug::NoLocking=true [extra_args] install --allow-downgrades -- name[=version]`:
    /// `Ok` when apt could install it now (already installed counts), else apt's `E:` lines.
    pub(super) fn obtainable(&self, spec: &PackageSpec) -> Result<(), String> {
        let arg = install_arg(spec)?;
        let mut args: Vec<String> = ["-s", "-q", "-o", "Debug::NoLocking=true"]
            .map(String::from)
            .to_vec();
        args.extend(self.env.extra_args.iter().cloned());
        args.extend(["install", "--allow-downgrades", "--"].map(String::from));
        args.push(arg);
        let mut errors = Vec::new();
        let mut lines = Vec::new();
        let ended = runner::run(
            "apt-get",
            &args,
            &run_env(&self.env.env),
            self.timeout,
            &mut |stream, l| {
                if let (Stream::Err, Some(e)) = (stream, l.strip_prefix("E: ")) {
                    errors.push(e.to_string());
                }
                lines.push(l.to_string());
            },
        )
        .map_err(|e| e.to_string())?;
        match ended {
            Ended::Exited(s) if s.success() => Ok(()),
            Ended::Exited(_) if !errors.is_empty() => {
                errors.dedup();
                Err(errors.join("; "))
            }
            Ended::Exited(s) => Err(format!(
                "apt-get -s install failed ({s}): {}",
                failure_message(&lines)
            )),
            Ended::TimedOut { .. } => Err(format!(
                "apt-get -s install timed out after {} s",
                self.timeout.as_secs()
            )),
        }
    }
}
