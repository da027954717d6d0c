//! The pacman backend (Arch Linux and derivatives): local database read in-process, upgrades from
//! `pacman -Sup --print-format`, security data from arch-audit, changes by pacman in its own process group.

mod audit;
mod execute;
use super::gate;
use super::listing::{lock, mark_upgrades as merge};
mod localdb;
mod names;
mod paths;
mod plan;
mod progress;
mod query;
mod reboot;
mod runner;
mod version;

pub use audit::ARCH_AUDIT_ENV;
pub use paths::PacmanPaths;
pub use version::compare_versions;

use super::{
    BackendError, CommandEnv, Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits,
};
use linux_patch_shared::api::agent::{Package, Patch, PatchOrigin, RebootRequired};
use localdb::{dir_stamps, stamp, LocalDb, Stamp};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a read-only pacman or arch-audit run may take before it is killed.
const QUERY_TIMEOUT: Duration = Duration::from_secs(120);

/// What the upgrade list depends on: the local and sync databases, the configuration (IgnorePkg,
/// repositories) and the arch-audit program.
type UpgradesKey = (
    Option<Stamp>,
    Vec<(String, Option<Stamp>)>,
    Option<Stamp>,
    Option<(PathBuf, Option<Stamp>)>,
);

/// Cached upgrade list: failures are kept too, so a listing does not re-run a failing pacman.
type UpgradesEntry = (UpgradesKey, Result<Arc<Vec<Patch>>, BackendError>);

/// The local database's packages, valid while its stamp is unchanged.
type PackagesEntry = (Option<Stamp>, Arc<Vec<Package>>);

/// The listing with upgrade marks, valid while both keys are unchanged.
type MergedEntry = (Option<Stamp>, UpgradesKey, Arc<Vec<Package>>);

/// pacman backend. Reads `DBPath/local/*/desc` itself and runs `pacman -Sup` (plus arch-audit when
/// installed) for upgrades; both results are cached until the files they depend on change. Changes run
/// pacman non-interactively, one at a time per backend, each after waiting for pacman's lock.
#[derive(Debug)]
pub struct PacmanBackend {
    env: CommandEnv,
    paths: PacmanPaths,
    repos: Vec<String>,
    local: LocalDb,
    proc_dir: PathBuf,
    timeout: Duration,
    packages: Mutex<Option<PackagesEntry>>,
    upgrades: Mutex<Option<UpgradesEntry>>,
    merged: Mutex<Option<MergedEntry>>,
    gate: gate::Gate,
}

impl PacmanBackend {
    /// A backend running pacman with `cmd_env` (`extra_args` such as `--config ROOT/etc/pacman.conf` go
    /// on every pacman command line). Asks `pacman-conf` once for RootDir, DBPath, CacheDir and the
    /// repositories; fails when it cannot run or `DBPath/local` is missing.
    pub fn new(cmd_env: CommandEnv) -> Result<PacmanBackend, BackendError> {
        let paths = PacmanPaths::discover(&cmd_env)?;
        let local = LocalDb::new(paths.local());
        if !local.dir().is_dir() {
            return Err(BackendError::Io(format!(
                "pacman database {} not found (is this a pacman-based system? set --config or --dbpath in \
                 backend.extra_args)",
                local.dir().display()
            )));
        }
        let mut args = vec!["--config".to_string(), paths.config.display().to_string()];
        args.push("--repo-list".into());
        let out = runner::capture("pacman-conf", &args, &cmd_env.env, QUERY_TIMEOUT)?;
        if !out.success() {
            return Err(BackendError::Command(format!(
                "pacman-conf --repo-list: {}",
                out.errors()
            )));
        }
        let repos = out
            .stdout
            .iter()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        Ok(PacmanBackend {
            env: cmd_env,
            paths,
            repos,
            local,
            proc_dir: PathBuf::from("/proc"),
            timeout: QUERY_TIMEOUT,
            packages: Mutex::new(None),
            upgrades: Mutex::new(None),
            merged: Mutex::new(None),
            gate: gate::Gate::default(),
        })
    }

    /// The same backend reading the running kernel release from `DIR/sys/kernel/osrelease` instead of
    /// `/proc` (tests, containers with the host's `/proc` mounted elsewhere).
    pub fn with_proc_dir(mut self, dir: PathBuf) -> PacmanBackend {
        self.proc_dir = dir;
        self
    }

    /// The same backend with another time limit for read-only pacman and arch-audit runs (default 120 s).
    pub fn with_query_timeout(mut self, timeout: Duration) -> PacmanBackend {
        self.timeout = timeout;
        self
    }

    /// The paths pacman uses with this backend's command line.
    pub fn paths(&self) -> &PacmanPaths {
        &self.paths
    }

    /// Installed packages straight from the local database (no upgrade information), cached by its stamp.
    fn raw_packages(&self) -> Result<(Option<Stamp>, Arc<Vec<Package>>), BackendError> {
        let mut cache = lock(&self.packages);
        let key = self.local.key();
        if let Some((k, p)) = cache.as_ref() {
            if *k == key {
                return Ok((key, Arc::clone(p)));
            }
        }
        let pkgs = Arc::new(self.local.read()?);
        *cache = Some((key, Arc::clone(&pkgs)));
        Ok((key, pkgs))
    }

    fn upgrades_key(&self) -> UpgradesKey {
        let program = audit::program(&self.env).map(|p| {
            let s = stamp(&p);
            (p, s)
        });
        (
            self.local.key(),
            dir_stamps(&self.paths.sync()),
            stamp(&self.paths.config),
            program,
        )
    }

    /// The upgrade list for the current key; computed when there is none, or when the cached one is a
    /// failure and `retry_failure` is set.
    fn upgrade_list(&self, retry_failure: bool) -> (UpgradesKey, Result<Arc<Vec<Patch>>, BackendError>) {
        // Held across the run: concurrent callers wait for one computation instead of starting their own.
        let mut cache = lock(&self.upgrades);
        let key = self.upgrades_key();
        if let Some((k, r)) = cache.as_ref() {
            if *k == key && (r.is_ok() || !retry_failure) {
                return (key, r.clone());
            }
        }
        let result = self
            .compute_upgrades(key.3.as_ref().map(|(p, _)| p.clone()))
            .map(Arc::new);
        if let Err(e) = &result {
            log::warn!("pacman upgrade list failed: {e}");
        }
        *cache = Some((key.clone(), result.clone()));
        (key, result)
    }

    /// `pacman -Sup` targets as patches (installed version from the local database), classified by
    /// arch-audit when `audit_program` is set and its run succeeds.
    fn compute_upgrades(&self, audit_program: Option<PathBuf>) -> Result<Vec<Patch>, BackendError> {
        let missing: Vec<String> = self
            .repos
            .iter()
            .filter(|r| !self.paths.sync().join(format!("{r}.db")).is_file())
            .map(|r| format!("[{r}]"))
            .collect();
        if !missing.is_empty() {
            return Err(BackendError::Io(format!(
                "no sync database for {} in {}: refresh the package index (pacman -Syy)",
                missing.join(", "),
                self.paths.sync().display()
            )));
        }
        let targets = query::upgrade_targets(&self.env, self.timeout)?;
        let (_, installed) = self.raw_packages()?;
        let by_name: HashMap<&str, &Package> = installed.iter().map(|p| (p.name.as_str(), p)).collect();
        let mut patches: Vec<Patch> = targets
            .into_iter()
            .map(|t| {
                let have = by_name.get(t.name.as_str());
                let architecture = if t.architecture.is_empty() {
                    have.map(|p| p.architecture.clone()).unwrap_or_default()
                } else {
                    t.architecture
                };
                Patch {
                    installed_version: have.map(|p| p.version.clone()),
                    architecture,
                    candidate_version: t.version,
                    origins: vec![PatchOrigin {
                        origin: t.repository.clone(),
                        version: None,
                        suite: None,
                    }],
                    repository: t.repository,
                    security: false,
                    severity: None,
                    cves: Vec::new(),
                    security_source: "unknown".into(),
                    requires_reboot: crate::backend::reboot_hint::expects_reboot(
                        crate::backend::reboot_hint::Family::Pacman,
                        &t.name,
                    ),
                    name: t.name,
                }
            })
            .collect();
        let advisories = audit_program.and_then(|p| {
            audit::run(&p, &self.env, &self.paths.dbpath, self.timeout)
                .map_err(|e| log::warn!("arch-audit failed; security data unknown: {e}"))
                .ok()
        });
        audit::classify(&mut patches, advisories.as_ref());
        Ok(patches)
    }

    /// Installed kernel packages with the releases their file lists install.
    fn kernels(&self) -> Result<Vec<reboot::Kernel>, String> {
        let (_, pkgs) = self.raw_packages().map_err(|e| e.to_string())?;
        Ok(pkgs
            .iter()
            .filter(|p| reboot::maybe_kernel(p))
            .filter_map(|p| {
                let releases = reboot::kernel_releases(&self.local.files(&p.name, &p.version));
                (!releases.is_empty()).then(|| reboot::Kernel {
                    name: p.name.clone(),
                    version: p.version.clone(),
                    releases,
                })
            })
            .collect())
    }
}

impl PackageBackend for PacmanBackend {
    fn probe(&self) -> Result<(), String> {
        super::probe::program("pacman")?;
        super::probe::readable(&self.paths.dbpath.join("local"))
    }

    fn name(&self) -> &'static str {
        "pacman"
    }

    fn validate_name(&self, name: &str) -> Result<(), String> {
        names::validate_name(name)
    }

    fn compare_versions(&self, a: &str, b: &str) -> std::cmp::Ordering {
        version::compare_versions(a, b)
    }

    fn installed(&self) -> Result<Arc<Vec<Package>>, BackendError> {
        let (db_key, raw) = self.raw_packages()?;
        let (up_key, upgrades) = self.upgrade_list(false);
        let Ok(upgrades) = upgrades else {
            // Upgrade information unavailable: the listing stands, with upgradable/candidate null.
            return Ok(raw);
        };
        let mut cache = lock(&self.merged);
        if let Some((dk, uk, merged)) = cache.as_ref() {
            if *dk == db_key && *uk == up_key {
                return Ok(Arc::clone(merged));
            }
        }
        let merged = Arc::new(merge(&raw, &upgrades));
        *cache = Some((db_key, up_key, Arc::clone(&merged)));
        Ok(merged)
    }

    fn upgrades(&self) -> Result<Arc<Vec<Patch>>, BackendError> {
        self.upgrade_list(true).1
    }

    fn last_change(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let modified = std::fs::metadata(self.local.dir()).ok()?.modified().ok()?;
        Some(chrono::DateTime::<chrono::Utc>::from(modified))
    }

    fn reboot_required(&self) -> RebootRequired {
        reboot::reboot_required(&self.proc_dir, &self.paths.root, self.kernels())
    }

    fn validate_version(&self, version: &str) -> Result<(), String> {
        names::validate_version(version)
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
