//! `config.yaml`: the typed file (unknown keys are errors), its defaults, and loading with located errors.

use super::error::ConfigError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// The whole `config.yaml`. Every section and key is optional; absent ones take the documented default.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    /// Listener settings.
    pub server: ServerSection,
    /// Certificate paths.
    pub tls: TlsSection,
    /// Log level, retention, remote syslog.
    pub logging: LoggingSection,
    /// Limits.
    pub security: SecuritySection,
    /// Package backend.
    pub backend: BackendSection,
    /// Host actions.
    pub system: SystemSection,
    /// Talking to the manager an enrolled agent belongs to (CRL fetch, certificate renewal).
    pub manager: super::manager_link::ManagerSection,
}

/// `system:`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SystemSection {
    /// Program and arguments a reboot job runs (no shell).
    pub reboot_command: Vec<String>,
}

impl Default for SystemSection {
    fn default() -> Self {
        Self {
            reboot_command: vec!["systemctl".into(), "reboot".into()],
        }
    }
}

/// `server:`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// IPv4 address to listen on (IPv6 is not supported).
    pub bind_address: String,
    /// TCP port.
    pub port: u16,
    /// Seconds a client has to send a complete request, and the limit on one request's handling.
    pub request_timeout_secs: u64,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            bind_address: "0.0.0.0".into(),
            port: 12443,
            request_timeout_secs: 30,
            max_body_bytes: 1_048_576,
        }
    }
}

/// `tls:` (relative paths resolve against the directory of `config.yaml`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSection {
    /// CA that issues client certificates.
    pub ca_cert: PathBuf,
    /// Server certificate (chain).
    pub server_cert: PathBuf,
    /// Server private key.
    pub server_key: PathBuf,
    /// Optional CRL of revoked client certificates.
    pub crl: Option<PathBuf>,
}

impl Default for TlsSection {
    fn default() -> Self {
        Self {
            ca_cert: "certs/ca.pem".into(),
            server_cert: "certs/server.pem".into(),
            server_key: "certs/server.key".into(),
            crl: None,
        }
    }
}

/// `logging:`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingSection {
    /// Operational log level.
    pub level: LogLevel,
    /// Days of rotated `audit.log` files kept (rotated daily, gzip).
    pub retention_days: u32,
    /// `udp://host:514` or `tcp://host:514`; null for none.
    pub remote_syslog: Option<String>,
}

impl Default for LoggingSection {
    fn default() -> Self {
        Self {
            level: LogLevel::Info,
            retention_days: 30,
            remote_syslog: None,
        }
    }
}

/// Log level names accepted in `logging.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Everything.
    Trace,
    /// Diagnostics.
    Debug,
    /// Normal operation.
    Info,
    /// Problems that do not stop the agent.
    Warn,
    /// Failures.
    Error,
}

impl LogLevel {
    /// The `log` crate's filter.
    pub fn filter(self) -> log::LevelFilter {
        match self {
            LogLevel::Trace => log::LevelFilter::Trace,
            LogLevel::Debug => log::LevelFilter::Debug,
            LogLevel::Info => log::LevelFilter::Info,
            LogLevel::Warn => log::LevelFilter::Warn,
            LogLevel::Error => log::LevelFilter::Error,
        }
    }
}

/// `security:`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySection {
    /// Longest a package job may run.
    pub job_timeout_secs: u64,
    /// Jobs run at once; more are queued.
    pub max_concurrent_jobs: u32,
    /// Requests per minute per client address (0 = unlimited).
    pub rate_limit_per_minute: u32,
    /// Days finished jobs stay queryable.
    pub job_retention_days: u32,
}

impl Default for SecuritySection {
    fn default() -> Self {
        Self {
            job_timeout_secs: 1800,
            max_concurrent_jobs: 5,
            rate_limit_per_minute: 600,
            job_retention_days: 7,
        }
    }
}

/// `backend:`.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct BackendSection {
    /// Which package manager to drive.
    pub kind: BackendKind,
    /// Extra environment for package-manager commands.
    pub env: BTreeMap<String, String>,
    /// Extra global arguments for package-manager commands.
    pub extra_args: Vec<String>,
}

/// `backend.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Chosen from `/etc/os-release` and the binaries present.
    #[default]
    Auto,
    /// Debian, Ubuntu.
    Apt,
    /// Fedora, RHEL 8+.
    Dnf,
    /// RHEL/CentOS `yum`.
    Yum,
    /// Alpine.
    Apk,
    /// Arch.
    Pacman,
    /// Synthetic packages for demos and scale tests.
    Simulated,
}

pub use linux_patch_shared::config_file::{parse_yaml, parse_yaml_text};

/// Checks the values serde cannot: address family, ranges, remote syslog form.
pub fn validate(file: &Path, text: &str, cfg: &ConfigFile) -> Result<Ipv4Addr, ConfigError> {
    let field = |f: &str, m: String| ConfigError::field(file, text, f, m);
    let bind: Ipv4Addr = match cfg.server.bind_address.parse() {
        Ok(a) => a,
        Err(_) if cfg.server.bind_address.contains(':') => {
            return Err(field(
                "server.bind_address",
                "IPv6 addresses are not supported; use an IPv4 address".into(),
            ))
        }
        Err(_) => {
            return Err(field(
                "server.bind_address",
                format!("`{}` is not an IPv4 address", cfg.server.bind_address),
            ))
        }
    };
    if cfg.server.port == 0 {
        return Err(field("server.port", "must be between 1 and 65535".into()));
    }
    if !(1..=3600).contains(&cfg.server.request_timeout_secs) {
        return Err(field(
            "server.request_timeout_secs",
            "must be between 1 and 3600".into(),
        ));
    }
    if !(1024..=1_073_741_824).contains(&cfg.server.max_body_bytes) {
        return Err(field(
            "server.max_body_bytes",
            "must be between 1024 and 1073741824".into(),
        ));
    }
    if cfg.logging.retention_days == 0 {
        return Err(field("logging.retention_days", "must be at least 1".into()));
    }
    if let Some(remote) = &cfg.logging.remote_syslog {
        super::syslog_target::Target::parse(remote).map_err(|e| field("logging.remote_syslog", e))?;
    }
    if !(1..=86_400).contains(&cfg.security.job_timeout_secs) {
        return Err(field(
            "security.job_timeout_secs",
            "must be between 1 and 86400".into(),
        ));
    }
    if cfg
        .system
        .reboot_command
        .first()
        .is_none_or(|p| p.trim().is_empty())
    {
        return Err(field(
            "system.reboot_command",
            "must name a program, e.g. [systemctl, reboot]".into(),
        ));
    }
    if !(1..=64).contains(&cfg.security.max_concurrent_jobs) {
        return Err(field(
            "security.max_concurrent_jobs",
            "must be between 1 and 64".into(),
        ));
    }
    if cfg.security.job_retention_days == 0 {
        return Err(field("security.job_retention_days", "must be at least 1".into()));
    }
    cfg.manager
        .validate()
        .map_err(|e| field("manager.refresh_secs", e))?;
    for key in cfg.backend.env.keys() {
        let ok = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !ok {
            return Err(field(
                "backend.env",
                format!("`{key}` is not a valid environment variable name"),
            ));
        }
    }
    Ok(bind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        parse_yaml_text(Path::new("/c.yaml"), text)
    }

    #[test]
    fn empty_file_gives_documented_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.server.port, 12443);
        assert_eq!(c.server.max_body_bytes, 1_048_576);
        assert_eq!(c.security.max_concurrent_jobs, 5);
        assert_eq!(c.security.rate_limit_per_minute, 600);
        assert_eq!(c.tls.ca_cert, Path::new("certs/ca.pem"));
        assert_eq!(c.backend.kind, BackendKind::Auto);
    }

    #[test]
    fn design_example_parses() {
        let text = "server:   { bind_address: 0.0.0.0, port: 12443, request_timeout_secs: 30, max_body_bytes: 1048576 }
tls:      { ca_cert: certs/ca.pem, server_cert: certs/server.pem, server_key: certs/server.key, crl: null }
logging:  { level: info, retention_days: 30, remote_syslog: null }
security: { job_timeout_secs: 1800, max_concurrent_jobs: 5, rate_limit_per_minute: 600, job_retention_days: 7 }
backend:
  kind: auto
  env: {}
  extra_args: []
";
        let c = parse(text).unwrap();
        assert_eq!(c, ConfigFile::default());
        validate(Path::new("/c.yaml"), text, &c).unwrap();
    }

    #[test]
    fn remote_syslog_takes_udp_and_tcp_targets_only() {
        for ok in [
            "udp://127.0.0.1:514",
            "tcp://logs.example.lan:6514",
            "udp://collector",
        ] {
            let text = format!("logging: {{ remote_syslog: \"{ok}\" }}\n");
            validate(Path::new("/c.yaml"), &text, &parse(&text).unwrap()).unwrap();
        }
        for bad in ["syslog://h:514", "udp://[::1]:514", "tcp://h:0"] {
            let text = format!("logging: {{ remote_syslog: \"{bad}\" }}\n");
            let e = validate(Path::new("/c.yaml"), &text, &parse(&text).unwrap()).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("logging.remote_syslog"), "{bad}: {e}");
        }
    }

    #[test]
    fn unknown_key_names_line_and_field() {
        let e = parse("server:\n  port: 12443\n  prot: 1\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert_eq!(e.field.as_deref(), Some("server.prot"), "{e}");
        assert!(e.message.starts_with("unknown field `prot`"), "{e}");
    }

    #[test]
    fn wrong_type_names_the_field() {
        let e = parse("security:\n  max_concurrent_jobs: lots\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("security.max_concurrent_jobs"), "{e}");
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn ipv6_bind_and_bad_ranges_are_refused() {
        for (text, field) in [
            ("server: { bind_address: \"::\" }\n", "server.bind_address"),
            ("server: { port: 0 }\n", "server.port"),
            (
                "security:\n  max_concurrent_jobs: 0\n",
                "security.max_concurrent_jobs",
            ),
            ("backend:\n  env: { \"A B\": x }\n", "backend.env"),
            ("system:\n  reboot_command: []\n", "system.reboot_command"),
        ] {
            let c = parse(text).unwrap();
            let e = validate(Path::new("/c.yaml"), text, &c).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{text}: {e}");
            assert!(e.line.is_some(), "{text}: {e}");
        }
    }
}
