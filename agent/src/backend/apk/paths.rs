//! Where apk keeps its state for the configured root (`--root`/`-p` in `backend.extra_args`, else `/`),
//! and the file stamps that decide when cached answers are stale.

use super::stamp::{dir_stamps, stamp, Stamp};
use std::path::{Path, PathBuf};

/// The installed-packages database, relative to the root: apk-tools 2 and 3 use `lib/apk/db`;
/// merged-/usr systems may have only `usr/lib/apk/db`.
const DB_CANDIDATES: [&str; 2] = ["lib/apk/db/installed", "usr/lib/apk/db/installed"];

/// A list of (what, stamp) pairs; equal lists mean nothing apk reads has changed.
pub type Key = Vec<(String, Option<Stamp>)>;

/// apk's files under one root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkPaths {
    root: PathBuf,
}

impl ApkPaths {
    /// The root apk works on, from the last `--root DIR`, `--root=DIR` or `-p DIR` in `extra_args`
    /// (apk's own spelling), else `/`.
    pub fn from_args(extra: &[String]) -> ApkPaths {
        let mut root = PathBuf::from("/");
        let mut it = extra.iter();
        while let Some(a) = it.next() {
            if let Some(r) = a.strip_prefix("--root=") {
                root = PathBuf::from(r);
            } else if a == "--root" || a == "-p" {
                if let Some(r) = it.next() {
                    root = PathBuf::from(r);
                }
            }
        }
        ApkPaths { root }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The installed database that exists, if any (read in-process instead of running apk).
    pub fn installed_db(&self) -> Option<PathBuf> {
        DB_CANDIDATES
            .iter()
            .map(|c| self.root.join(c))
            .find(|p| p.is_file())
    }

    /// `ROOT/etc/apk/world`: the packages asked for, with their constraints.
    pub fn world(&self) -> PathBuf {
        self.root.join("etc/apk/world")
    }

    /// Stamps of the installed database (or of its absence).
    pub fn db_key(&self) -> Key {
        DB_CANDIDATES
            .iter()
            .map(|c| (c.to_string(), stamp(&self.root.join(c))))
            .collect()
    }

    /// Stamps of everything the upgrade list depends on: the database, the world, the repository
    /// configuration, the index cache, each local repository's index directory and the `extra` files
    /// (the secdb).
    pub fn inputs_key(&self, extra: &[PathBuf]) -> Key {
        let mut k = self.db_key();
        for f in ["etc/apk/world", "etc/apk/repositories", "etc/apk/arch"] {
            k.push((f.to_string(), stamp(&self.root.join(f))));
        }
        for d in ["etc/apk/repositories.d", "var/cache/apk", "etc/apk/cache"] {
            let dir = self.root.join(d);
            k.extend(dir_stamps(&dir).into_iter().map(|(n, s)| (format!("{d}/{n}"), s)));
        }
        let arch = std::fs::read_to_string(self.root.join("etc/apk/arch")).unwrap_or_default();
        for repo in self.local_repositories() {
            let dir = repo.join(arch.trim());
            let label = dir.display().to_string();
            k.extend(
                dir_stamps(&dir)
                    .into_iter()
                    .map(|(n, s)| (format!("{label}/{n}"), s)),
            );
        }
        for f in extra {
            k.push((f.display().to_string(), stamp(f)));
        }
        k
    }

    /// Local (path) repositories listed in `ROOT/etc/apk/repositories`: their index is read in place,
    /// so a republished index changes no file under the root.
    fn local_repositories(&self) -> Vec<PathBuf> {
        let text = std::fs::read_to_string(self.root.join("etc/apk/repositories")).unwrap_or_default();
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| match l.split_once(char::is_whitespace) {
                Some((tag, rest)) if tag.starts_with('@') => rest.trim(),
                _ => l,
            })
            .filter(|l| l.starts_with('/'))
            .map(PathBuf::from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::ApkPaths;
    use std::path::Path;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn root_from_extra_args() {
        assert_eq!(ApkPaths::from_args(&[]).root(), Path::new("/"));
        for args in [
            s(&["--root", "/srv/r", "--allow-untrusted"]),
            s(&["--allow-untrusted", "--root=/srv/r"]),
            s(&["-p", "/srv/r"]),
            s(&["--root", "/other", "-p", "/srv/r"]),
        ] {
            assert_eq!(ApkPaths::from_args(&args).root(), Path::new("/srv/r"), "{args:?}");
        }
        let p = ApkPaths::from_args(&s(&["--root", "/srv/r"]));
        assert_eq!(p.world(), Path::new("/srv/r/etc/apk/world"));
        assert_eq!(p.installed_db(), None);
    }

    #[test]
    fn key_follows_db_world_and_local_repository_index() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("root");
        let repo = d.path().join("repo");
        std::fs::create_dir_all(root.join("lib/apk/db")).unwrap();
        std::fs::create_dir_all(root.join("etc/apk")).unwrap();
        std::fs::create_dir_all(repo.join("x86_64")).unwrap();
        std::fs::write(root.join("etc/apk/arch"), "x86_64\n").unwrap();
        std::fs::write(
            root.join("etc/apk/repositories"),
            format!(
                "# main\n@local {}\nhttps://example.invalid/main\n",
                repo.display()
            ),
        )
        .unwrap();
        std::fs::write(root.join("lib/apk/db/installed"), "P:a\nV:1-r0\n\n").unwrap();
        let p = ApkPaths::from_args(&s(&["--root", &root.display().to_string()]));
        assert_eq!(p.installed_db(), Some(root.join("lib/apk/db/installed")));
        let k0 = p.inputs_key(&[]);
        std::fs::write(repo.join("x86_64/APKINDEX.tar.gz"), "new index").unwrap();
        let k1 = p.inputs_key(&[]);
        assert_ne!(k0, k1, "republished local index");
        std::fs::write(root.join("etc/apk/world"), "a\n").unwrap();
        assert_ne!(p.inputs_key(&[]), k1, "world changed");
        let db0 = p.db_key();
        std::fs::write(
            root.join("lib/apk/db/installed"),
            "P:a\nV:2-r0\n\nP:b\nV:1-r0\n\n",
        )
        .unwrap();
        assert_ne!(p.db_key(), db0);
    }
}
