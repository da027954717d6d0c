//! The dnf backend (RHEL, Fedora, CentOS Stream, Rocky, Alma; also as the dnf-compatible `yum` of RHEL 8/9):
//! installed packages from `rpm -qa --qf`, upgrades and security data from dnf's queries, changes by dnf in
//! its own process group.
//!
//! Configuration: `backend.extra_args` go before every dnf subcommand (e.g. `--installroot=/r`,
//! `--releasever=9`, `-c /r/dnf.conf`). An `--installroot=R` there also makes every rpm call use
//! `--root=R`, so rpm reads the same database as dnf. `HOME` is fixed for every call (`backend.env`'s, else
//! the agent's, else `/root`): rpm builds whose `%_dbpath` is `$HOME/.rpmdb` (Debian's) find the database
//! only with the same `HOME`. `backend.env` keys `LINUX_PATCH_API_DNF_BIN` / `LINUX_PATCH_API_YUM_BIN` /
//! `LINUX_PATCH_API_RPM_BIN` name other programs (e.g. a `yum -> dnf` symlink); they are not passed on.

mod command;
mod evr;
mod execute;
use super::gate;
use super::listing::{lock, mark_upgrades as merge};
mod names;
mod plan;
mod progress;
mod reboot;
mod refresh;
mod restore;
mod rpmdb;
mod runner;
mod stamps;
mod updates;

pub use command::{DNF_BIN_KEY, RPM_BIN_KEY, YUM_BIN_KEY};
pub use evr::{compare_versions, rpmvercmp};

use super::{
    BackendError, CommandEnv, Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits,
};
use command::Tools;
use linux_patch_shared::api::agent::{Package, Patch, RebootRequired};
use stamps::{DbKey, IndexKey};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Time limit of one read-only dnf or rpm query.
const QUERY_TIMEOUT: Duration = Duration::from_secs(120);

/// Which command name the backend runs (both are dnf 4: RHEL 8/9's `yum` is dnf).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnfFlavor {
    /// `dnf`.
    Dnf,
    /// `yum` (the dnf-compatible command of RHEL 8/9).
    Yum,
}

impl DnfFlavor {
    /// `dnf` or `yum`: the backend's name and the default program.
    pub fn name(&self) -> &'static str {
        match self {
            DnfFlavor::Dnf => "dnf",
            DnfFlavor::Yum => "yum",
        }
    }

    fn bin_key(&self) -> &'static str {
        match self {
            DnfFlavor::Dnf => DNF_BIN_KEY,
            DnfFlavor::Yum => YUM_BIN_KEY,
        }
    }
}

/// What an upgrade answer depends on: the rpm database and dnf's metadata cache.
type Inputs = (DbKey, IndexKey);

/// Cached upgrade answer: failures are kept too, so a listing does not re-run a failing query.
type UpgradesEntry = (Inputs, Result<Arc<Vec<Patch>>, BackendError>);

/// The listing with upgrade marks, valid while its inputs are unchanged.
type MergedEntry = (Inputs, Arc<Vec<Package>>);

/// dnf/yum backend. Reads the rpm database with `rpm -qa` and upgrades with `dnf -C` queries of the
/// metadata cache; each answer is cached until the rpm database or dnf's cache files change (so every
/// change, by this backend or anyone else, shows at the next read). Changes run dnf non-interactively, one
/// at a time per backend.
#[derive(Debug)]
pub struct DnfBackend {
    flavor: DnfFlavor,
    tools: Tools,
    dbdir: PathBuf,
    cachedir: PathBuf,
    timeout: Duration,
    packages: Mutex<Option<(DbKey, Arc<Vec<Package>>)>>,
    upgrades: Mutex<Option<UpgradesEntry>>,
    merged: Mutex<Option<MergedEntry>>,
    reboot: Mutex<Option<(DbKey, RebootRequired)>>,
    gate: gate::Gate,
}

impl DnfBackend {
    /// A backend running `flavor`'s command with `cmd_env`. Asks rpm for its database path and dnf (in
    /// verbose mode) for its cache directory, once; fails when either cannot run.
    pub fn new(cmd_env: CommandEnv, flavor: DnfFlavor) -> Result<DnfBackend, BackendError> {
        let tools = Tools::new(&cmd_env, flavor.name(), flavor.bin_key());
        let dbdir = tools.rpmdb_dir(QUERY_TIMEOUT)?;
        let cachedir = cache_dir(&tools)?;
        Ok(DnfBackend {
            flavor,
            tools,
            dbdir,
            cachedir,
            timeout: QUERY_TIMEOUT,
            packages: Mutex::new(None),
            upgrades: Mutex::new(None),
            merged: Mutex::new(None),
            reboot: Mutex::new(None),
            gate: gate::Gate::default(),
        })
    }

    /// The rpm database directory this backend watches (the root's `%_dbpath`).
    pub fn rpmdb_dir(&self) -> &std::path::Path {
        &self.dbdir
    }

    /// dnf's metadata cache directory this backend watches.
    pub fn cache_dir(&self) -> &std::path::Path {
        &self.cachedir
    }

    /// Installed packages straight from the rpm database (no upgrade information), cached by file stamps.
    fn raw_packages(&self) -> Result<(DbKey, Arc<Vec<Package>>), BackendError> {
        let mut cache = lock(&self.packages);
        let key = stamps::db_key(&self.dbdir);
        if let Some((k, p)) = cache.as_ref() {
            if *k == key {
                return Ok((key, Arc::clone(p)));
            }
        }
        let pkgs = Arc::new(rpmdb::read(&self.tools, self.timeout)?);
        *cache = Some((key.clone(), Arc::clone(&pkgs)));
        Ok((key, pkgs))
    }

    /// The upgrade answer for the current database and cache; queries dnf when there is none, or when
    /// the cached one is a failure and `retry_failure` is set.
    fn pending(&self, retry_failure: bool) -> UpgradesEntry {
        // Held across the queries: concurrent callers wait for one run instead of starting their own.
        let mut cache = lock(&self.upgrades);
        let key = (stamps::db_key(&self.dbdir), stamps::index_key(&self.cachedir));
        if let Some((k, r)) = cache.as_ref() {
            if *k == key && (r.is_ok() || !retry_failure) {
                return (key, r.clone());
            }
        }
        let result = self
            .raw_packages()
            .and_then(|(_, installed)| updates::fetch(&self.tools, &self.cachedir, &installed, self.timeout))
            .map(Arc::new);
        if let Err(e) = &result {
            log::warn!("{} upgrade query failed: {e}", self.flavor.name());
        }
        // The queries may have fetched a missing cache: key the answer by what it was computed from.
        let key = (stamps::db_key(&self.dbdir), stamps::index_key(&self.cachedir));
        *cache = Some((key.clone(), result.clone()));
        (key, result)
    }
}

/// dnf's cache directory as `dnf -v [extra_args] help` reports it (`cachedir: PATH`).
fn cache_dir(tools: &Tools) -> Result<PathBuf, BackendError> {
    let out = tools.dnf(&tools.dnf_args(&["-v", "help"]), QUERY_TIMEOUT)?;
    out.stdout
        .iter()
        .chain(&out.stderr)
        .find_map(|l| l.strip_prefix("cachedir: "))
        .map(|p| PathBuf::from(p.trim()))
        .ok_or_else(|| {
            BackendError::Command(format!(
                "{} -v help did not report its cache directory: {}",
                tools.dnf,
                out.tail()
            ))
        })
}

impl PackageBackend for DnfBackend {
    fn probe(&self) -> Result<(), String> {
        super::probe::program(&self.tools.dnf)?;
        super::probe::program(&self.tools.rpm)?;
        super::probe::readable(&self.dbdir)
    }

    fn name(&self) -> &'static str {
        self.flavor.name()
    }

    fn validate_name(&self, name: &str) -> Result<(), String> {
        names::validate_name(name)
    }

    fn compare_versions(&self, a: &str, b: &str) -> std::cmp::Ordering {
        evr::compare_versions(a, b)
    }

    fn installed(&self) -> Result<Arc<Vec<Package>>, BackendError> {
        let (db_key, raw) = self.raw_packages()?;
        let ((_, index_key), upgrades) = self.pending(false);
        let Ok(upgrades) = upgrades else {
            // Upgrade information unavailable: the listing stands, with upgradable/candidate null.
            return Ok(raw);
        };
        let mut cache = lock(&self.merged);
        let inputs = (db_key, index_key);
        if let Some((k, merged)) = cache.as_ref() {
            if *k == inputs {
                return Ok(Arc::clone(merged));
            }
        }
        let merged = Arc::new(merge(&raw, &upgrades));
        *cache = Some((inputs, Arc::clone(&merged)));
        Ok(merged)
    }

    fn upgrades(&self) -> Result<Arc<Vec<Patch>>, BackendError> {
        self.pending(true).1
    }

    fn last_change(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let (s, ns) = stamps::newest(&stamps::db_key(&self.dbdir))?;
        chrono::DateTime::from_timestamp(s, u32::try_from(ns).unwrap_or(0))
    }

    fn reboot_required(&self) -> RebootRequired {
        let mut cache = lock(&self.reboot);
        let key = stamps::db_key(&self.dbdir);
        if let Some((k, r)) = cache.as_ref() {
            if *k == key {
                return r.clone();
            }
        }
        let run = self
            .tools
            .dnf(
                &self.tools.dnf_args(&["-q", "-C", "needs-restarting", "-r"]),
                self.timeout,
            )
            .map_err(|e| e.to_string());
        let answer = reboot::decide(self.flavor.name(), run.as_ref().map_err(Clone::clone));
        // An unknown answer may be passing (a timeout): ask again next time.
        if answer.state != linux_patch_shared::api::agent::TriState::Unknown {
            *cache = Some((key, answer.clone()));
        }
        answer
    }

    fn validate_version(&self, version: &str) -> Result<(), String> {
        evr::validate_version(version)
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
