//! Where the manager's files live: the fixed layout under `/` or under `--prefix DIR`.

use std::path::{Component, Path, PathBuf};

/// Every path the manager reads or writes, derived from one prefix (default `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The prefix itself (`/` in production).
    pub prefix: PathBuf,
    /// `PREFIX/etc/linux_patch_manager` (or the directory of `--config`).
    pub config_dir: PathBuf,
    /// `config.yaml`.
    pub config_file: PathBuf,
    /// `PREFIX/var/lib/linux_patch_manager`: the default `data_dir`.
    pub data_dir: PathBuf,
}

impl Paths {
    /// The layout under `prefix`; `config` overrides where `config.yaml` is read.
    pub fn new(prefix: &Path, config: Option<&Path>) -> Self {
        let config_file = match config {
            Some(c) => c.to_path_buf(),
            None => prefix.join("etc/linux_patch_manager/config.yaml"),
        };
        let config_dir = match config_file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Self {
            prefix: prefix.to_path_buf(),
            config_file,
            config_dir,
            data_dir: prefix.join("var/lib/linux_patch_manager"),
        }
    }

    /// Resolves a path written in the config file: relative paths against the config directory, absolute
    /// paths re-rooted under the prefix (so `--prefix` relocates a copied production file as a whole).
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            let rel: PathBuf = p
                .components()
                .filter(|c| !matches!(c, Component::RootDir | Component::Prefix(_)))
                .collect();
            self.prefix.join(rel)
        } else {
            self.config_dir.join(p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_relocates_config_and_data_together() {
        let p = Paths::new(Path::new("/srv/t"), None);
        assert_eq!(
            p.config_file,
            Path::new("/srv/t/etc/linux_patch_manager/config.yaml")
        );
        assert_eq!(p.data_dir, Path::new("/srv/t/var/lib/linux_patch_manager"));
        assert_eq!(p.resolve(Path::new("/var/lib/x")), Path::new("/srv/t/var/lib/x"));
        assert_eq!(
            p.resolve(Path::new("certs/a.pem")),
            Path::new("/srv/t/etc/linux_patch_manager/certs/a.pem")
        );
        let root = Paths::new(Path::new("/"), None);
        assert_eq!(root.resolve(Path::new("/var/lib/x")), Path::new("/var/lib/x"));
        assert_eq!(
            root.config_file,
            Path::new("/etc/linux_patch_manager/config.yaml")
        );
    }

    #[test]
    fn explicit_config_moves_only_the_config_directory() {
        let p = Paths::new(Path::new("/"), Some(Path::new("/opt/x/config.yaml")));
        assert_eq!(p.config_dir, Path::new("/opt/x"));
        assert_eq!(p.data_dir, Path::new("/var/lib/linux_patch_manager"));
    }
}
