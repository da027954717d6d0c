//! The apk backend (Alpine Linux): the installed database read in-process, upgrades from
//! `apk list --upgradable` classified with Alpine's secdb, changes by `apk add`/`del`/`upgrade` in
//! their own process group.
//!
//! Configuration through `backend.env` (these keys are not passed on to apk):
//! - `LINUX_PATCH_API_APK_BIN`: the apk program (default `apk` on `PATH`); tests point it at a fake.
//! - `LINUX_PATCH_API_APK_SECDB`: secdb JSON file(s), `:`-separated (Alpine's `main.json`,
//!   `community.json`); without it every patch says `security_source: "unknown"`.
//!
//! `--root DIR` (or `--root=DIR`, `-p DIR`) in `backend.extra_args` is where the database is read.

mod db;
mod execute;
use super::gate;
use super::listing::{lock, mark_upgrades as merge};
use super::process as runner;
use super::stamp;
mod index;
mod names;
mod output;
mod paths;
mod plan;
mod reboot;
mod secdb;
mod upgrades;
mod version;
mod world;

pub use names::{split_name_version, validate_name};
pub use version::{compare_versions, validate_version};

use super::{
    BackendError, CommandEnv, Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits,
};
use linux_patch_shared::api::agent::{Package, Patch, RebootRequired};
use paths::{ApkPaths, Key};
use secdb::SecDb;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `backend.env` key naming the apk program.
pub const BIN_ENV: &str = "LINUX_PATCH_API_APK_BIN";
/// `backend.env` key naming the secdb file(s), `:`-separated.
pub const SECDB_ENV: &str = "LINUX_PATCH_API_APK_SECDB";

/// How long a read-only apk run (`list`, `add --simulate`) may take before it is killed.
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// Cached upgrade list: inputs key, generation, result (failures kept, retried by `upgrades()`).
type UpgradesEntry = (Key, u64, Result<Arc<Vec<Patch>>, BackendError>);

/// Cached listing with upgrade marks: database key, inputs key, generation.
type MergedEntry = (Key, Key, u64, Arc<Vec<Package>>);

/// apk backend. Reads `ROOT/lib/apk/db/installed` itself (or runs `apk list --installed` when there
/// is no such file) and `apk list --upgradable` for upgrades; both are cached until the files they
/// depend on change, or this backend changes something. Changes run apk non-interactively, one at a
/// time per backend, waiting for apk's database lock up to the lock timeout.
#[derive(Debug)]
pub struct ApkBackend {
    program: String,
    extra_args: Vec<String>,
    child_env: BTreeMap<String, String>,
    paths: ApkPaths,
    secdb_files: Vec<PathBuf>,
    proc_dir: PathBuf,
    timeout: Duration,
    generation: AtomicU64,
    packages: Mutex<Option<(Key, Arc<Vec<Package>>)>>,
    upgrades: Mutex<Option<UpgradesEntry>>,
    merged: Mutex<Option<MergedEntry>>,
    secdb: Mutex<Option<(Key, Option<Arc<SecDb>>)>>,
    gate: gate::Gate,
}

impl ApkBackend {
    /// A backend running apk with `cmd_env` (see the module documentation for the `backend.env` keys).
    /// Fails when there is neither an installed database under the root nor an apk program to ask.
    pub fn new(cmd_env: CommandEnv) -> Result<ApkBackend, BackendError> {
        let program = cmd_env
            .env
            .get(BIN_ENV)
            .filter(|p| !p.is_empty())
            .cloned()
            .unwrap_or_else(|| "apk".to_string());
        let secdb_files: Vec<PathBuf> = cmd_env
            .env
            .get(SECDB_ENV)
            .map(|v| {
                v.split(':')
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default();
        let child_env: BTreeMap<String, String> = cmd_env
            .env
            .iter()
            .filter(|(k, _)| k.as_str() != BIN_ENV && k.as_str() != SECDB_ENV)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for f in secdb_files.iter().filter(|f| !f.is_file()) {
            log::warn!(
                "{SECDB_ENV}: {} not found; apk patches say security_source \"unknown\" until it exists",
                f.display()
            );
        }
        let paths = ApkPaths::from_args(&cmd_env.extra_args);
        if paths.installed_db().is_none() && !program_exists(&program, &child_env) {
            return Err(BackendError::Io(format!(
                "no apk database under {} (lib/apk/db/installed) and no apk program {program:?} \
                 (is this an Alpine system? set {BIN_ENV} or --root in backend.extra_args)",
                paths.root().display()
            )));
        }
        Ok(ApkBackend {
            program,
            extra_args: cmd_env.extra_args,
            child_env,
            paths,
            secdb_files,
            proc_dir: PathBuf::from("/proc"),
            timeout: READ_TIMEOUT,
            generation: AtomicU64::new(0),
            packages: Mutex::new(None),
            upgrades: Mutex::new(None),
            merged: Mutex::new(None),
            secdb: Mutex::new(None),
            gate: gate::Gate::default(),
        })
    }

    /// The same backend reading the running kernel release from `DIR/sys/kernel/osrelease` instead of
    /// `/proc` (tests, containers).
    pub fn with_proc_dir(mut self, dir: PathBuf) -> ApkBackend {
        self.proc_dir = dir;
        self
    }

    /// The same backend with another time limit for read-only apk runs (default 120 s).
    pub fn with_read_timeout(mut self, timeout: Duration) -> ApkBackend {
        self.timeout = timeout;
        self
    }

    /// The installed database this backend reads, when there is one.
    pub fn installed_db(&self) -> Option<PathBuf> {
        self.paths.installed_db()
    }

    /// `[extra_args...] args...`: the apk argument vector of a read-only run.
    fn read_args(&self, args: &[&str]) -> Vec<String> {
        let mut a = self.extra_args.clone();
        a.extend(args.iter().map(|s| s.to_string()));
        a
    }

    /// Runs apk read-only; a non-zero exit is an error with apk's message.
    fn read(&self, args: &[&str]) -> Result<runner::Captured, BackendError> {
        let argv = self.read_args(args);
        let c = runner::capture(&self.program, &argv, &self.child_env, self.timeout)?;
        for w in c.stderr.iter().filter(|l| l.starts_with("WARNING:")) {
            log::warn!("apk {}: {w}", args.join(" "));
        }
        if c.code == Some(0) {
            return Ok(c);
        }
        let lines: Vec<String> = c.stderr.iter().chain(c.stdout.iter()).cloned().collect();
        Err(BackendError::Command(format!(
            "{}: exited with {}: {}",
            runner::describe(&self.program, &argv),
            c.code.map_or_else(|| "a signal".to_string(), |n| n.to_string()),
            output::failure_message(&lines)
        )))
    }

    /// Makes every cached answer stale (after this backend changed something or refreshed the index).
    fn invalidate(&self) {
        self.generation.fetch_add(1, AtomicOrdering::SeqCst);
    }

    /// Installed packages without upgrade information, and the database key when they came from the
    /// database file (cached by its stamp); from `apk list --installed` (uncached) when there is none.
    fn raw_packages(&self) -> Result<(Option<Key>, Arc<Vec<Package>>), BackendError> {
        let Some(file) = self.paths.installed_db() else {
            let out = self.read(&["list", "--installed"])?;
            return Ok((None, Arc::new(db::parse_list_installed(&out.stdout_text()))));
        };
        let mut cache = lock(&self.packages);
        let key = self.paths.db_key();
        if let Some((k, p)) = cache.as_ref() {
            if *k == key {
                return Ok((Some(key), Arc::clone(p)));
            }
        }
        let text = std::fs::read_to_string(&file)
            .map_err(|e| BackendError::Io(format!("{}: {e}", file.display())))?;
        let pkgs = Arc::new(db::parse_installed(&text));
        *cache = Some((key.clone(), Arc::clone(&pkgs)));
        Ok((Some(key), pkgs))
    }
}

/// Whether `program` can be started: an existing path, or found on `PATH` (from `env`, else ours).
fn program_exists(program: &str, env: &BTreeMap<String, String>) -> bool {
    if program.contains('/') {
        return std::path::Path::new(program).is_file();
    }
    let path = env
        .get("PATH")
        .cloned()
        .or_else(|| std::env::var("PATH").ok())
        .unwrap_or_default();
    std::env::split_paths(&path).any(|d| d.join(program).is_file())
}

impl PackageBackend for ApkBackend {
    fn probe(&self) -> Result<(), String> {
        super::probe::program(&self.program)?;
        match self.paths.installed_db() {
            Some(db) => super::probe::readable(&db),
            None => Err(format!(
                "no apk installed database under {}",
                self.paths.root().display()
            )),
        }
    }

    fn name(&self) -> &'static str {
        "apk"
    }

    fn validate_name(&self, name: &str) -> Result<(), String> {
        names::validate_name(name)
    }

    fn compare_versions(&self, a: &str, b: &str) -> std::cmp::Ordering {
        version::compare_versions(a, b)
    }

    fn installed(&self) -> Result<Arc<Vec<Package>>, BackendError> {
        let (db_key, raw) = self.raw_packages()?;
        let (up_key, upgrades) = self.upgrade_list(false, Some(&raw));
        let Ok(upgrades) = upgrades else {
            // Upgrade information unavailable: the listing stands, with upgradable/candidate null.
            return Ok(raw);
        };
        let (Some(db_key), Some((up_key, generation))) = (db_key, up_key) else {
            return Ok(Arc::new(merge(&raw, &upgrades)));
        };
        let mut cache = lock(&self.merged);
        if let Some((dk, uk, g, merged)) = cache.as_ref() {
            if *dk == db_key && *uk == up_key && *g == generation {
                return Ok(Arc::clone(merged));
            }
        }
        let merged = Arc::new(merge(&raw, &upgrades));
        *cache = Some((db_key, up_key, generation, Arc::clone(&merged)));
        Ok(merged)
    }

    fn upgrades(&self) -> Result<Arc<Vec<Patch>>, BackendError> {
        self.upgrade_list(true, None).1
    }

    fn last_change(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let modified = std::fs::metadata(self.paths.installed_db()?)
            .ok()?
            .modified()
            .ok()?;
        Some(chrono::DateTime::<chrono::Utc>::from(modified))
    }

    fn reboot_required(&self) -> RebootRequired {
        match self.raw_packages() {
            Ok((_, pkgs)) => reboot::reboot_required(&self.proc_dir, Ok(&pkgs)),
            Err(e) => reboot::reboot_required(&self.proc_dir, Err(e.to_string())),
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
