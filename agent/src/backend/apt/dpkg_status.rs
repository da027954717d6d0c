//! In-process reader of the dpkg database: `ADMINDIR/status` plus the pending journal `ADMINDIR/updates/`.

use super::stamp::{stamp, Stamp};
use crate::backend::BackendError;
use linux_patch_shared::api::agent::Package;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// When the dpkg database last changed as far as a cache cares: the status file and the journal directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbKey {
    status: Option<Stamp>,
    updates: Option<Stamp>,
}

/// The dpkg database of one admin directory (`/var/lib/dpkg` or `DPKG_ADMINDIR`).
#[derive(Debug, Clone)]
pub struct DpkgDb {
    admindir: PathBuf,
}

impl DpkgDb {
    /// A reader of `admindir`; nothing is read yet.
    pub fn new(admindir: PathBuf) -> Self {
        DpkgDb { admindir }
    }

    /// `ADMINDIR/status`.
    pub fn status_path(&self) -> PathBuf {
        self.admindir.join("status")
    }

    /// The current cache key: one `stat` of the status file and one of the journal directory (dpkg adds
    /// journal files under new names and replaces `status` by rename, so both stamps move on every change).
    pub fn key(&self) -> DbKey {
        DbKey {
            status: stamp(&self.status_path()),
            updates: stamp(&self.admindir.join("updates")),
        }
    }

    /// Whether dpkg's journal (`ADMINDIR/updates/`) holds entries: a dpkg run was interrupted (or is
    /// running right now) and apt would refuse to start until `dpkg --configure -a` folded them in.
    pub fn journal_pending(&self) -> bool {
        journal_files(&self.admindir.join("updates")).is_ok_and(|f| !f.is_empty())
    }

    /// Every package whose state is not `not-installed`, sorted by name then architecture, after applying
    /// the journal in order as dpkg does. `upgradable` and `candidate_version` are left null.
    pub fn read(&self) -> Result<Vec<Package>, BackendError> {
        let path = self.status_path();
        let text = read_lossy(&path)?;
        let mut db = Db::default();
        for st in parse_stanzas(&text) {
            db.put(st);
        }
        for journal in journal_files(&self.admindir.join("updates"))? {
            for st in parse_stanzas(&read_lossy(&journal)?) {
                db.put(st);
            }
        }
        let mut out: Vec<Package> = db.stanzas.into_iter().filter_map(Stanza::into_package).collect();
        out.sort_by(|a, b| (&a.name, &a.architecture).cmp(&(&b.name, &b.architecture)));
        Ok(out)
    }
}

fn read_lossy(path: &Path) -> Result<String, BackendError> {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| BackendError::Io(format!("{}: {e}", path.display())))
}

/// Journal files dpkg would replay: names made only of digits, in numeric order. A missing directory is
/// an empty journal.
fn journal_files(dir: &Path) -> Result<Vec<PathBuf>, BackendError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BackendError::Io(format!("{}: {e}", dir.display()))),
    };
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
        .collect();
    names.sort_by(|a, b| {
        let (ta, tb) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
        ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb))
    });
    Ok(names.into_iter().map(|n| dir.join(n)).collect())
}

/// Stanzas in database order, replaceable by (package, architecture).
#[derive(Default)]
struct Db {
    stanzas: Vec<Stanza>,
    index: HashMap<(String, String), usize>,
}

impl Db {
    fn put(&mut self, st: Stanza) {
        let key = (st.package.clone(), st.architecture.clone());
        match self.index.get(&key) {
            Some(&i) => self.stanzas[i] = st,
            None => {
                self.index.insert(key, self.stanzas.len());
                self.stanzas.push(st);
            }
        }
    }
}

/// The fields of one stanza the agent reports.
#[derive(Debug, Default, Clone, PartialEq)]
struct Stanza {
    package: String,
    architecture: String,
    version: String,
    status: String,
    description: Option<String>,
    section: Option<String>,
    installed_size: Option<u64>,
    source: Option<String>,
}

impl Stanza {
    fn set(&mut self, field: &str, value: &str) {
        let value = value.trim();
        let opt = || (!value.is_empty()).then(|| value.to_string());
        match field.to_ascii_lowercase().as_str() {
            "package" => self.package = value.to_string(),
            "architecture" => self.architecture = value.to_string(),
            "version" => self.version = value.to_string(),
            "status" => self.status = value.to_string(),
            "description" => self.description = opt(),
            "section" => self.section = opt(),
            "installed-size" => self.installed_size = value.parse().ok(),
            // `Source: name (version)` when the source version differs from the binary's.
            "source" => {
                self.source = value
                    .split_whitespace()
                    .next()
                    .map(str::to_string)
                    .filter(|s| !s.is_empty())
            }
            _ => {}
        }
    }

    /// The package as reported, or `None` when dpkg considers it not installed (or the stanza is nameless).
    fn into_package(self) -> Option<Package> {
        // `Status: want flag status`; the state is the last of the three words.
        let state = self.status.split_whitespace().nth(2).unwrap_or("").to_string();
        if self.package.is_empty() || state.is_empty() || state == "not-installed" {
            return None;
        }
        Some(Package {
            name: self.package,
            version: self.version,
            architecture: self.architecture,
            status: state,
            summary: self.description,
            section: self.section,
            installed_size_kib: self.installed_size,
            source: self.source,
            upgradable: None,
            candidate_version: None,
        })
    }
}

/// Parses deb822 stanzas separated by blank lines; continuation lines (leading space or tab) belong to the
/// previous field and are skipped, so `Description` keeps only its first line.
fn parse_stanzas(text: &str) -> Vec<Stanza> {
    let mut out = Vec::new();
    let mut cur: Option<Stanza> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            out.extend(cur.take());
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        if let Some((field, value)) = line.split_once(':') {
            cur.get_or_insert_with(Stanza::default).set(field, value);
        }
    }
    out.extend(cur);
    out
}

#[cfg(test)]
mod tests;
