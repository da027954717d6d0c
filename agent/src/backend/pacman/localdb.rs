//! In-process reader of pacman's local database (`DBPath/local/NAME-VERSION/desc` and `files`), keyed on
//! the shared file stamps that decide when a cached read is stale.

use crate::backend::BackendError;
use linux_patch_shared::api::agent::Package;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use crate::backend::stamp::{dir_stamps, stamp, Stamp};

/// The local database: one directory per installed package, named `NAME-VERSION`. pacman replaces an
/// entry directory on every install, upgrade and removal, so the stamp of `local/` moves with each change.
#[derive(Debug, Clone)]
pub struct LocalDb {
    dir: PathBuf,
}

impl LocalDb {
    /// The database in `local` (`DBPath/local`); nothing is read yet.
    pub fn new(local: PathBuf) -> LocalDb {
        LocalDb { dir: local }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cache key: the stamp of the directory.
    pub fn key(&self) -> Option<Stamp> {
        stamp(&self.dir)
    }

    /// Every installed package, sorted by name, from the `desc` files (what `pacman -Q` lists, with the
    /// details `-Qi` shows). `upgradable` and `candidate_version` are left null.
    pub fn read(&self) -> Result<Vec<Package>, BackendError> {
        let rd = std::fs::read_dir(&self.dir)
            .map_err(|e| BackendError::Io(format!("{}: {e}", self.dir.display())))?;
        let mut out = Vec::new();
        for entry in rd.filter_map(Result::ok) {
            let path = entry.path().join("desc");
            if !entry.path().is_dir() {
                continue; // ALPM_DB_VERSION
            }
            let text = match std::fs::read(&path) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                // Removed between the listing and the read: pacman is changing it right now.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(BackendError::Io(format!("{}: {e}", path.display()))),
            };
            match to_package(&parse_desc(&text)) {
                Some(p) => out.push(p),
                None => log::warn!("{}: no %NAME% or %VERSION%; entry skipped", path.display()),
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The `files` list (paths relative to RootDir) of the installed `name` at `version`; empty when the
    /// entry has none.
    pub fn files(&self, name: &str, version: &str) -> Vec<String> {
        let path = self.dir.join(format!("{name}-{version}")).join("files");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        parse_desc(&text).remove("FILES").unwrap_or_default()
    }
}

/// A `desc`-style file: `%KEY%` lines each followed by value lines up to an empty line.
pub fn parse_desc(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(key) = line.strip_prefix('%').and_then(|l| l.strip_suffix('%')) {
            if !key.is_empty() && !key.contains(char::is_whitespace) {
                out.entry(key.to_string()).or_default();
                current = Some(key.to_string());
                continue;
            }
        }
        if line.is_empty() {
            current = None;
            continue;
        }
        if let Some(k) = &current {
            out.entry(k.clone()).or_default().push(line.to_string());
        }
    }
    out
}

fn first<'a>(d: &'a BTreeMap<String, Vec<String>>, key: &str) -> Option<&'a str> {
    d.get(key).and_then(|v| v.first()).map(String::as_str)
}

/// A package from its `desc` fields: `%SIZE%` is bytes (rounded up to KiB), `%BASE%` the source when it
/// differs from the name; pacman has no sections.
fn to_package(d: &BTreeMap<String, Vec<String>>) -> Option<Package> {
    let name = first(d, "NAME")?.to_string();
    let version = first(d, "VERSION")?.to_string();
    let source = first(d, "BASE").filter(|b| *b != name).map(str::to_string);
    Some(Package {
        architecture: first(d, "ARCH").unwrap_or("").to_string(),
        status: "installed".to_string(),
        summary: first(d, "DESC").map(str::to_string),
        section: None,
        installed_size_kib: first(d, "SIZE")
            .and_then(|s| s.parse::<u64>().ok())
            .map(|b| b.div_ceil(1024)),
        source,
        upgradable: None,
        candidate_version: None,
        name,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::{dir_stamps, parse_desc, LocalDb};

    const DESC: &str = "%NAME%\npmtest-lib\n\n%VERSION%\n1.0-1\n\n%BASE%\npmtest-libs\n\n%DESC%\n\
                        pm test package pmtest-lib 1.0-1\n\n%ARCH%\nany\n\n%SIZE%\n2049\n\n%REASON%\n1\n\n\
                        %DEPENDS%\nglibc\nzlib>=1.2\n\n";

    #[test]
    fn desc_fields_and_packages() {
        let d = parse_desc(DESC);
        assert_eq!(d["DEPENDS"], vec!["glibc", "zlib>=1.2"]);
        let dir = tempfile::tempdir().unwrap();
        let db = LocalDb::new(dir.path().to_path_buf());
        std::fs::write(dir.path().join("ALPM_DB_VERSION"), "9\n").unwrap();
        for (entry, text) in [
            ("pmtest-lib-1.0-1", DESC.to_string()),
            (
                "zz-1-1",
                "%NAME%\nzz\n\n%VERSION%\n1-1\n\n%BASE%\nzz\n".to_string(),
            ),
            ("broken-1-1", "%DESC%\nno name\n".to_string()),
        ] {
            std::fs::create_dir(dir.path().join(entry)).unwrap();
            std::fs::write(dir.path().join(entry).join("desc"), text).unwrap();
        }
        let before = db.key();
        let pkgs = db.read().unwrap();
        assert_eq!(pkgs.len(), 2, "{pkgs:?}");
        let lib = &pkgs[0];
        assert_eq!((lib.name.as_str(), lib.version.as_str()), ("pmtest-lib", "1.0-1"));
        assert_eq!(lib.architecture, "any");
        assert_eq!(lib.status, "installed");
        assert_eq!(lib.summary.as_deref(), Some("pm test package pmtest-lib 1.0-1"));
        assert_eq!(lib.installed_size_kib, Some(3));
        assert_eq!(lib.source.as_deref(), Some("pmtest-libs"));
        assert_eq!((pkgs[1].name.as_str(), pkgs[1].source.clone()), ("zz", None));
        std::fs::write(
            dir.path().join("zz-1-1/files"),
            "%FILES%\nusr/\nusr/lib/x\n\n%BACKUP%\n",
        )
        .unwrap();
        assert_eq!(db.files("zz", "1-1"), vec!["usr/", "usr/lib/x"]);
        assert!(db.files("zz", "9-9").is_empty());
        std::fs::create_dir(dir.path().join("new-1-1")).unwrap();
        assert_ne!(db.key(), before, "a new entry moves the directory stamp");
        assert_eq!(
            dir_stamps(&dir.path().join("missing")),
            vec![(String::new(), None)]
        );
    }
}
