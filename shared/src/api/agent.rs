//! Data transfer objects of the agent API (`/api/v1` on port 12443).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `GET /health`: is the agent serving, and how fresh is its package index. Fields beyond the seed's five
/// (`status`, `uptime_seconds`, `version`, `last_cache_update`, `cache_status`) are additive: clients ignore
/// what they do not know, so this struct does not refuse unknown fields either.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// `healthy`, or `degraded` when something needs attention (see `problems`). Older agents said `ok`.
    pub status: HealthStatus,
    /// Agent version (semver).
    pub version: String,
    /// Seconds since the agent started (older agents: `uptime_secs`).
    #[serde(alias = "uptime_secs")]
    pub uptime_seconds: u64,
    /// Package backend in use (`apt`, `dnf`, `yum`, `apk`, `pacman`, `simulated`).
    pub backend: String,
    /// When the package index was last refreshed successfully, if known: RFC 3339 with `+00:00` and at
    /// most 6 fractional digits (`2026-05-27T13:30:00+00:00`, what Python's `datetime.fromisoformat` reads).
    #[serde(serialize_with = "crate::timefmt::serialize_opt_offset")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub last_cache_update: Option<DateTime<Utc>>,
    /// Freshness of the package index: fresh (< 4 h), stale, unknown (never refreshed by the agent), failed.
    pub cache_status: CacheStatus,
    /// Why the status is `degraded`, one sentence each (empty when healthy).
    #[serde(default)]
    pub problems: Vec<String>,
    /// Delivery of audit events to `logging.remote_syslog`; null when not configured.
    #[serde(default)]
    pub remote_syslog: Option<RemoteSyslogStatus>,
}

/// Overall agent state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Serving, nothing wrong known (older agents said `ok`).
    #[serde(alias = "ok")]
    Healthy,
    /// Serving, but something needs attention: the last index refresh failed, the package backend is not
    /// usable, or the TLS material on disk no longer loads.
    Degraded,
}

/// Counters of the remote syslog sender (`GET /health`, `remote_syslog`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RemoteSyslogStatus {
    /// The configured collector, `udp://host:port` or `tcp://host:port`.
    pub target: String,
    /// Whether the sender currently has a working connection (UDP: the last send worked).
    pub connected: bool,
    /// Events sent since the agent started.
    pub sent: u64,
    /// Events waiting in the bounded queue.
    pub queued: u64,
    /// Events dropped since the agent started (queue full while the collector was unreachable, or a
    /// send that failed).
    pub dropped: u64,
    /// The last delivery error, if any since the last successful send.
    pub last_error: Option<String>,
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
    /// Reboot hint: whether installing this update is expected to need a reboot (kernel, C library,
    /// init system, D-Bus, microcode, firmware; per backend). Older agents did not send it.
    #[serde(default)]
    pub requires_reboot: bool,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_written_in_the_seed_form_and_read_in_both() {
        let h = Health {
            status: HealthStatus::Healthy,
            version: "1.2.3".into(),
            uptime_seconds: 12345,
            backend: "apt".into(),
            last_cache_update: chrono::DateTime::parse_from_rfc3339("2026-05-27T13:30:00.123456789Z")
                .ok()
                .map(|t| t.to_utc()),
            cache_status: CacheStatus::Fresh,
            problems: vec![],
            remote_syslog: None,
        };
        let v = serde_json::to_value(&h).unwrap();
        assert_eq!(v["status"], "healthy");
        assert_eq!(v["uptime_seconds"], 12345);
        assert_eq!(v["last_cache_update"], "2026-05-27T13:30:00.123456+00:00");
        assert!(v.get("uptime_secs").is_none());
        let back: Health = serde_json::from_value(v).unwrap();
        assert_eq!(back.uptime_seconds, 12345);

        // What an agent before this change sent (and a future one with more fields).
        let old: Health = serde_json::from_str(
            r#"{"status":"ok","version":"0.1.0","uptime_secs":5,"backend":"apt",
                "last_cache_update":"2026-05-27T13:30:00Z","cache_status":"failed","later_field":1}"#,
        )
        .unwrap();
        assert_eq!((old.status, old.uptime_seconds), (HealthStatus::Healthy, 5));
        assert_eq!(old.cache_status, CacheStatus::Failed);
        assert!(old.problems.is_empty() && old.remote_syslog.is_none());
        let degraded: Health = serde_json::from_str(
            r#"{"status":"degraded","version":"1","uptime_seconds":1,"backend":"dnf",
                "last_cache_update":null,"cache_status":"unknown"}"#,
        )
        .unwrap();
        assert_eq!(degraded.status, HealthStatus::Degraded);
    }

    #[test]
    fn patches_of_older_agents_have_no_reboot_hint() {
        let p: Patch = serde_json::from_str(
            r#"{"name":"a","architecture":"amd64","installed_version":"1","candidate_version":"2",
                "repository":"r","origins":[],"security":false,"severity":null,"cves":[],
                "security_source":"origin"}"#,
        )
        .unwrap();
        assert!(!p.requires_reboot);
    }
}
