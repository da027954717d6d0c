//! File stamps that decide when a cached answer is stale: the rpm database (written only by changes) and
//! dnf's metadata cache (rewritten only by a refresh), leaving out the files plain reads touch.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What a `stat` says about a file: enough to notice a rewrite, rename or in-place edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    mtime_s: i64,
    mtime_ns: i64,
    size: u64,
    inode: u64,
}

impl Stamp {
    /// Modification time in seconds since the epoch.
    pub fn mtime(&self) -> (i64, i64) {
        (self.mtime_s, self.mtime_ns)
    }
}

/// Stamp of `path` (following symlinks); `None` when it cannot be stat'ed.
pub fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp {
        mtime_s: m.mtime(),
        mtime_ns: m.mtime_nsec(),
        size: m.size(),
        inode: m.ino(),
    })
}

/// Stamps of the rpm database's files in `dbdir`, by name. Left out: sqlite's shared-memory index
/// (`*-shm`) and Berkeley DB's environment (`__db.*`), which every reader writes, and the lock file.
pub type DbKey = Vec<(String, Option<Stamp>)>;

/// See [`DbKey`].
pub fn db_key(dbdir: &Path) -> DbKey {
    let mut out: DbKey = entries(dbdir)
        .into_iter()
        .filter(|(name, _)| !(name.ends_with("-shm") || name.starts_with("__db.") || name.starts_with('.')))
        .map(|(name, p)| (name, stamp(&p)))
        .collect();
    out.sort();
    out
}

/// The newest modification time among the database files, if any.
pub fn newest(key: &DbKey) -> Option<(i64, i64)> {
    key.iter().filter_map(|(_, s)| s.map(|s| s.mtime())).max()
}

/// Stamps of dnf's metadata cache in `cachedir`: each repository's `repodata/repomd.xml` and libsolv's
/// `*.solv`/`*.solvx` files, by name (the directory itself changes on every run: lock files).
pub type IndexKey = Vec<(String, Option<Stamp>)>;

/// See [`IndexKey`].
pub fn index_key(cachedir: &Path) -> IndexKey {
    let mut out = IndexKey::new();
    for (name, p) in entries(cachedir) {
        if name.ends_with(".solv") || name.ends_with(".solvx") {
            out.push((name, stamp(&p)));
        } else if p.is_dir() {
            let repomd = p.join("repodata/repomd.xml");
            if let Some(s) = stamp(&repomd) {
                out.push((format!("{name}/repodata/repomd.xml"), Some(s)));
            }
        }
    }
    out.sort();
    out
}

fn entries(dir: &Path) -> Vec<(String, PathBuf)> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{db_key, index_key, newest};

    #[test]
    fn db_key_ignores_what_readers_touch() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("rpmdb.sqlite"), "a").unwrap();
        std::fs::write(d.path().join("rpmdb.sqlite-shm"), "a").unwrap();
        let k = db_key(d.path());
        assert_eq!(k.len(), 1);
        std::fs::write(d.path().join("rpmdb.sqlite-shm"), "bb").unwrap();
        std::fs::write(d.path().join("__db.001"), "x").unwrap();
        std::fs::write(d.path().join(".rpm.lock"), "x").unwrap();
        assert_eq!(db_key(d.path()), k);
        assert!(newest(&k).is_some());
        std::fs::write(d.path().join("rpmdb.sqlite"), "bb").unwrap();
        assert_ne!(db_key(d.path()), k);
        assert!(db_key(&d.path().join("missing")).is_empty());
    }

    #[test]
    fn index_key_follows_repomd_and_solv_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("base-0123456789abcdef/repodata")).unwrap();
        std::fs::write(d.path().join("base-0123456789abcdef/repodata/repomd.xml"), "1").unwrap();
        std::fs::write(d.path().join("base.solv"), "1").unwrap();
        std::fs::write(d.path().join("download_lock.pid"), "1").unwrap();
        let k = index_key(d.path());
        assert_eq!(k.len(), 2, "{k:?}");
        std::fs::write(d.path().join("download_lock.pid"), "22").unwrap();
        assert_eq!(index_key(d.path()), k);
        std::fs::write(d.path().join("base-0123456789abcdef/repodata/repomd.xml"), "22").unwrap();
        assert_ne!(index_key(d.path()), k);
    }
}
