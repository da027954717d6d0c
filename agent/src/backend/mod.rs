//! The package-manager backend trait every distribution implements, and backend selection.

pub mod apt;

use linux_patch_shared::api::agent::{Package, Patch, RebootRequired};
use std::collections::BTreeMap;
use std::sync::Arc;

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

    /// Checks a package name against this backend's grammar; the error says what is wrong.
    fn validate_name(&self, name: &str) -> Result<(), String>;

    /// Every installed package (all states except purged), with `upgradable`/`candidate_version` filled
    /// from `upgrades()` when that succeeds and null when it does not.
    fn installed(&self) -> Result<Arc<Vec<Package>>, BackendError>;

    /// Every pending update with its security classification.
    fn upgrades(&self) -> Result<Arc<Vec<Patch>>, BackendError>;

    /// When the package database last changed, if known.
    fn last_change(&self) -> Option<chrono::DateTime<chrono::Utc>>;

    /// Whether the host needs a reboot, and why.
    fn reboot_required(&self) -> RebootRequired;
}

/// The backend the process uses, shared by every handler.
pub type SharedBackend = Arc<dyn PackageBackend>;

/// Chooses the backend for `kind`; `auto` picks from the package tools present on this host.
pub fn select(kind: crate::config::BackendKind, cmd_env: CommandEnv) -> Result<SharedBackend, String> {
    use crate::config::BackendKind;
    match kind {
        BackendKind::Apt => Ok(Arc::new(
            apt::AptBackend::new(cmd_env).map_err(|e| e.to_string())?,
        )),
        BackendKind::Auto => {
            if has_dpkg(&cmd_env) {
                Ok(Arc::new(
                    apt::AptBackend::new(cmd_env).map_err(|e| e.to_string())?,
                ))
            } else {
                Err(
                    "no supported package manager found (this version drives apt/dpkg; set `backend.kind`)"
                        .into(),
                )
            }
        }
        other => Err(format!(
            "backend `{}` is not available in this version of the agent (supported: apt)",
            format!("{other:?}").to_lowercase()
        )),
    }
}

fn has_dpkg(cmd_env: &CommandEnv) -> bool {
    let admindir = cmd_env
        .env
        .get("DPKG_ADMINDIR")
        .cloned()
        .or_else(|| std::env::var("DPKG_ADMINDIR").ok())
        .unwrap_or_else(|| "/var/lib/dpkg".into());
    std::path::Path::new(&admindir).join("status").exists()
}
