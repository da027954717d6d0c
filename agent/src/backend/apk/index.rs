//! The index side of writing: `apk update` with failure detection (apk only warns about a repository
//! it cannot read), and whether a package (version) is obtainable, decided by `apk add --simulate`.

use super::output::{failure_message, update_failure};
use super::plan::spec_arg;
use super::runner;
use super::ApkBackend;
use crate::backend::{BackendError, PackageSpec};
use std::time::{Duration, Instant};

impl ApkBackend {
    /// `apk [extra_args] update`, killed after `timeout` (waiting for another run of this backend
    /// counts). A repository apk could not read is an error naming it, although apk exits 0.
    pub(super) fn refresh(&self, timeout: Duration) -> Result<(), BackendError> {
        let started = Instant::now();
        let Some(_entered) = self.gate.enter(timeout) else {
            return Err(BackendError::Command(format!(
                "apk update: another package operation of this agent was still running after {} s",
                timeout.as_secs()
            )));
        };
        let args = self.read_args(&["update"]);
        let out = runner::capture(
            &self.program,
            &args,
            &self.child_env,
            timeout.saturating_sub(started.elapsed()),
        );
        self.invalidate();
        let out = out?;
        match update_failure(&out.stdout, &out.stderr, out.code == Some(0)) {
            Some(m) => Err(BackendError::Command(m)),
            None => Ok(()),
        }
    }

    /// `apk [extra_args] add --simulate -- name[=version]`: `Ok` when apk could install it now (already
    /// installed counts), else apk's `ERROR:` block.
    pub(super) fn obtainable(&self, spec: &PackageSpec) -> Result<(), String> {
        let arg = spec_arg(spec)?;
        let args = self.read_args(&["add", "--simulate", "--", &arg]);
        let out = runner::capture(&self.program, &args, &self.child_env, self.timeout)
            .map_err(|e| e.to_string())?;
        if out.code == Some(0) {
            return Ok(());
        }
        let lines: Vec<String> = out.stderr.iter().chain(out.stdout.iter()).cloned().collect();
        Err(failure_message(&lines))
    }
}
