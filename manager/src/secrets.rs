//! `data_dir/secrets.key`: the 32-byte AEAD key (AES-256-GCM, OpenSSL) that encrypts secrets at rest in the
//! database (DESIGN §5.5), created at first start with mode 0600; every manager sharing a database needs a copy.

use crate::error::ManagerError;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use openssl::symm::{decrypt_aead, encrypt_aead, Cipher};
use std::fmt;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The key file's name inside the data directory.
pub const FILE: &str = "secrets.key";
/// What a sealed value starts with.
pub const PREFIX: &str = "enc:v1:";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The key (its bytes never printed).
#[derive(Clone)]
pub struct SecretsKey {
    key: [u8; KEY_LEN],
}

impl fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretsKey(..)")
    }
}

/// Where the key of `data_dir` lives.
pub fn path_in(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE)
}

impl SecretsKey {
    /// A key from its bytes (tests, tools).
    pub fn from_bytes(key: [u8; KEY_LEN]) -> Self {
        Self { key }
    }

    /// Reads `data_dir/secrets.key`, creating it (random, 0600, written once) when it does not exist; refuses
    /// a file of the wrong size or one that others than its owner may read.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, ManagerError> {
        let path = path_in(data_dir);
        let cfg = |m: String| ManagerError::Internal(format!("{}: {m}", path.display()));
        match std::fs::metadata(&path) {
            Ok(meta) => {
                if meta.permissions().mode() & 0o077 != 0 {
                    return Err(cfg(format!(
                        "mode {:o} lets others read the secrets key; run `chmod 600` on it",
                        meta.permissions().mode() & 0o777
                    )));
                }
                let bytes = std::fs::read(&path).map_err(|e| cfg(format!("cannot read: {e}")))?;
                let key: [u8; KEY_LEN] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| cfg(format!("holds {} bytes, not {KEY_LEN}", bytes.len())))?;
                Ok(Self { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir)
                    .map_err(|e| cfg(format!("cannot create its directory: {e}")))?;
                let mut key = [0u8; KEY_LEN];
                openssl::rand::rand_bytes(&mut key).map_err(|e| cfg(format!("no random bytes: {e}")))?;
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .map_err(|e| cfg(format!("cannot create: {e}")))?;
                f.write_all(&key)
                    .and_then(|()| f.sync_all())
                    .map_err(|e| cfg(format!("cannot write: {e}")))?;
                log::info!("created the secrets key {}", path.display());
                Ok(Self { key })
            }
            Err(e) => Err(cfg(format!("cannot read: {e}"))),
        }
    }

    /// Encrypts `plain` for the record named `context` (authenticated: the value only opens for that name):
    /// `enc:v1:` + base64(nonce | ciphertext | tag).
    pub fn seal(&self, context: &str, plain: &[u8]) -> Result<String, ManagerError> {
        let internal =
            |e: openssl::error::ErrorStack| ManagerError::Internal(format!("encrypting a secret: {e}"));
        let mut nonce = [0u8; NONCE_LEN];
        openssl::rand::rand_bytes(&mut nonce).map_err(internal)?;
        let mut tag = [0u8; TAG_LEN];
        let ct = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.key,
            Some(&nonce),
            context.as_bytes(),
            plain,
            &mut tag,
        )
        .map_err(internal)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out.extend_from_slice(&tag);
        Ok(format!("{PREFIX}{}", B64.encode(out)))
    }

    /// Decrypts a value [`seal`](Self::seal)ed for `context`; a wrong key, context or an altered value is an
    /// error (never a wrong plaintext).
    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, ManagerError> {
        let bad = |why: &str| ManagerError::Internal(format!("secret for {context}: {why}"));
        let raw = sealed
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad("not encrypted"))
            .and_then(|b| B64.decode(b).map_err(|_| bad("not base64")))?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(bad("too short"));
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.key,
            Some(nonce),
            context.as_bytes(),
            ct,
            tag,
        )
        .map_err(|_| bad("cannot be decrypted with this manager's secrets.key (another key, or altered)"))
    }

    /// Whether `value` is a sealed value (rather than plaintext from before encryption).
    pub fn is_sealed(value: &str) -> bool {
        value.starts_with(PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct DataDir(PathBuf);

    impl DataDir {
        fn path(&self) -> &Path {
            &self.0
        }
    }

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let k = SecretsKey::from_bytes([7; KEY_LEN]);
        let s = k.seal("signing_keys:a", b"-----BEGIN PRIVATE KEY-----").unwrap();
        assert!(SecretsKey::is_sealed(&s) && !s.contains("BEGIN"), "{s}");
        assert_eq!(
            k.open("signing_keys:a", &s).unwrap(),
            b"-----BEGIN PRIVATE KEY-----"
        );
        assert!(k.open("signing_keys:b", &s).is_err(), "another record");
        assert!(SecretsKey::from_bytes([8; KEY_LEN])
            .open("signing_keys:a", &s)
            .is_err());
        let mut altered = s.clone();
        altered.pop();
        altered.push(if s.ends_with('A') { 'B' } else { 'A' });
        assert!(k.open("signing_keys:a", &altered).is_err());
        assert_ne!(
            k.seal("c", b"x").unwrap(),
            k.seal("c", b"x").unwrap(),
            "fresh nonce each time"
        );
    }

    #[test]
    fn the_key_file_is_created_once_with_mode_0600() {
        let top = tempfile::tempdir().unwrap();
        // The data directory need not exist yet (first start with an external database).
        let dir = top.path().join("var/lib/linux_patch_manager");
        let a = SecretsKey::load_or_create(&dir).unwrap();
        let dir = DataDir(dir);
        let mode = std::fs::metadata(path_in(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let b = SecretsKey::load_or_create(dir.path()).unwrap();
        assert_eq!(a.key, b.key, "the same key after a restart");
        std::fs::set_permissions(path_in(dir.path()), std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            SecretsKey::load_or_create(dir.path()).is_err(),
            "readable by others"
        );
        std::fs::set_permissions(path_in(dir.path()), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(path_in(dir.path()), b"short").unwrap();
        assert!(SecretsKey::load_or_create(dir.path()).is_err());
    }
}
