//! Hot reload, the plain part: which settings changed between two configurations and which of them a
//! running agent applies at once (allow-list, certificates, logging) versus at the next restart.

pub mod candidate;
pub mod watch;

pub use candidate::{load, Candidate, Refusal, TlsDigest};

use crate::config::AgentConfig;

/// Settings a running agent applies without a restart; every other setting waits for the next start.
pub const LIVE: &[&str] = &[
    "allow",
    "certificates",
    "tls.ca_cert",
    "tls.server_cert",
    "tls.server_key",
    "tls.crl",
    "logging.level",
    "logging.retention_days",
];

/// Whether `field` (as named by [`changed_fields`]) is applied live.
pub fn is_live(field: &str) -> bool {
    LIVE.contains(&field)
}

/// Every setting that differs between `old` and `new`, as dotted names (`server.port`, `allow`).
/// Certificate paths are compared resolved; the certificates' contents are compared by [`plan`].
pub fn changed_fields(old: &AgentConfig, new: &AgentConfig) -> Vec<&'static str> {
    let (a, b) = (&old.file, &new.file);
    let checks = [
        ("server.bind_address", old.listen.ip() != new.listen.ip()),
        ("server.port", old.listen.port() != new.listen.port()),
        (
            "server.request_timeout_secs",
            a.server.request_timeout_secs != b.server.request_timeout_secs,
        ),
        (
            "server.max_body_bytes",
            a.server.max_body_bytes != b.server.max_body_bytes,
        ),
        ("tls.ca_cert", old.tls.ca_cert != new.tls.ca_cert),
        ("tls.server_cert", old.tls.server_cert != new.tls.server_cert),
        ("tls.server_key", old.tls.server_key != new.tls.server_key),
        ("tls.crl", old.tls.crl != new.tls.crl),
        ("logging.level", a.logging.level != b.logging.level),
        (
            "logging.retention_days",
            a.logging.retention_days != b.logging.retention_days,
        ),
        (
            "logging.remote_syslog",
            a.logging.remote_syslog != b.logging.remote_syslog,
        ),
        (
            "security.job_timeout_secs",
            a.security.job_timeout_secs != b.security.job_timeout_secs,
        ),
        (
            "security.max_concurrent_jobs",
            a.security.max_concurrent_jobs != b.security.max_concurrent_jobs,
        ),
        (
            "security.rate_limit_per_minute",
            a.security.rate_limit_per_minute != b.security.rate_limit_per_minute,
        ),
        (
            "security.job_retention_days",
            a.security.job_retention_days != b.security.job_retention_days,
        ),
        ("backend.kind", a.backend.kind != b.backend.kind),
        ("backend.env", a.backend.env != b.backend.env),
        ("backend.extra_args", a.backend.extra_args != b.backend.extra_args),
        (
            "system.reboot_command",
            a.system.reboot_command != b.system.reboot_command,
        ),
        (
            "manager.refresh_secs",
            a.manager.refresh_secs != b.manager.refresh_secs,
        ),
        ("allow", old.allow != new.allow),
    ];
    let mut changed: Vec<&'static str> = checks
        .into_iter()
        .filter_map(|(field, differs)| differs.then_some(field))
        .collect();
    // A setting added to config.yaml but not to the list above still counts (and waits for a restart).
    if a != b && changed.iter().all(|f| *f == "allow" || f.starts_with("tls.")) {
        changed.insert(0, "config.yaml");
    }
    changed
}

/// What one reload does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Settings that differ from the configuration applied last (`certificates`: the files' contents).
    pub changed: Vec<&'static str>,
    /// Settings that differ from what the process started with and only a restart applies.
    pub restart_required: Vec<&'static str>,
}

impl Plan {
    /// The changed settings applied now.
    pub fn applied_live(&self) -> Vec<&'static str> {
        self.changed.iter().copied().filter(|f| is_live(f)).collect()
    }

    /// The changed settings that wait for a restart (and were not already pending before this reload).
    pub fn newly_pending(&self) -> Vec<&'static str> {
        self.changed
            .iter()
            .copied()
            .filter(|f| !is_live(f) && self.restart_required.contains(f))
            .collect()
    }

    /// Whether the allow-list must be swapped.
    pub fn swap_allow(&self) -> bool {
        self.changed.contains(&"allow")
    }

    /// Whether the TLS configuration must be rebuilt and swapped.
    pub fn swap_tls(&self) -> bool {
        self.changed
            .iter()
            .any(|f| *f == "certificates" || f.starts_with("tls."))
    }

    /// Whether the logger must be reconfigured.
    pub fn swap_logging(&self) -> bool {
        self.changed
            .iter()
            .any(|f| *f == "logging.level" || *f == "logging.retention_days")
    }
}

/// Compares a validated candidate with the applied configuration (`applied_digest`: the applied
/// certificates' contents, when known) and with the one the process `started` with.
pub fn plan(
    started: &AgentConfig,
    applied: &AgentConfig,
    applied_digest: Option<&TlsDigest>,
    new: &AgentConfig,
    new_digest: &TlsDigest,
) -> Plan {
    let mut changed = changed_fields(applied, new);
    if applied_digest.is_some_and(|d| d != new_digest) && !changed.iter().any(|f| f.starts_with("tls.")) {
        changed.push("certificates");
    }
    let restart_required = changed_fields(started, new)
        .into_iter()
        .filter(|f| !is_live(f))
        .collect();
    Plan {
        changed,
        restart_required,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AllowList, ConfigFile, TlsPaths};
    use std::net::SocketAddr;
    use std::path::Path;

    fn cfg(port: u16, allow: &[&str]) -> AgentConfig {
        let raw: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
        AgentConfig {
            file: ConfigFile::default(),
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            tls: TlsPaths {
                ca_cert: "/etc/x/certs/ca.pem".into(),
                server_cert: "/etc/x/certs/server.pem".into(),
                server_key: "/etc/x/certs/server.key".into(),
                crl: None,
            },
            allow: AllowList::from_entries(Path::new("/w.yaml"), "", &raw).unwrap(),
        }
    }

    fn digest(b: u8) -> TlsDigest {
        TlsDigest::from_bytes([b; 32])
    }

    #[test]
    fn identical_configurations_change_nothing() {
        let a = cfg(1, &["127.0.0.1"]);
        let p = plan(&a, &a, Some(&digest(1)), &a.clone(), &digest(1));
        assert_eq!(p, Plan::default());
        assert!(!p.swap_allow() && !p.swap_tls() && !p.swap_logging());
    }

    #[test]
    fn allow_list_and_log_level_apply_live() {
        let a = cfg(1, &["127.0.0.1"]);
        let mut b = cfg(1, &["127.0.0.2"]);
        b.file.logging.level = crate::config::file::LogLevel::Warn;
        let p = plan(&a, &a, Some(&digest(1)), &b, &digest(1));
        assert_eq!(p.changed, ["logging.level", "allow"]);
        assert_eq!(p.applied_live(), ["logging.level", "allow"]);
        assert!(p.restart_required.is_empty());
        assert!(p.swap_allow() && p.swap_logging() && !p.swap_tls());
    }

    #[test]
    fn listen_port_and_limits_wait_for_a_restart() {
        let a = cfg(1, &["127.0.0.1"]);
        let mut b = cfg(2, &["127.0.0.1"]);
        b.file.security.rate_limit_per_minute = 5;
        let p = plan(&a, &a, Some(&digest(1)), &b, &digest(1));
        assert_eq!(p.changed, ["server.port", "security.rate_limit_per_minute"]);
        assert!(p.applied_live().is_empty());
        assert_eq!(p.restart_required, p.changed);
        assert_eq!(p.newly_pending(), p.changed);
    }

    #[test]
    fn restart_is_measured_against_what_the_process_started_with() {
        let started = cfg(1, &["127.0.0.1"]);
        let applied = cfg(2, &["127.0.0.1"]); // a reload already reported the new port as pending
        let back = plan(&started, &applied, None, &started.clone(), &digest(1));
        assert_eq!(back.changed, ["server.port"]);
        assert!(back.restart_required.is_empty(), "back to the running port");
        assert!(back.newly_pending().is_empty());

        let unrelated = cfg(2, &["127.0.0.2"]);
        let p = plan(&started, &applied, None, &unrelated, &digest(1));
        assert_eq!(p.restart_required, ["server.port"], "still pending");
        assert!(p.newly_pending().is_empty(), "but not news");
    }

    #[test]
    fn a_setting_missing_from_the_list_still_counts_as_a_restart_change() {
        let a = cfg(1, &["127.0.0.1"]);
        let mut b = a.clone();
        b.file.system.reboot_command = vec!["true".into()];
        assert_eq!(changed_fields(&a, &b), ["system.reboot_command"]);
        // Relative certificate paths spelled differently but resolving the same are no change...
        let mut c = a.clone();
        c.file.tls.ca_cert = "./certs/ca.pem".into();
        // ... yet the file differs, so the fallback names it rather than missing it.
        assert_eq!(changed_fields(&a, &c), ["config.yaml"]);
        assert!(!is_live("config.yaml"));
    }

    #[test]
    fn replaced_certificate_contents_are_a_tls_change() {
        let a = cfg(1, &["127.0.0.1"]);
        let p = plan(&a, &a, Some(&digest(1)), &a.clone(), &digest(2));
        assert_eq!(p.changed, ["certificates"]);
        assert!(p.swap_tls());
        // Unknown applied contents (the start-up configuration) are not reported as a change.
        assert!(plan(&a, &a, None, &a.clone(), &digest(2)).changed.is_empty());

        let mut moved = a.clone();
        moved.tls.crl = Some("/etc/x/crl.pem".into());
        let p = plan(&a, &a, Some(&digest(1)), &moved, &digest(2));
        assert_eq!(
            p.changed,
            ["tls.crl"],
            "a path change already says the TLS set changed"
        );
        assert!(p.restart_required.is_empty());
    }
}
