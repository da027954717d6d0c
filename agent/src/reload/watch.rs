//! inotify on the configuration directories: which directories to watch, keeping the watches in step
//! with the configuration, and the thread that turns inotify events into change notices.

use crate::config::TlsPaths;
use crate::paths::Paths;
use inotify::{Inotify, WatchDescriptor, WatchMask, Watches};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The events that can mean a changed file: written and closed, renamed in or out, created, deleted,
/// permissions changed. Editors that write a temporary file and rename it produce `MOVED_TO`.
pub fn mask() -> WatchMask {
    WatchMask::CLOSE_WRITE
        | WatchMask::MOVED_TO
        | WatchMask::MOVED_FROM
        | WatchMask::CREATE
        | WatchMask::DELETE
        | WatchMask::ATTRIB
}

/// The existing directories that hold the configuration: the config directory, its `certs/`, and the
/// directories of every certificate path in `tls` (which may live elsewhere).
pub fn watch_dirs(paths: &Paths, tls: &[&TlsPaths]) -> BTreeSet<PathBuf> {
    let mut dirs = BTreeSet::from([paths.config_dir.clone(), paths.config_dir.join("certs")]);
    for t in tls {
        for file in [&t.ca_cert, &t.server_cert, &t.server_key]
            .into_iter()
            .chain(t.crl.as_ref())
        {
            if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
                dirs.insert(parent.to_path_buf());
            }
        }
    }
    dirs.retain(|d| d.is_dir());
    dirs
}

/// The set of watched directories, kept in step with what the configuration names.
#[derive(Debug)]
pub struct DirWatch {
    watches: Watches,
    watched: BTreeMap<PathBuf, WatchDescriptor>,
}

impl DirWatch {
    /// Watches added through `inotify` (whose events another thread reads).
    pub fn new(inotify: &Inotify) -> Self {
        Self {
            watches: inotify.watches(),
            watched: BTreeMap::new(),
        }
    }

    /// Watches exactly `wanted`: (re)adds each (a recreated directory gets a new watch) and removes the
    /// rest. Returns what could not be watched.
    pub fn sync(&mut self, wanted: &BTreeSet<PathBuf>) -> Vec<String> {
        let mut failures = Vec::new();
        let mut now = BTreeMap::new();
        for dir in wanted {
            match self.watches.add(dir, mask()) {
                Ok(wd) => {
                    now.insert(dir.clone(), wd);
                }
                Err(e) => failures.push(format!("cannot watch {}: {e}", dir.display())),
            }
        }
        let kept: BTreeSet<&WatchDescriptor> = now.values().collect();
        for (_, wd) in std::mem::take(&mut self.watched) {
            // Two spellings of one directory share a descriptor: remove it only when no longer wanted.
            if !kept.contains(&wd) {
                // Fails harmlessly when the directory is gone (the kernel already dropped the watch).
                let _ = self.watches.remove(wd);
            }
        }
        self.watched = now;
        failures
    }

    /// Whether `dir` is watched.
    pub fn contains(&self, dir: &Path) -> bool {
        self.watched.contains_key(dir)
    }

    /// The watched directories.
    pub fn dirs(&self) -> Vec<PathBuf> {
        self.watched.keys().cloned().collect()
    }
}

/// Starts the thread that blocks on inotify reads and hands each batch's file names to `notify`
/// (an empty name is an event on a watched directory itself). The thread ends when `notify` returns
/// `false` or reading fails.
pub fn spawn_reader(
    mut inotify: Inotify,
    mut notify: impl FnMut(Vec<String>) -> bool + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("config-watch".into())
        .spawn(move || {
            let mut buffer = [0u8; 4096];
            loop {
                let names: Vec<String> = match inotify.read_events_blocking(&mut buffer) {
                    Ok(events) => events
                        .map(|e| {
                            e.name
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default()
                        })
                        .collect(),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        log::error!(
                            "configuration watcher stopped reading inotify: {e}; changes need a restart"
                        );
                        return;
                    }
                };
                if !names.is_empty() && !notify(names) {
                    return;
                }
            }
        })
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    fn tls_in(dir: &Path) -> TlsPaths {
        TlsPaths {
            ca_cert: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            crl: None,
        }
    }

    #[test]
    fn watches_config_dir_certs_and_elsewhere_configured_certificates() {
        let d = tempfile::tempdir().unwrap();
        let paths = Paths::new(d.path(), None);
        std::fs::create_dir_all(&paths.config_dir).unwrap();
        let elsewhere = d.path().join("pki");
        std::fs::create_dir_all(&elsewhere).unwrap();
        let local = tls_in(&paths.config_dir.join("certs"));
        let dirs = watch_dirs(
            &paths,
            &[&local, &tls_in(&elsewhere), &tls_in(&d.path().join("gone"))],
        );
        assert_eq!(
            dirs,
            BTreeSet::from([paths.config_dir.clone(), elsewhere.clone()])
        );

        std::fs::create_dir_all(paths.config_dir.join("certs")).unwrap();
        let dirs = watch_dirs(&paths, &[&local]);
        assert!(dirs.contains(&paths.config_dir.join("certs")), "{dirs:?}");
    }

    #[test]
    fn writes_and_renames_reach_the_reader_and_sync_follows_the_wanted_set() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let inotify = Inotify::init().unwrap();
        let mut watch = DirWatch::new(&inotify);
        assert!(watch.sync(&BTreeSet::from([a.clone(), b.clone()])).is_empty());
        let failures = watch.sync(&BTreeSet::from([a.clone(), d.path().join("missing")]));
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(watch.contains(&a) && !watch.contains(&b));

        let (tx, rx) = mpsc::channel();
        spawn_reader(inotify, move |names| tx.send(names).is_ok()).unwrap();
        std::fs::write(b.join("ignored.yaml"), "x").unwrap(); // no longer watched
        std::fs::write(a.join("config.yaml.tmp"), "x").unwrap();
        std::fs::rename(a.join("config.yaml.tmp"), a.join("config.yaml")).unwrap();
        let mut seen = Vec::new();
        while !seen.iter().any(|n| n == "config.yaml") {
            seen.extend(rx.recv_timeout(Duration::from_secs(5)).unwrap());
        }
        assert!(seen.contains(&"config.yaml.tmp".to_owned()), "{seen:?}");
        assert!(!seen.contains(&"ignored.yaml".to_owned()), "{seen:?}");
    }
}
