//! Data transfer objects of the agent API (`/api/v1` on port 12443).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `GET /health`: is the agent serving, and how fresh is its package index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// `ok`, or `degraded` when the last package-index refresh failed.
    pub status: HealthStatus,
    /// Agent version (semver).
    pub version: String,
    /// Seconds since the agent started.
    pub uptime_secs: u64,
    /// Package backend in use (`apt`, `dnf`, `yum`, `apk`, `pacman`, `simulated`).
    pub backend: String,
    /// When the package index was last refreshed successfully, if known.
    pub last_cache_update: Option<DateTime<Utc>>,
    /// Freshness of the package index: fresh (< 4 h), stale, unknown (never refreshed by the agent), failed.
    pub cache_status: CacheStatus,
}

/// Overall agent state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Serving, nothing wrong known.
    Ok,
    /// Serving, but something needs attention (e.g. the last index refresh failed).
    Degraded,
}

/// Freshness of the package index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CacheStatus {
    /// Refreshed less than 4 hours ago.
    Fresh,
    /// Refreshed more than 4 hours ago.
    Stale,
    /// No refresh recorded by the agent yet.
    Unknown,
    /// The last refresh failed.
    Failed,
}

/// `GET /system/info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemInfo {
    /// Short host name (`/proc/sys/kernel/hostname`).
    pub hostname: String,
    /// Fully qualified domain name as the resolver knows it (the short name when it knows no better).
    pub fqdn: String,
    /// Operating system from `/etc/os-release`.
    pub os: OsInfo,
    /// Running kernel release (`uname -r`).
    pub kernel: String,
    /// Machine architecture (`uname -m`).
    pub arch: String,
    /// `/etc/machine-id`, when present.
    pub machine_id: Option<String>,
    /// Seconds since boot.
    pub uptime_secs: u64,
    /// When the package database last changed (a package installed, upgraded or removed), if known.
    pub last_update: Option<DateTime<Utc>>,
    /// Whether the host needs a reboot, and why.
    pub reboot_required: RebootRequired,
    /// Package backend in use.
    pub backend: String,
}

/// Fields of `/etc/os-release` (absent ones are null).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OsInfo {
    /// `ID`, e.g. `debian`.
    pub id: Option<String>,
    /// `ID_LIKE` split on spaces.
    pub id_like: Vec<String>,
    /// `NAME`.
    pub name: Option<String>,
    /// `VERSION_ID`.
    pub version_id: Option<String>,
    /// `VERSION_CODENAME`.
    pub version_codename: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<String>,
}

/// Yes, no or unknown, always with the reason that decided it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RebootRequired {
    /// The answer.
    pub state: TriState,
    /// What decided it (flag file, kernel comparison, ...), in words.
    pub reason: String,
    /// Packages that asked for the reboot, when the source names them.
    #[serde(default)]
    pub packages: Vec<String>,
}

/// An answer that may honestly be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriState {
    /// Yes.
    Yes,
    /// No.
    No,
    /// The agent cannot tell.
    Unknown,
}

/// One installed package (`GET /packages`, `GET /packages/{name}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// Package name (without architecture qualifier).
    pub name: String,
    /// Installed version.
    pub version: String,
    /// Architecture (`amd64`, `all`, `x86_64`, `noarch`, ...).
    pub architecture: String,
    /// Package state: `installed`, `config-files`, `half-installed`, `unpacked`, `half-configured`,
    /// `triggers-awaited`, `triggers-pending`.
    pub status: String,
    /// One-line description.
    pub summary: Option<String>,
    /// Archive section, when the backend knows it.
    pub section: Option<String>,
    /// Installed size in KiB, when known.
    pub installed_size_kib: Option<u64>,
    /// Source package, when it differs from the name.
    pub source: Option<String>,
    /// Whether a newer version is available (null when the backend could not tell).
    pub upgradable: Option<bool>,
    /// The version an upgrade would install.
    pub candidate_version: Option<String>,
}

/// One pending update (`GET /patches`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// Package name.
    pub name: String,
    /// Architecture of the candidate.
    pub architecture: String,
    /// Installed version; null for a new package an upgrade pulls in.
    pub installed_version: Option<String>,
    /// Version the update installs.
    pub candidate_version: String,
    /// Where the candidate comes from, as the package manager names it (e.g. `Debian-Security:12/stable-security`).
    pub repository: String,
    /// Each origin of the candidate, parsed.
    pub origins: Vec<PatchOrigin>,
    /// Whether this is a security update.
    pub security: bool,
    /// Severity (`critical`, `important`, `moderate`, `low`) where the data exists.
    pub severity: Option<String>,
    /// CVE ids where the data exists.
    pub cves: Vec<String>,
    /// Which data decided `security`: `origin`, `updateinfo`, `arch-audit`, `secdb` or `unknown`.
    pub security_source: String,
}

/// One origin of an update (an apt release, an rpm repository, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchOrigin {
    /// Origin (`Debian`, `Debian-Security`, `Ubuntu`, a repository id).
    pub origin: String,
    /// Release version, when given.
    pub version: Option<String>,
    /// Suite or archive (`stable-security`, `jammy-updates`), when given.
    pub suite: Option<String>,
}
