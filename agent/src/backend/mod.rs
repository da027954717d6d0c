//! The package-manager backend trait every distribution implements, and backend selection.

pub mod apk;
pub mod apt;
pub mod detect;
pub mod dnf;
pub mod gate;
pub mod listing;
pub mod pacman;
pub mod probe;
pub mod process;
pub mod reboot_hint;
pub mod simulated;
pub mod stamp;

use linux_patch_shared::api::agent::{Package, Patch, RebootRequired};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Why a backend call failed. Always a server-side problem (5xx), never the client's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendError {
    /// A package-manager command could not be started, timed out or failed; the message says which and why.
    Command(String),
    /// A package database or state file could not be read or parsed.
    Io(String),
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendError::Command(m) => write!(f, "package manager command failed: {m}"),
            BackendError::Io(m) => write!(f, "package database unreadable: {m}"),
        }
    }
}

impl std::error::Error for BackendError {}

/// How the backend runs the package manager: extra environment and global arguments from `config.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandEnv {
    /// Extra environment (e.g. `APT_CONFIG`, `DPKG_ADMINDIR`, `http_proxy`).
    pub env: BTreeMap<String, String>,
    /// Extra global arguments placed before the subcommand.
    pub extra_args: Vec<String>,
}

/// What every package backend offers. Calls block (they read files and run commands): call them from
/// `web::block` or a blocking thread, never directly on an async executor.
pub trait PackageBackend: Send + Sync + std::fmt::Debug {
    /// Backend name as reported in health and system info (`apt`, `dnf`, ...).
    fn name(&self) -> &'static str;

    /// Whether the backend is usable now (its programs installed, its database readable); cheap enough
    /// for every `GET /health` (no package-manager run). `Err` says what is wrong.
    fn probe(&self) -> Result<(), String> {
        Ok(())
    }

    /// Checks a package name against this backend's grammar; the error says what is wrong.
    fn validate_name(&self, name: &str) -> Result<(), String>;

    /// Orders two versions the way this package manager does (dpkg, rpm, pacman and apk differ).
    fn compare_versions(&self, a: &str, b: &str) -> std::cmp::Ordering;

    /// Every installed package (all states except purged), with `upgradable`/`candidate_version` filled
    /// from `upgrades()` when that succeeds and null when it does not.
    fn installed(&self) -> Result<Arc<Vec<Package>>, BackendError>;

    /// Every pending update with its security classification.
    fn upgrades(&self) -> Result<Arc<Vec<Patch>>, BackendError>;

    /// When the package database last changed, if known.
    fn last_change(&self) -> Option<chrono::DateTime<chrono::Utc>>;

    /// Whether the host needs a reboot, and why.
    fn reboot_required(&self) -> RebootRequired;

    /// Checks a version string against this backend's grammar; the error says what is wrong.
    fn validate_version(&self, version: &str) -> Result<(), String>;

    /// Refreshes the package index (`apt-get update`, ...), killed after `timeout`. A repository that
    /// cannot be fetched is an error (apt only warns about it: the backend must notice).
    fn refresh_index(&self, timeout: Duration) -> Result<(), BackendError>;

    /// Whether `spec` could be installed now (the package and, when given, that version are obtainable),
    /// decided by the package manager's own simulation; `Err` carries the reason in the tool's words.
    fn check_obtainable(&self, spec: &PackageSpec) -> Result<(), String>;

    /// Runs one changing operation to completion, streaming its output to `progress`; the process group
    /// is killed when `limits.timeout` passes. Never a shell; names and versions after `--`.
    fn execute(
        &self,
        op: &Operation,
        limits: &RunLimits,
        progress: &mut dyn Progress,
    ) -> Result<(), RunError>;
}

/// A package, optionally pinned to a version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PackageSpec {
    /// Package name.
    pub name: String,
    /// Exact version, or `None` for the candidate.
    pub version: Option<String>,
}

/// One operation that changes the host's packages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Operation {
    /// Install packages (already checked to be obtainable), each pinned or not.
    Install {
        /// What to install.
        packages: Vec<PackageSpec>,
    },
    /// Upgrade (or with `allow_downgrade`, downgrade) one installed package.
    Update {
        /// The package, pinned to a version or not.
        package: PackageSpec,
        /// Permit a version lower than the installed one.
        allow_downgrade: bool,
    },
    /// Remove one package (and with `purge`, its configuration files).
    Remove {
        /// Package name.
        name: String,
        /// Also remove configuration files.
        purge: bool,
    },
    /// Apply pending updates: all (`packages` empty and not `security_only`), the listed ones, or
    /// the security ones.
    Upgrade {
        /// Only these packages (empty = all pending).
        packages: Vec<String>,
        /// Only security updates.
        security_only: bool,
    },
    /// Return packages to recorded versions: install/downgrade `install` (exact versions, downgrades
    /// allowed) and remove `remove`, in one transaction.
    Restore {
        /// Packages to put back at exact versions.
        install: Vec<PackageSpec>,
        /// Packages to remove.
        remove: Vec<String>,
        /// Remove their configuration files too (they had none before the job being undone); backends
        /// without separate configuration removal ignore it.
        #[serde(default)]
        purge: bool,
    },
}

/// Time limits of one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    /// Kill the operation's process group after this long.
    pub timeout: Duration,
    /// How long to wait for the package manager's lock before failing.
    pub lock_timeout: Duration,
}

/// Where a running operation reports to.
pub trait Progress: Send {
    /// One line of the package manager's output (stdout or stderr), without the newline.
    fn line(&mut self, line: &str);
    /// Overall progress in percent, with the phase in words (`downloading`, `installing pmtest-lib`, ...).
    fn percent(&mut self, percent: u8, phase: &str);
}

/// Why an operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// Killed after `RunLimits::timeout`.
    TimedOut,
    /// The package manager exited non-zero; `fetch_error` when a download/404 caused it (the job then
    /// refreshes the index once and retries once).
    Failed {
        /// Exit code, if it exited.
        exit_code: Option<i32>,
        /// The decisive error lines (`E: ...`), or a summary.
        message: String,
        /// A fetch (404, unreachable mirror) failure.
        fetch_error: bool,
    },
    /// Could not run at all.
    Backend(BackendError),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::TimedOut => f.write_str("timed out; the package manager was killed"),
            RunError::Failed {
                exit_code, message, ..
            } => match exit_code {
                Some(c) => write!(f, "package manager exited with {c}: {message}"),
                None => write!(f, "package manager failed: {message}"),
            },
            RunError::Backend(e) => write!(f, "{e}"),
        }
    }
}

/// The backend the process uses, shared by every handler.
pub type SharedBackend = Arc<dyn PackageBackend>;

/// Chooses the backend for `kind`; `auto` detects it from `/etc/os-release` and the tools present.
/// An impossible choice is an error sentence naming what is missing.
pub fn select(
    kind: crate::config::BackendKind,
    cmd_env: CommandEnv,
    clock: linux_patch_shared::clock::SharedClock,
) -> Result<SharedBackend, String> {
    use crate::config::BackendKind;
    let err = |e: BackendError| e.to_string();
    Ok(match kind {
        BackendKind::Auto => {
            let detected = detect::detect_host()?;
            log::info!("backend.kind auto: detected {}", detect::kind_name(detected));
            return select(detected, cmd_env, clock);
        }
        BackendKind::Apt => Arc::new(apt::AptBackend::new(cmd_env).map_err(err)?),
        BackendKind::Dnf => Arc::new(dnf::DnfBackend::new(cmd_env, dnf::DnfFlavor::Dnf).map_err(err)?),
        BackendKind::Yum => Arc::new(dnf::DnfBackend::new(cmd_env, dnf::DnfFlavor::Yum).map_err(err)?),
        BackendKind::Apk => Arc::new(apk::ApkBackend::new(cmd_env).map_err(err)?),
        BackendKind::Pacman => Arc::new(pacman::PacmanBackend::new(cmd_env).map_err(err)?),
        BackendKind::Simulated => Arc::new(simulated::SimulatedBackend::from_env(&cmd_env, clock)?),
    })
}
