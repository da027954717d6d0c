//! The simulated backend (`backend.kind: simulated`): a synthetic, deterministic Debian-like host for
//! demos and fleet-scale tests. Packages, pending updates (security ones with severities and CVEs, some
//! asking for a reboot) and job durations are seeded by the host name; jobs really change the in-memory
//! state, so apply and rollback behave. It says `simulated` wherever it names itself. Nothing is persisted:
//! a restart returns the host to its seeded state.

mod catalogue;
mod execute;
mod host;
mod plan;
mod rng;
mod words;

pub use execute::LABEL;

use super::{
    BackendError, CommandEnv, Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits,
};
use catalogue::Catalogue;
use host::{HostState, Profile};
use linux_patch_shared::api::agent::{Package, Patch, RebootRequired, TriState};
use linux_patch_shared::clock::SharedClock;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// `backend.env` key naming the simulated host (default: this machine's host name).
pub const ENV_HOST: &str = "SIMULATED_HOST";
/// `backend.env` key scaling every simulated duration (`1` = as seeded, `0` = instant).
pub const ENV_TIME_SCALE: &str = "SIMULATED_TIME_SCALE";
/// `backend.env` key that makes index refreshes fail (`1` or `true`), for a degraded host.
pub const ENV_UNHEALTHY: &str = "SIMULATED_UNHEALTHY";

/// A synthetic host. Cheap: the package catalogue is shared by every instance in the process; a host keeps
/// one byte per catalogue entry.
#[derive(Debug)]
pub struct SimulatedBackend {
    host: Box<str>,
    catalogue: Arc<Catalogue>,
    clock: SharedClock,
    state: Mutex<HostState>,
    profile: Profile,
    /// Simulated durations are multiplied by this (per mille).
    time_scale_per_mille: u32,
    unhealthy: bool,
    busy: execute::Busy,
}

impl SimulatedBackend {
    /// The host called `host`, in the state its name seeds; `clock` dates package changes.
    pub fn new(host: &str, clock: SharedClock) -> SimulatedBackend {
        let catalogue = catalogue::catalogue();
        let (state, profile) = host::initial(&catalogue, host, clock.now());
        SimulatedBackend {
            host: host.into(),
            catalogue,
            clock,
            state: Mutex::new(state),
            profile,
            time_scale_per_mille: 1000,
            unhealthy: false,
            busy: execute::Busy::default(),
        }
    }

    /// The backend `backend.env` describes: [`ENV_HOST`] (default: this machine's host name),
    /// [`ENV_TIME_SCALE`] and [`ENV_UNHEALTHY`].
    pub fn from_env(cmd_env: &CommandEnv, clock: SharedClock) -> Result<SimulatedBackend, String> {
        let host = match cmd_env.env.get(ENV_HOST) {
            Some(h) if !h.trim().is_empty() => h.trim().to_owned(),
            Some(_) => return Err(format!("backend.env.{ENV_HOST} is empty")),
            None => crate::sysinfo::HostFiles::default().hostname(),
        };
        let mut backend = SimulatedBackend::new(&host, clock);
        if let Some(scale) = cmd_env.env.get(ENV_TIME_SCALE) {
            let scale: f64 = scale
                .trim()
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s <= 1000.0)
                .ok_or_else(|| format!("backend.env.{ENV_TIME_SCALE} must be a number from 0 to 1000"))?;
            backend = backend.with_time_scale(scale);
        }
        if let Some(flag) = cmd_env.env.get(ENV_UNHEALTHY) {
            backend = backend.with_unhealthy(matches!(flag.trim(), "1" | "true" | "yes"));
        }
        Ok(backend)
    }

    /// The same host with every simulated duration multiplied by `scale` (`0` = instant).
    pub fn with_time_scale(mut self, scale: f64) -> SimulatedBackend {
        self.time_scale_per_mille = (scale.clamp(0.0, 1000.0) * 1000.0).round() as u32;
        self
    }

    /// The same host whose index refreshes fail (health turns `degraded`), or succeed again.
    pub fn with_unhealthy(mut self, unhealthy: bool) -> SimulatedBackend {
        self.unhealthy = unhealthy;
        self
    }

    /// The host name the state is seeded from.
    pub fn host(&self) -> &str {
        &self.host
    }

    fn state(&self) -> MutexGuard<'_, HostState> {
        // A panic while holding it leaves a state that is still a valid state: keep using it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn scaled(&self, ms: u64) -> Duration {
        Duration::from_micros(ms.saturating_mul(u64::from(self.time_scale_per_mille)))
    }
}

impl PackageBackend for SimulatedBackend {
    fn name(&self) -> &'static str {
        "simulated"
    }

    fn validate_name(&self, name: &str) -> Result<(), String> {
        super::apt::validate_name(name)
    }

    fn compare_versions(&self, a: &str, b: &str) -> std::cmp::Ordering {
        super::apt::compare_versions(a, b)
    }

    fn installed(&self) -> Result<Arc<Vec<Package>>, BackendError> {
        let st = self.state();
        Ok(Arc::new(host::packages(&self.catalogue, &st)))
    }

    fn upgrades(&self) -> Result<Arc<Vec<Patch>>, BackendError> {
        let st = self.state();
        Ok(Arc::new(host::patches(&self.catalogue, &st)))
    }

    fn last_change(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(self.state().last_change)
    }

    fn reboot_required(&self) -> RebootRequired {
        let st = self.state();
        let packages: Vec<String> = st
            .reboot_for
            .iter()
            .filter_map(|i| self.catalogue.entry(usize::from(*i)))
            .map(|e| e.name.to_string())
            .collect();
        if packages.is_empty() {
            RebootRequired {
                state: TriState::No,
                reason: "simulated host: no update installed since the last boot asks for a reboot".into(),
                packages,
            }
        } else {
            RebootRequired {
                state: TriState::Yes,
                reason: "simulated host: updates installed since the last boot ask for a reboot".into(),
                packages,
            }
        }
    }

    fn validate_version(&self, version: &str) -> Result<(), String> {
        super::apt::validate_version(version)
    }

    fn refresh_index(&self, timeout: Duration) -> Result<(), BackendError> {
        let took = self.scaled(self.profile.refresh_ms);
        if took > timeout {
            execute::pause(timeout);
            return Err(BackendError::Command(format!(
                "apt-get update (simulated) was killed after {} s",
                timeout.as_secs()
            )));
        }
        execute::pause(took);
        if self.unhealthy {
            return Err(BackendError::Command(
                "apt-get update (simulated): E: Failed to fetch \
                 http://deb.example.invalid/simulated/dists/bookworm/InRelease  Could not connect \
                 (this simulated host is configured unhealthy)"
                    .into(),
            ));
        }
        Ok(())
    }

    fn check_obtainable(&self, spec: &PackageSpec) -> Result<(), String> {
        plan::target(&self.catalogue, spec)
            .map(|_| ())
            .map_err(|e| format!("E: {e}"))
    }

    fn execute(
        &self,
        op: &Operation,
        limits: &RunLimits,
        progress: &mut dyn Progress,
    ) -> Result<(), RunError> {
        self.run_operation(op, limits, progress)
    }
}

#[cfg(test)]
mod tests;
