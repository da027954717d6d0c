//! Private directories and atomic, owner-only file writes for CA material.

use super::CaError;
use std::fs::{self, DirBuilder, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode of directories holding keys.
pub(crate) const DIR_MODE: u32 = 0o700;
/// Mode of private key files.
pub(crate) const KEY_MODE: u32 = 0o600;
/// Mode of certificate files (public material).
pub(crate) const CERT_MODE: u32 = 0o644;

/// Creates `dir` (and its parents) if needed and makes sure `dir` itself is mode 0700.
pub(crate) fn private_dir(dir: &Path) -> Result<(), CaError> {
    if let Some(parent) = dir.parent() {
        if !parent.as_os_str().is_empty() {
            fs::create_dir_all(parent).map_err(|e| CaError::at(parent, "cannot create directory", e))?;
        }
    }
    match DirBuilder::new().mode(DIR_MODE).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if !dir.is_dir() {
                return Err(CaError(format!(
                    "{}: exists but is not a directory",
                    dir.display()
                )));
            }
        }
        Err(e) => return Err(CaError::at(dir, "cannot create directory", e)),
    }
    let mode = fs::metadata(dir)
        .map_err(|e| CaError::at(dir, "cannot inspect directory", e))?
        .permissions()
        .mode()
        & 0o7777;
    if mode != DIR_MODE {
        fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))
            .map_err(|e| CaError::at(dir, "cannot set mode 0700", e))?;
    }
    Ok(())
}

/// Writes `data` to `path` atomically (temp file in the same directory, fsync, rename, fsync of the directory).
/// The temp file is created with `mode` from the start, so a key is never readable by others, even briefly.
pub(crate) fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<(), CaError> {
    let dir = path
        .parent()
        .ok_or_else(|| CaError(format!("{}: has no parent directory", path.display())))?;
    let name = path
        .file_name()
        .ok_or_else(|| CaError(format!("{}: has no file name", path.display())))?
        .to_string_lossy()
        .into_owned();
    let tmp = temp_path(dir, &name);
    let result = write_new(&tmp, data, mode).and_then(|()| {
        fs::rename(&tmp, path).map_err(|e| CaError::at(path, "cannot move the new file into place", e))
    });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // Make the rename durable; failure to sync a directory is not worth failing the write for.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A fresh hidden temp name next to the target.
fn temp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.tmp-{:016x}", rand::random::<u64>()))
}

/// Creates `tmp` (must not exist) with `mode`, writes and syncs `data`.
fn write_new(tmp: &Path, data: &[u8], mode: u32) -> Result<(), CaError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(tmp)
        .map_err(|e| CaError::at(tmp, "cannot create file", e))?;
    // The umask can only remove bits, but make the mode exact anyway.
    f.set_permissions(Permissions::from_mode(mode))
        .map_err(|e| CaError::at(tmp, "cannot set file mode", e))?;
    f.write_all(data)
        .map_err(|e| CaError::at(tmp, "cannot write file", e))?;
    f.sync_all().map_err(|e| CaError::at(tmp, "cannot sync file", e))
}

/// Reads a whole file, naming it in the error.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, CaError> {
    fs::read(path).map_err(|e| CaError::at(path, "cannot read file", e))
}

/// Tightens an existing key file to 0600 if it is readable by group or others.
pub(crate) fn tighten_key_mode(path: &Path) -> Result<(), CaError> {
    let mode = fs::metadata(path)
        .map_err(|e| CaError::at(path, "cannot inspect file", e))?
        .permissions()
        .mode()
        & 0o7777;
    if mode & 0o077 != 0 {
        log::warn!("{}: private key had mode {mode:o}; setting 0600", path.display());
        fs::set_permissions(path, Permissions::from_mode(KEY_MODE))
            .map_err(|e| CaError::at(path, "cannot set mode 0600", e))?;
    }
    Ok(())
}
