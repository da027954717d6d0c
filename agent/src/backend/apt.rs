//! The apt/dpkg backend (Debian, Ubuntu): dpkg database read in-process, upgrades from apt's simulation,
//! changes by apt-get in its own process group.

mod aptconfig;
mod command;
mod dpkg_status;
mod execute;
use super::gate;
use super::listing::{lock, mark_upgrades as merge};
use super::process as runner;
use super::stamp;
mod names;
mod progress;
mod reboot;
mod refresh;
mod repair;
mod simulate;
mod version;

pub use names::validate_name;
pub use reboot::RuntimeDirs;
pub use version::{compare_versions, validate_version};

use super::{
    BackendError, CommandEnv, Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits,
};
use aptconfig::{AptKey, AptPaths};
use dpkg_status::{DbKey, DpkgDb};
use linux_patch_shared::api::agent::{Package, Patch, RebootRequired};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Cached simulation outcome: failures are kept too, so a listing does not re-run a failing apt-get.
type UpgradesEntry = (AptKey, Result<Arc<Vec<Patch>>, BackendError>);

/// The listing with upgrade marks, valid while both the dpkg database and apt's inputs are unchanged.
type MergedEntry = (DbKey, AptKey, Arc<Vec<Package>>);

/// apt/dpkg backend. Reads `DPKG_ADMINDIR/status` (+ journal) itself and runs `apt-get -s dist-upgrade`
/// for upgrades; both results are cached until the files they depend on change (so every change, by
/// this backend or anyone else, shows at the next read). Changes run `apt-get` non-interactively, one at
/// a time per backend.
#[derive(Debug)]
pub struct AptBackend {
    env: CommandEnv,
    dpkg: DpkgDb,
    apt: AptPaths,
    runtime: RuntimeDirs,
    timeout: Duration,
    packages: Mutex<Option<(DbKey, Arc<Vec<Package>>)>>,
    upgrades: Mutex<Option<UpgradesEntry>>,
    merged: Mutex<Option<MergedEntry>>,
    gate: gate::Gate,
}

impl AptBackend {
    /// A backend running apt with `cmd_env`. The dpkg admin directory is `DPKG_ADMINDIR` from `cmd_env`,
    /// else from the process environment, else `/var/lib/dpkg`. Asks `apt-config` once where apt keeps
    /// its state; fails when apt-config cannot run or the dpkg status file is missing.
    pub fn new(cmd_env: CommandEnv) -> Result<AptBackend, BackendError> {
        let admindir = cmd_env
            .env
            .get("DPKG_ADMINDIR")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("DPKG_ADMINDIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/var/lib/dpkg"));
        let dpkg = DpkgDb::new(admindir);
        let status = dpkg.status_path();
        if !status.is_file() {
            return Err(BackendError::Io(format!(
                "dpkg status file {} not found (is this a dpkg-based system? set DPKG_ADMINDIR in backend.env)",
                status.display()
            )));
        }
        let apt = AptPaths::discover(&cmd_env).map_err(|e| {
            let (BackendError::Command(m) | BackendError::Io(m)) = e;
            BackendError::Command(format!("cannot ask apt-config where apt keeps its state: {m}"))
        })?;
        Ok(AptBackend {
            env: cmd_env,
            dpkg,
            apt,
            runtime: RuntimeDirs::default(),
            timeout: simulate::SIMULATE_TIMEOUT,
            packages: Mutex::new(None),
            upgrades: Mutex::new(None),
            merged: Mutex::new(None),
            gate: gate::Gate::default(),
        })
    }

    /// The same backend reading `reboot-required` and the kernel release from other directories than
    /// `/run` and `/proc` (tests, containers with the host's `/run` mounted elsewhere).
    pub fn with_runtime_dirs(mut self, runtime: RuntimeDirs) -> AptBackend {
        self.runtime = runtime;
        self
    }

    /// The same backend with another time limit for `apt-get -s` (default 120 s).
    pub fn with_simulate_timeout(mut self, timeout: Duration) -> AptBackend {
        self.timeout = timeout;
        self
    }

    /// The dpkg status file this backend reads.
    pub fn status_path(&self) -> PathBuf {
        self.dpkg.status_path()
    }

    /// Installed packages straight from the dpkg database (no upgrade information), cached by file stamps.
    fn raw_packages(&self) -> Result<(DbKey, Arc<Vec<Package>>), BackendError> {
        let mut cache = lock(&self.packages);
        let key = self.dpkg.key();
        if let Some((k, p)) = cache.as_ref() {
            if *k == key {
                return Ok((key, Arc::clone(p)));
            }
        }
        let pkgs = Arc::new(self.dpkg.read()?);
        *cache = Some((key.clone(), Arc::clone(&pkgs)));
        Ok((key, pkgs))
    }

    /// The simulation result for the current apt key; runs apt-get when there is none, or when the
    /// cached one is a failure and `retry_failure` is set.
    fn simulation(&self, retry_failure: bool) -> (AptKey, Result<Arc<Vec<Patch>>, BackendError>) {
        // Held across the run: concurrent callers wait for one simulation instead of starting their own.
        let mut cache = lock(&self.upgrades);
        let key = self.apt.key();
        if let Some((k, r)) = cache.as_ref() {
            if *k == key && (r.is_ok() || !retry_failure) {
                return (key, r.clone());
            }
        }
        let result = simulate::simulate(&self.env, self.timeout).map(Arc::new);
        if let Err(e) = &result {
            log::warn!("apt upgrade simulation failed: {e}");
        }
        *cache = Some((key.clone(), result.clone()));
        (key, result)
    }
}

impl PackageBackend for AptBackend {
    fn probe(&self) -> Result<(), String> {
        super::probe::program("apt-get")?;
        super::probe::program("dpkg")?;
        super::probe::readable(&self.dpkg.status_path())
    }

    fn name(&self) -> &'static str {
        "apt"
    }

    fn compare_versions(&self, a: &str, b: &str) -> std::cmp::Ordering {
        version::compare_versions(a, b)
    }

    fn validate_name(&self, name: &str) -> Result<(), String> {
        names::validate_name(name)
    }

    fn installed(&self) -> Result<Arc<Vec<Package>>, BackendError> {
        let (db_key, raw) = self.raw_packages()?;
        let (apt_key, upgrades) = self.simulation(false);
        let Ok(upgrades) = upgrades else {
            // Upgrade information unavailable: the listing stands, with upgradable/candidate null.
            return Ok(raw);
        };
        let mut cache = lock(&self.merged);
        if let Some((dk, ak, merged)) = cache.as_ref() {
            if *dk == db_key && *ak == apt_key {
                return Ok(Arc::clone(merged));
            }
        }
        let merged = Arc::new(merge(&raw, &upgrades));
        *cache = Some((db_key, apt_key, Arc::clone(&merged)));
        Ok(merged)
    }

    fn upgrades(&self) -> Result<Arc<Vec<Patch>>, BackendError> {
        self.simulation(true).1
    }

    fn last_change(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let modified = std::fs::metadata(self.dpkg.status_path()).ok()?.modified().ok()?;
        Some(chrono::DateTime::<chrono::Utc>::from(modified))
    }

    fn reboot_required(&self) -> RebootRequired {
        match self.raw_packages() {
            Ok((_, pkgs)) => reboot::reboot_required(&self.runtime, Ok(&pkgs)),
            Err(e) => reboot::reboot_required(&self.runtime, Err(e.to_string())),
        }
    }

    fn validate_version(&self, version: &str) -> Result<(), String> {
        version::validate_version(version)
    }

    fn refresh_index(&self, timeout: Duration) -> Result<(), BackendError> {
        self.refresh(timeout)
    }

    fn check_obtainable(&self, spec: &PackageSpec) -> Result<(), String> {
        self.obtainable(spec)
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
