//! The manager's resolved configuration: `config.yaml` parsed, validated and its paths resolved.

pub mod error;
pub mod file;
pub mod sso;
pub mod yaml;

pub use error::ConfigError;
pub use file::{ConfigFile, TlsSection};

use crate::paths::Paths;
use ipnet::Ipv4Net;
use std::net::SocketAddrV4;
use std::path::PathBuf;

/// Everything the manager needs from its configuration, validated, with absolute paths.
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// The file as parsed.
    pub file: ConfigFile,
    /// Where the console/API will listen.
    pub listen: SocketAddrV4,
    /// The data directory (embedded PostgreSQL lives in `data_dir/postgres`).
    pub data_dir: PathBuf,
    /// Who may connect.
    pub allow: Vec<Ipv4Net>,
}

impl ManagerConfig {
    /// Loads and validates `config.yaml` from `paths`.
    pub fn load(paths: &Paths) -> Result<Self, ConfigError> {
        let (file, text): (ConfigFile, String) = yaml::parse_yaml(&paths.config_file)?;
        let checked = file::validate(&paths.config_file, &text, &file)?;
        let data_dir = match &file.data_dir {
            Some(d) => paths.resolve(d),
            None => paths.data_dir.clone(),
        };
        Ok(Self {
            listen: checked.listen,
            allow: checked.allow,
            data_dir,
            file,
        })
    }

    /// The console's public URL: `public_url`, else `https://<host name>:<listen port>`.
    pub fn public_url(&self) -> String {
        match &self.file.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("https://{}:{}", host_name(), self.listen.port()),
        }
    }

    /// The `database.url`, when an external server is configured.
    pub fn database_url(&self) -> Option<&str> {
        self.file.database.url.as_deref()
    }
}

/// This machine's host name (`localhost` when it cannot be read).
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}
