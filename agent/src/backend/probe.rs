//! Cheap "is this backend usable right now?" checks for `GET /health`: its programs are installed and
//! its package database is readable (a `stat`/`open` each, never a package-manager run).

use std::path::Path;

/// `Ok` when `program` (a path, or a name looked up like detection does) is an executable file.
pub fn program(program: &str) -> Result<(), String> {
    use super::detect::Probe;
    use std::os::unix::fs::PermissionsExt;
    let found = if program.contains('/') {
        std::fs::metadata(program).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    } else {
        super::detect::probe_path().has(program)
    };
    if found {
        Ok(())
    } else {
        Err(format!(
            "the package manager program `{program}` is not installed"
        ))
    }
}

/// `Ok` when `path` (a file, or a directory) can be opened and read.
pub fn readable(path: &Path) -> Result<(), String> {
    let res = if path.is_dir() {
        std::fs::read_dir(path).map(|_| ())
    } else {
        std::fs::File::open(path).map(|_| ())
    };
    res.map_err(|e| format!("the package database {} is unreadable: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_programs_and_unreadable_databases_are_named() {
        assert!(program("sh").is_ok());
        assert!(program("/bin/sh").is_ok());
        let e = program("no-such-package-manager-xyz").unwrap_err();
        assert!(
            e.contains("`no-such-package-manager-xyz` is not installed"),
            "{e}"
        );
        let d = tempfile::tempdir().unwrap();
        assert!(readable(d.path()).is_ok());
        let f = d.path().join("status");
        let e = readable(&f).unwrap_err();
        assert!(e.contains("status is unreadable"), "{e}");
        std::fs::write(&f, "x").unwrap();
        assert!(readable(&f).is_ok());
    }
}
