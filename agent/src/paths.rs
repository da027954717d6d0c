//! Where the agent's files live: the fixed layout under `/` or under `--prefix DIR`.

use std::path::{Path, PathBuf};

/// Every path the agent reads or writes, derived from one prefix (default `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `PREFIX/etc/linux_patch_api` (or the directory of `--config`).
    pub config_dir: PathBuf,
    /// `config.yaml`.
    pub config_file: PathBuf,
    /// `whitelist.yaml`, always beside `config.yaml`.
    pub whitelist_file: PathBuf,
    /// `PREFIX/var/lib/linux_patch_api`.
    pub data_dir: PathBuf,
    /// `PREFIX/var/lib/linux_patch_api/jobs`.
    pub jobs_dir: PathBuf,
    /// `PREFIX/var/lib/linux_patch_api/state`.
    pub state_dir: PathBuf,
    /// `PREFIX/var/log/linux_patch_api`.
    pub log_dir: PathBuf,
}

impl Paths {
    /// The layout under `prefix`; `config` overrides where `config.yaml` (and so `whitelist.yaml`) is read.
    pub fn new(prefix: &Path, config: Option<&Path>) -> Self {
        let config_file = match config {
            Some(c) => c.to_path_buf(),
            None => prefix.join("etc/linux_patch_api/config.yaml"),
        };
        let config_dir = match config_file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let data_dir = prefix.join("var/lib/linux_patch_api");
        Self {
            whitelist_file: config_dir.join("whitelist.yaml"),
            config_file,
            config_dir,
            jobs_dir: data_dir.join("jobs"),
            state_dir: data_dir.join("state"),
            data_dir,
            log_dir: prefix.join("var/log/linux_patch_api"),
        }
    }

    /// `audit.log` in the log directory.
    pub fn audit_log(&self) -> PathBuf {
        self.log_dir.join("audit.log")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_relocates_everything_together() {
        let p = Paths::new(Path::new("/srv/t"), None);
        assert_eq!(p.config_file, Path::new("/srv/t/etc/linux_patch_api/config.yaml"));
        assert_eq!(
            p.whitelist_file,
            Path::new("/srv/t/etc/linux_patch_api/whitelist.yaml")
        );
        assert_eq!(p.jobs_dir, Path::new("/srv/t/var/lib/linux_patch_api/jobs"));
        assert_eq!(p.state_dir, Path::new("/srv/t/var/lib/linux_patch_api/state"));
        assert_eq!(
            p.audit_log(),
            Path::new("/srv/t/var/log/linux_patch_api/audit.log")
        );
        let root = Paths::new(Path::new("/"), None);
        assert_eq!(root.config_file, Path::new("/etc/linux_patch_api/config.yaml"));
    }

    #[test]
    fn explicit_config_moves_only_the_config_directory() {
        let p = Paths::new(Path::new("/"), Some(Path::new("/opt/x/config.yaml")));
        assert_eq!(p.whitelist_file, Path::new("/opt/x/whitelist.yaml"));
        assert_eq!(p.data_dir, Path::new("/var/lib/linux_patch_api"));
    }
}
