//! A host whose data comes from the `--seed` file: exactly the installed packages, pending updates and
//! reboot flag written there, served through the real agent stack. Read-only: it refuses every change (a
//! seeded fleet is for checking what the manager reports, not for deployments).

use linux_patch_api::backend::apt;
use linux_patch_api::backend::{
    BackendError, Operation, PackageBackend, PackageSpec, Progress, RunError, RunLimits,
};
use linux_patch_shared::api::agent::{Package, Patch, PatchOrigin, RebootRequired, TriState};
use linux_patch_tests::fleet_seed::{SeedFile, SeedHost};
use std::sync::Arc;
use std::time::Duration;

/// One seeded host.
#[derive(Debug)]
pub struct SeededBackend {
    installed: Arc<Vec<Package>>,
    updates: Arc<Vec<Patch>>,
    reboot: RebootRequired,
    changed: chrono::DateTime<chrono::Utc>,
    unhealthy: bool,
}

const READ_ONLY: &str = "seeded simulated host (fleet-sim --seed): packages cannot be changed";

/// Reads and checks `path`: every host it names must be in the fleet (`names`), every package name and
/// version must be valid apt ones, no package or update listed twice.
pub fn load(path: &std::path::Path, names: &[&str]) -> Result<SeedFile, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let seed: SeedFile =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: not a seed file: {e}", path.display()))?;
    for (host, h) in &seed.hosts {
        if !names.contains(&host.as_str()) {
            return Err(format!(
                "{}: host {host:?} is not in the fleet (sim-00001 .. sim-{:05})",
                path.display(),
                names.len()
            ));
        }
        let bad = |what: &str, e: String| format!("{}: host {host}: {what}: {e}", path.display());
        let mut seen = std::collections::BTreeSet::new();
        for p in &h.installed {
            apt::validate_name(&p.name).map_err(|e| bad("installed package", e))?;
            apt::validate_version(&p.version).map_err(|e| bad(&p.name, e))?;
            if !seen.insert((&p.name, &p.architecture)) {
                return Err(bad(&p.name, "installed twice".into()));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for u in &h.updates {
            apt::validate_name(&u.name).map_err(|e| bad("update", e))?;
            apt::validate_version(&u.candidate_version).map_err(|e| bad(&u.name, e))?;
            if !seen.insert((&u.name, &u.architecture)) {
                return Err(bad(&u.name, "two updates of one package".into()));
            }
        }
    }
    Ok(seed)
}

impl SeededBackend {
    /// The host `h` describes; `now` is its package database's last change.
    pub fn new(h: &SeedHost, now: chrono::DateTime<chrono::Utc>, unhealthy: bool) -> SeededBackend {
        let updates: Vec<Patch> = h
            .updates
            .iter()
            .map(|u| {
                let installed = h
                    .installed
                    .iter()
                    .find(|p| p.name == u.name && p.architecture == u.architecture);
                let (origin, suite) = if u.security {
                    ("Debian-Security", "stable-security")
                } else {
                    ("Debian", "stable")
                };
                Patch {
                    name: u.name.clone(),
                    architecture: u.architecture.clone(),
                    installed_version: installed.map(|p| p.version.clone()),
                    candidate_version: u.candidate_version.clone(),
                    repository: format!("{origin}:12/{suite}"),
                    origins: vec![PatchOrigin {
                        origin: origin.into(),
                        version: Some("12".into()),
                        suite: Some(suite.into()),
                    }],
                    security: u.security,
                    severity: u.severity.clone(),
                    cves: u.cves.clone(),
                    security_source: "origin".into(),
                    requires_reboot: false,
                }
            })
            .collect();
        let installed = h
            .installed
            .iter()
            .map(|p| {
                let candidate = updates
                    .iter()
                    .find(|u| u.name == p.name && u.architecture == p.architecture)
                    .map(|u| u.candidate_version.clone());
                Package {
                    name: p.name.clone(),
                    version: p.version.clone(),
                    architecture: p.architecture.clone(),
                    status: "installed".into(),
                    summary: Some(format!("{} (seeded)", p.name)),
                    section: None,
                    installed_size_kib: None,
                    source: None,
                    upgradable: Some(candidate.is_some()),
                    candidate_version: candidate,
                }
            })
            .collect();
        let reboot = if h.reboot_required {
            RebootRequired {
                state: TriState::Yes,
                reason: "seeded simulated host: the seed says a reboot is required".into(),
                packages: Vec::new(),
            }
        } else {
            RebootRequired {
                state: TriState::No,
                reason: "seeded simulated host: the seed says no reboot is required".into(),
                packages: Vec::new(),
            }
        };
        SeededBackend {
            installed: Arc::new(installed),
            updates: Arc::new(updates),
            reboot,
            changed: now,
            unhealthy,
        }
    }
}

impl PackageBackend for SeededBackend {
    fn name(&self) -> &'static str {
        "simulated"
    }

    fn validate_name(&self, name: &str) -> Result<(), String> {
        apt::validate_name(name)
    }

    fn compare_versions(&self, a: &str, b: &str) -> std::cmp::Ordering {
        apt::compare_versions(a, b)
    }

    fn installed(&self) -> Result<Arc<Vec<Package>>, BackendError> {
        Ok(self.installed.clone())
    }

    fn upgrades(&self) -> Result<Arc<Vec<Patch>>, BackendError> {
        Ok(self.updates.clone())
    }

    fn last_change(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(self.changed)
    }

    fn reboot_required(&self) -> RebootRequired {
        self.reboot.clone()
    }

    fn validate_version(&self, version: &str) -> Result<(), String> {
        apt::validate_version(version)
    }

    fn refresh_index(&self, _timeout: Duration) -> Result<(), BackendError> {
        if self.unhealthy {
            return Err(BackendError::Command(
                "apt-get update (simulated): this seeded host is configured unhealthy".into(),
            ));
        }
        Ok(())
    }

    fn check_obtainable(&self, _spec: &PackageSpec) -> Result<(), String> {
        Err(READ_ONLY.into())
    }

    fn execute(
        &self,
        _op: &Operation,
        _limits: &RunLimits,
        _progress: &mut dyn Progress,
    ) -> Result<(), RunError> {
        Err(RunError::Failed {
            exit_code: None,
            message: READ_ONLY.into(),
            fetch_error: false,
        })
    }
}
