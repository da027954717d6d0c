//! `config.yaml`: the typed file (DESIGN §5.1's fixed keys plus `audit`), defaults, and value checks.

use super::error::{line_of_item, ConfigError};
use ipnet::Ipv4Net;
use serde::Deserialize;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};

/// The whole `config.yaml`. Every key is optional; absent ones take the documented default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    /// `address:port` of the console and API (IPv4).
    pub listen: String,
    /// CA, embedded PostgreSQL, generated keys; `None` = `PREFIX/var/lib/linux_patch_manager`.
    pub data_dir: Option<PathBuf>,
    /// Where the database is.
    pub database: DatabaseSection,
    /// The listener's certificate.
    pub tls: TlsSection,
    /// Who may connect to the console/API: IPv4 addresses and CIDRs.
    pub allow: Vec<String>,
    /// Audit retention.
    pub audit: AuditSection,
    /// The console's address as browsers reach it (`https://manager.example.lan:8443`): the WebAuthn relying
    /// party and a name on the internal CA's web certificate. `None` = `https://<this host's name>:<port>`.
    pub public_url: Option<String>,
    /// How the poller reaches agents.
    pub poller: PollerSection,
    /// Self-enrolment of agents.
    pub enrollment: EnrollmentSection,
    /// How the deployer sends jobs.
    pub deployments: DeploymentsSection,
    /// Entra ID SSO's authority host and extra CA (the rest of SSO is runtime settings).
    pub sso: super::sso::SsoSection,
}

impl Default for ConfigFile {
    fn default() -> Self {
        Self {
            listen: "0.0.0.0:8443".into(),
            data_dir: None,
            database: DatabaseSection::default(),
            tls: TlsSection::InternalCa {},
            allow: ["127.0.0.1", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
                .map(String::from)
                .to_vec(),
            audit: AuditSection::default(),
            public_url: None,
            poller: PollerSection::default(),
            enrollment: EnrollmentSection::default(),
            deployments: DeploymentsSection::default(),
            sso: super::sso::SsoSection::default(),
        }
    }
}

/// `deployments:`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeploymentsSection {
    /// Agents the deployer calls at the same time (default 64, 1..4096).
    pub concurrency: usize,
}

impl Default for DeploymentsSection {
    fn default() -> Self {
        Self { concurrency: 64 }
    }
}

/// `database:`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSection {
    /// `null` = the embedded private cluster under `data_dir`; else `postgres://...`.
    pub url: Option<String>,
}

/// `tls:`: where the console's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "strategy", rename_all = "snake_case", deny_unknown_fields)]
pub enum TlsSection {
    /// Issued by the manager's internal CA (a struct variant so that extra keys are refused).
    InternalCa {},
    /// The operator's own files (relative paths resolve against the config directory).
    Files {
        /// Certificate chain (PEM).
        cert: PathBuf,
        /// Private key (PEM).
        key: PathBuf,
    },
}

/// `audit:`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditSection {
    /// Days audit rows are kept before pruning (with a checkpoint); default 183 (six months).
    pub retention_days: u32,
}

impl Default for AuditSection {
    fn default() -> Self {
        Self { retention_days: 183 }
    }
}

/// `poller:`: intervals, parallelism and timeouts of agent polling.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PollerSection {
    /// Seconds between health checks of a host (default 300).
    pub health_interval_secs: u64,
    /// Seconds between patch-data fetches of a host (default 1800).
    pub patch_interval_secs: u64,
    /// Agents contacted at the same time (default 64).
    pub concurrency: usize,
    /// Seconds one agent request may take, connection included (default 10).
    pub timeout_secs: u64,
    /// Consecutive failures after which a host is `unreachable` (default 3).
    pub retries: u32,
    /// Longest wait between retries, seconds (default 1800).
    pub max_backoff_secs: u64,
    /// Wait before the first retry, seconds; doubled per consecutive failure (default 60).
    pub retry_base_secs: u64,
    /// Days of health history kept (default 30).
    pub history_days: u32,
}

impl Default for PollerSection {
    fn default() -> Self {
        Self {
            health_interval_secs: 300,
            patch_interval_secs: 1800,
            concurrency: 64,
            timeout_secs: 10,
            retries: 3,
            max_backoff_secs: 1800,
            retry_base_secs: 60,
            history_days: 30,
        }
    }
}

/// `enrollment:`: agents asking to join with `linux-patch-api --enroll`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnrollmentSection {
    /// Whether `POST /api/v1/enroll` accepts requests at all (default true).
    pub enabled: bool,
    /// Requests per minute accepted from one source address (default 10).
    pub rate_limit_per_minute: u32,
    /// Hours after which an undecided or undelivered request is purged (default 72).
    pub purge_after_hours: u32,
    /// Seconds the agent is told to wait between status polls (default 60).
    pub poll_interval_secs: u64,
}

impl Default for EnrollmentSection {
    fn default() -> Self {
        Self {
            enabled: true,
            rate_limit_per_minute: 10,
            purge_after_hours: 72,
            poll_interval_secs: 60,
        }
    }
}

/// The values serde cannot check, validated: the listen address and the allow-list networks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The listen address.
    pub listen: SocketAddrV4,
    /// The allow-list.
    pub allow: Vec<Ipv4Net>,
}

/// Checks address family, ranges and URL form; errors name the field and its line in `text`.
pub fn validate(file: &Path, text: &str, cfg: &ConfigFile) -> Result<Checked, ConfigError> {
    let field = |f: &str, m: String| ConfigError::field(file, text, f, m);
    let listen: SocketAddrV4 = cfg.listen.parse().map_err(|_| {
        let why = if cfg.listen.contains('[') || cfg.listen.matches(':').count() > 1 {
            "IPv6 addresses are not supported; use IPv4 `address:port`".to_owned()
        } else {
            format!("`{}` is not an IPv4 `address:port`", cfg.listen)
        };
        field("listen", why)
    })?;
    if listen.port() == 0 {
        return Err(field("listen", "the port must be between 1 and 65535".into()));
    }
    if let Some(url) = &cfg.database.url {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(field(
                "database.url",
                "must be null (embedded cluster) or a postgres:// or postgresql:// URL".into(),
            ));
        }
    }
    if let TlsSection::Files { cert, key } = &cfg.tls {
        if cert.as_os_str().is_empty() || key.as_os_str().is_empty() {
            return Err(field(
                "tls",
                "strategy `files` needs both `cert` and `key`".into(),
            ));
        }
    }
    if let Some(u) = &cfg.public_url {
        let ok = u.strip_prefix("https://").is_some_and(|rest| {
            !rest.is_empty() && !rest.starts_with(['/', ':']) && !rest.contains(['?', '#', '@'])
        });
        if !ok {
            return Err(field(
                "public_url",
                format!("`{u}` must be an https:// URL of this console (https://host[:port])"),
            ));
        }
    }
    if cfg.audit.retention_days == 0 {
        return Err(field("audit.retention_days", "must be at least 1".into()));
    }
    let p = &cfg.poller;
    for (name, v) in [
        ("poller.health_interval_secs", p.health_interval_secs),
        ("poller.patch_interval_secs", p.patch_interval_secs),
        ("poller.timeout_secs", p.timeout_secs),
        ("poller.max_backoff_secs", p.max_backoff_secs),
        ("poller.retry_base_secs", p.retry_base_secs),
        ("enrollment.poll_interval_secs", cfg.enrollment.poll_interval_secs),
    ] {
        if v == 0 {
            return Err(field(name, "must be at least 1".into()));
        }
    }
    if p.concurrency == 0 || p.concurrency > 4096 {
        return Err(field("poller.concurrency", "must be between 1 and 4096".into()));
    }
    if cfg.deployments.concurrency == 0 || cfg.deployments.concurrency > 4096 {
        return Err(field(
            "deployments.concurrency",
            "must be between 1 and 4096".into(),
        ));
    }
    super::sso::check(&cfg.sso).map_err(|m| field("sso.authority_host", m))?;
    if p.retries == 0 {
        return Err(field("poller.retries", "must be at least 1".into()));
    }
    if p.history_days == 0 {
        return Err(field("poller.history_days", "must be at least 1".into()));
    }
    if cfg.enrollment.rate_limit_per_minute == 0 || cfg.enrollment.purge_after_hours == 0 {
        return Err(field(
            "enrollment",
            "rate_limit_per_minute and purge_after_hours must be at least 1 (use enabled: false to turn enrolment off)"
                .into(),
        ));
    }
    let mut allow = Vec::with_capacity(cfg.allow.len());
    for (i, item) in cfg.allow.iter().enumerate() {
        let net = parse_allow(item).map_err(|m| ConfigError {
            file: file.to_path_buf(),
            line: line_of_item(text, item),
            field: Some(format!("allow[{i}]")),
            message: m,
        })?;
        allow.push(net);
    }
    Ok(Checked { listen, allow })
}

/// One `allow:` entry (an IPv4 address or CIDR); also the runtime allow-list's parser.
pub(crate) fn parse_allow(item: &str) -> Result<Ipv4Net, String> {
    let item = item.trim();
    if let Ok(a) = item.parse::<Ipv4Addr>() {
        return Ok(Ipv4Net::from(a));
    }
    if let Ok(n) = item.parse::<Ipv4Net>() {
        return Ok(n);
    }
    if item.contains(':') {
        return Err(format!("`{item}`: IPv6 entries are not supported"));
    }
    Err(format!(
        "`{item}` is neither an IPv4 address nor an IPv4 CIDR (e.g. 10.0.0.0/8)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::parse_yaml_text;

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        parse_yaml_text(Path::new("/c.yaml"), text)
    }

    #[test]
    fn design_example_is_the_default() {
        let text = "listen: 0.0.0.0:8443
data_dir: /var/lib/linux_patch_manager
database: { url: null }
tls: { strategy: internal_ca }
allow: [127.0.0.1, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
audit: { retention_days: 183 }
";
        let c = parse(text).unwrap();
        let d = ConfigFile {
            data_dir: Some("/var/lib/linux_patch_manager".into()),
            ..ConfigFile::default()
        };
        assert_eq!(c, d);
        let checked = validate(Path::new("/c.yaml"), text, &c).unwrap();
        assert_eq!(checked.listen.port(), 8443);
        assert_eq!(checked.allow.len(), 4);
        assert_eq!(parse("").unwrap().audit.retention_days, 183);
    }

    #[test]
    fn files_strategy_needs_cert_and_key() {
        let c = parse("tls: { strategy: files, cert: a.pem, key: a.key }\n").unwrap();
        assert_eq!(
            c.tls,
            TlsSection::Files {
                cert: "a.pem".into(),
                key: "a.key".into()
            }
        );
        assert!(parse("tls: { strategy: files, cert: a.pem }\n").is_err());
        assert!(parse("tls: { strategy: acme }\n").is_err());
        assert!(parse("tls: { strategy: internal_ca, cert: x }\n").is_err());
    }

    #[test]
    fn unknown_key_names_line_and_field() {
        let e = parse("listen: 0.0.0.0:8443\ndatabase:\n  url: null\n  pool: 3\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert_eq!(e.field.as_deref(), Some("database.pool"), "{e}");
        assert!(e.message.starts_with("unknown field `pool`"), "{e}");
        let e = parse("listen: 0.0.0.0:8443\nlisten_port: 1\n").unwrap_err();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (Some(2), Some("listen_port")),
            "{e}"
        );
    }

    #[test]
    fn bad_values_name_their_field() {
        for (text, f) in [
            ("listen: \"[::]:8443\"\n", "listen"),
            ("listen: 0.0.0.0:0\n", "listen"),
            ("listen: nowhere\n", "listen"),
            ("database: { url: \"mysql://x\" }\n", "database.url"),
            ("audit:\n  retention_days: 0\n", "audit.retention_days"),
            ("allow:\n  - 10.0.0.0/8\n  - \"::1\"\n", "allow[1]"),
            ("allow: [example.org]\n", "allow[0]"),
            ("public_url: http://x:8443\n", "public_url"),
            ("public_url: \"https://u@x\"\n", "public_url"),
            ("poller: { concurrency: 0 }\n", "poller.concurrency"),
            ("deployments: { concurrency: 5000 }\n", "deployments.concurrency"),
            (
                "poller:\n  health_interval_secs: 0\n",
                "poller.health_interval_secs",
            ),
        ] {
            let c = parse(text).unwrap();
            let e = validate(Path::new("/c.yaml"), text, &c).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(f), "{text}: {e}");
            assert!(e.line.is_some(), "{text}: {e}");
        }
    }
}
