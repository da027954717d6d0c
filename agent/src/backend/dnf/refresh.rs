//! The index side of writing: `dnf makecache --refresh` with failure detection, and whether a package
//! (version) is obtainable, decided by dnf's own query of the enabled repositories and the rpm database.

use super::names::dnf_spec;
use super::progress::makecache_failure;
use super::runner::{self, Ended};
use super::DnfBackend;
use crate::backend::{BackendError, PackageSpec};
use std::time::{Duration, Instant};

impl DnfBackend {
    /// `dnf [extra_args] -y --setopt=skip_if_unavailable=False makecache --refresh` in its own process
    /// group, killed after `timeout` (waiting for another run of this agent counts). Any repository that
    /// cannot be fetched is an error naming it: the setting makes dnf fail on it, and the output is
    /// checked too.
    pub(super) fn refresh(&self, timeout: Duration) -> Result<(), BackendError> {
        let started = Instant::now();
        let Some(_entered) = self.gate.enter(timeout) else {
            return Err(BackendError::Command(format!(
                "{} makecache: another package operation of this agent was still running after {} s",
                self.flavor.name(),
                timeout.as_secs()
            )));
        };
        let args = self.tools.dnf_args(&[
            "-y",
            "--setopt=skip_if_unavailable=False",
            "makecache",
            "--refresh",
        ]);
        let mut lines = Vec::new();
        let ended = runner::run(
            &self.tools.dnf,
            &args,
            &self.tools.env,
            timeout.saturating_sub(started.elapsed()),
            &mut |_, l| lines.push(l.to_string()),
        )?;
        let exit_ok = match ended {
            Ended::TimedOut { .. } => {
                return Err(BackendError::Command(format!(
                    "{} makecache: timed out after {} s and was killed",
                    self.flavor.name(),
                    timeout.as_secs()
                )))
            }
            Ended::Exited(status) => status.success(),
        };
        match makecache_failure(&lines, exit_ok) {
            Some(m) => Err(BackendError::Command(format!("{} {m}", self.flavor.name()))),
            None => Ok(()),
        }
    }

    /// `dnf -q -C [extra_args] repoquery --qf ... -- SPEC`: `Ok` when it
    /// names a package (from a repository or installed), else why not.
    pub(super) fn obtainable(&self, spec: &PackageSpec) -> Result<(), String> {
        let arg = dnf_spec(spec)?;
        let out = self
            .tools
            .query(
                &[
                    "repoquery",
                    "--qf",
                    "%{name}-%{evr}.%{arch} %{repoid}",
                    "--",
                    &arg,
                ],
                &[],
                self.timeout,
            )
            .map_err(|e| e.to_string())?;
        if out.stdout.iter().any(|l| !l.trim().is_empty()) {
            return Ok(());
        }
        Err(match &spec.version {
            Some(v) => format!(
                "no package {} at version {v} in the enabled repositories or installed",
                spec.name
            ),
            None => format!(
                "no package {} in the enabled repositories or installed",
                spec.name
            ),
        })
    }
}
