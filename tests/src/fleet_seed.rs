//! The `fleet-sim --seed FILE` format: known data per simulated host (installed packages, pending updates
//! with security flag, severity and CVEs, reboot required, or no listener at all), so a test can compute
//! what every report must say from the same file the agents serve.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The seed file (JSON): host name -> what that host reports. Hosts not named keep the data their name
/// seeds in the simulated backend.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    /// Per host name (`sim-00001`, ...).
    pub hosts: BTreeMap<String, SeedHost>,
}

/// What one seeded host reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedHost {
    /// Nothing listens: connections are refused (the host never gives data).
    #[serde(default)]
    pub unreachable: bool,
    /// Installed packages.
    #[serde(default)]
    pub installed: Vec<SeedPackage>,
    /// Pending updates.
    #[serde(default)]
    pub updates: Vec<SeedUpdate>,
    /// Whether the host says a reboot is required (`yes`; otherwise `no`).
    #[serde(default)]
    pub reboot_required: bool,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedPackage {
    /// Name.
    pub name: String,
    /// Installed version.
    pub version: String,
    /// Architecture (default `amd64`).
    #[serde(default = "amd64")]
    pub architecture: String,
}

/// One pending update. Its installed version is the installed package of the same name and architecture
/// (none: a new package the upgrade pulls in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUpdate {
    /// Package name.
    pub name: String,
    /// Architecture (default `amd64`).
    #[serde(default = "amd64")]
    pub architecture: String,
    /// The version the update installs.
    pub candidate_version: String,
    /// A security update.
    #[serde(default)]
    pub security: bool,
    /// `critical`, `important`, `moderate`, `low` or none.
    #[serde(default)]
    pub severity: Option<String>,
    /// CVE ids it fixes.
    #[serde(default)]
    pub cves: Vec<String>,
}

fn amd64() -> String {
    "amd64".to_owned()
}

impl SeedFile {
    /// Writes it as JSON to `path`.
    pub fn write(&self, path: &std::path::Path) -> std::io::Result<()> {
        std::fs::write(path, serde_json::to_vec_pretty(self)?)
    }
}
