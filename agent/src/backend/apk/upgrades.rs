//! The pending upgrades: `apk list --upgradable` (or `apk version -l '<'`), minus what the world file
//! holds back, classified with the secdb; cached on the stamps of everything apk reads for it.

use super::paths::Key;
use super::secdb::SecDb;
use super::{db, lock, stamp, world, ApkBackend};
use crate::backend::BackendError;
use linux_patch_shared::api::agent::{Package, Patch};
use std::collections::HashMap;
use std::sync::atomic::Ordering as AtomicOrdering;
use std::sync::Arc;

/// The upgrade list with the key and generation it was computed for (`None`: not cacheable).
type Listed = (Option<(Key, u64)>, Result<Arc<Vec<Patch>>, BackendError>);

impl ApkBackend {
    /// The secdb, reloaded when its files change; `None` when none is configured or it is unreadable.
    fn secdb(&self) -> Option<Arc<SecDb>> {
        if self.secdb_files.is_empty() {
            return None;
        }
        let key: Key = self
            .secdb_files
            .iter()
            .map(|f| (f.display().to_string(), stamp::stamp(f)))
            .collect();
        let mut cache = lock(&self.secdb);
        if let Some((k, db)) = cache.as_ref() {
            if *k == key {
                return db.clone();
            }
        }
        let db = match SecDb::load(&self.secdb_files) {
            Ok(db) => Some(Arc::new(db)),
            Err(e) => {
                log::warn!("apk secdb unusable, security data unknown: {e}");
                None
            }
        };
        *cache = Some((key, db.clone()));
        db
    }

    /// The pending upgrades for the current inputs; runs apk when there is no cached answer, or when
    /// the cached one is a failure and `retry_failure` is set. `installed` saves reading the package
    /// list again when the caller has it.
    pub(super) fn upgrade_list(&self, retry_failure: bool, installed: Option<&Arc<Vec<Package>>>) -> Listed {
        let mut cache = lock(&self.upgrades);
        let generation = self.generation.load(AtomicOrdering::SeqCst);
        let key = self
            .paths
            .installed_db()
            .map(|_| self.paths.inputs_key(&self.secdb_files));
        if let (Some(key), Some((k, g, r))) = (&key, cache.as_ref()) {
            if k == key && *g == generation && (r.is_ok() || !retry_failure) {
                return (Some((key.clone(), generation)), r.clone());
            }
        }
        let result = self.compute_upgrades(installed).map(Arc::new);
        if let Err(e) = &result {
            log::warn!("apk upgrade list failed: {e}");
        }
        match key {
            Some(key) => {
                *cache = Some((key.clone(), generation, result.clone()));
                (Some((key, generation)), result)
            }
            None => (None, result),
        }
    }

    /// `apk list --upgradable` (`apk version -l '<'` when that fails), minus what the world holds
    /// back, each classified with the secdb (origins and architectures from `installed`).
    fn compute_upgrades(&self, installed: Option<&Arc<Vec<Package>>>) -> Result<Vec<Patch>, BackendError> {
        let installed = match installed {
            Some(i) => Arc::clone(i),
            None => self.raw_packages()?.1,
        };
        let by_name: HashMap<&str, &Package> = installed.iter().map(|p| (p.name.as_str(), p)).collect();
        let found: Vec<(String, String, String, String)> = match self.read(&["list", "--upgradable"]) {
            Ok(out) => out
                .stdout
                .iter()
                .filter_map(|l| db::parse_list_line(l))
                .filter_map(|l| Some((l.name, l.arch, l.upgradable_from?, l.version)))
                .collect(),
            Err(e) => {
                log::warn!("{e}; trying apk version -l '<'");
                let out = self.read(&["version", "-l", "<"])?;
                db::parse_version_less(&out.stdout_text())
                    .into_iter()
                    .map(|(name, have, cand)| {
                        let arch = by_name.get(name.as_str()).map(|p| p.architecture.clone());
                        (name, arch.unwrap_or_default(), have, cand)
                    })
                    .collect()
            }
        };
        let world = world::read_world(&self.paths.world());
        let secdb = self.secdb();
        let mut patches: Vec<Patch> = found
            .into_iter()
            .filter(|(name, _, _, cand)| !world::holds(&world, name, cand))
            .map(|(name, architecture, have, candidate)| {
                let origin = by_name.get(name.as_str()).and_then(|p| p.source.as_deref());
                let (security, cves, source) = match &secdb {
                    Some(db) => {
                        let v = db.classify(&name, origin, Some(&have), &candidate);
                        (v.security, v.cves, "secdb")
                    }
                    None => (false, Vec::new(), "unknown"),
                };
                Patch {
                    architecture,
                    installed_version: Some(have),
                    candidate_version: candidate,
                    // `apk list` does not say which repository offers the candidate.
                    repository: String::new(),
                    origins: Vec::new(),
                    security,
                    severity: None,
                    cves,
                    security_source: source.to_string(),
                    requires_reboot: crate::backend::reboot_hint::expects_reboot(
                        crate::backend::reboot_hint::Family::Apk,
                        &name,
                    ),
                    name,
                }
            })
            .collect();
        patches.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(patches)
    }

    /// Names of the pending security updates.
    pub(super) fn security_names(&self) -> Result<Vec<String>, BackendError> {
        Ok(self
            .upgrade_list(true, None)
            .1?
            .iter()
            .filter(|p| p.security)
            .map(|p| p.name.clone())
            .collect())
    }
}
