//! File identity stamps (mtime, size, inode) that decide when a cached parse of a file is stale.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// What a `stat` says about a file or directory, enough to notice a rewrite, rename or in-place edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    mtime_s: i64,
    mtime_ns: i64,
    size: u64,
    inode: u64,
    dev: u64,
}

/// Stamp of `path` (following symlinks); `None` when it does not exist or cannot be stat'ed.
pub fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp {
        mtime_s: m.mtime(),
        mtime_ns: m.mtime_nsec(),
        size: m.size(),
        inode: m.ino(),
        dev: m.dev(),
    })
}

/// Stamp of a directory plus the stamp of every entry in it, sorted by name: an edit in place of a file in
/// the directory changes no directory mtime, so each entry counts. Missing directory: empty list.
pub fn dir_stamps(dir: &Path) -> Vec<(String, Option<Stamp>)> {
    let mut out = vec![(String::new(), stamp(dir))];
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut entries: Vec<(String, Option<Stamp>)> = rd
            .filter_map(Result::ok)
            .map(|e| (e.file_name().to_string_lossy().into_owned(), stamp(&e.path())))
            .collect();
        entries.sort();
        out.extend(entries);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{dir_stamps, stamp};

    #[test]
    fn stamp_changes_with_content_and_dir_stamps_see_edits_in_place() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.list");
        assert_eq!(stamp(&f), None);
        std::fs::write(&f, "one").unwrap();
        let s1 = stamp(&f).unwrap();
        let before = dir_stamps(d.path());
        std::fs::write(&f, "three").unwrap();
        assert_ne!(stamp(&f), Some(s1), "size changed");
        assert_ne!(dir_stamps(d.path()), before, "entry edited in place");
        assert_eq!(dir_stamps(&d.path().join("missing")), vec![(String::new(), None)]);
    }
}
