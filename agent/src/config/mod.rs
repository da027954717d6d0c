//! The agent's resolved configuration: `config.yaml` + `whitelist.yaml`, validated together.

pub mod error;
pub mod file;
pub mod manager_link;
pub mod syslog_target;
pub mod whitelist;

pub use error::ConfigError;
pub use file::{BackendKind, ConfigFile};
pub use whitelist::AllowList;

use crate::paths::Paths;
use linux_patch_shared::tls::{mtls_server_config, ServerTlsFiles, TlsConfigError};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};

/// Certificate paths, absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPaths {
    /// CA for client certificates.
    pub ca_cert: PathBuf,
    /// Server certificate.
    pub server_cert: PathBuf,
    /// Server key.
    pub server_key: PathBuf,
    /// Optional CRL.
    pub crl: Option<PathBuf>,
}

/// Everything the agent needs to start, validated.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The file as parsed.
    pub file: ConfigFile,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Certificates, with relative paths resolved against the config directory.
    pub tls: TlsPaths,
    /// Who may connect.
    pub allow: AllowList,
}

impl AgentConfig {
    /// Loads `config.yaml` and `whitelist.yaml` from `paths` and validates them (certificates are checked
    /// separately when the TLS configuration is built).
    pub fn load(paths: &Paths) -> Result<Self, ConfigError> {
        let (file, text): (ConfigFile, String) = file::parse_yaml(&paths.config_file)?;
        let bind: Ipv4Addr = file::validate(&paths.config_file, &text, &file)?;
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                paths.config_dir.join(p)
            }
        };
        let tls = TlsPaths {
            ca_cert: resolve(&file.tls.ca_cert),
            server_cert: resolve(&file.tls.server_cert),
            server_key: resolve(&file.tls.server_key),
            crl: file.tls.crl.as_deref().map(resolve),
        };
        let allow = AllowList::load(&paths.whitelist_file)?;
        let listen = SocketAddr::V4(SocketAddrV4::new(bind, file.server.port));
        Ok(Self {
            file,
            listen,
            tls,
            allow,
        })
    }
}

/// Builds the TLS 1.3 mTLS server configuration from the configured certificate files.
pub fn tls_config(cfg: &AgentConfig) -> Result<rustls::ServerConfig, TlsConfigError> {
    let files = ServerTlsFiles {
        ca: &cfg.tls.ca_cert,
        cert: &cfg.tls.server_cert,
        key: &cfg.tls.server_key,
        crl: cfg.tls.crl.as_deref(),
    };
    mtls_server_config(&files, &[b"http/1.1"])
}
