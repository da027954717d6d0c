//! Tests of loading an existing root CA: half-written pairs, loose key modes, keys from another CA.

use super::tests::clock;
use super::*;
use std::os::unix::fs::PermissionsExt;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn missing_ca_key_next_to_cert_is_an_error_naming_ca_key() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    let ca = InternalCa::load_or_create(dir.path(), &c).unwrap();
    let pem = ca.cert_pem();
    std::fs::remove_file(dir.path().join("ca/ca.key")).unwrap();
    let err = InternalCa::load_or_create(dir.path(), &c).unwrap_err();
    assert!(err.to_string().contains("ca/ca.key"), "{err}");
    // Nothing was replaced.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ca/ca.pem")).unwrap(),
        pem
    );
    assert!(!dir.path().join("ca/ca.key").exists());
}

#[test]
fn missing_ca_cert_next_to_key_is_an_error_naming_ca_pem() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    InternalCa::load_or_create(dir.path(), &c).unwrap();
    std::fs::remove_file(dir.path().join("ca/ca.pem")).unwrap();
    let err = InternalCa::load_or_create(dir.path(), &c).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&dir.path().join("ca/ca.pem").display().to_string()),
        "{err}"
    );
    assert!(!dir.path().join("ca/ca.pem").exists());
}

#[test]
fn mismatched_or_loose_key_is_handled() {
    let dir = tempfile::tempdir().unwrap();
    let c = clock();
    InternalCa::load_or_create(dir.path(), &c).unwrap();
    let key = dir.path().join("ca/ca.key");
    // A world-readable key is tightened back to 0600 on load.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    InternalCa::load_or_create(dir.path(), &c).unwrap();
    assert_eq!(mode(&key), 0o600);
    // A key from another CA is refused, naming the key file.
    let other = tempfile::tempdir().unwrap();
    InternalCa::load_or_create(other.path(), &c).unwrap();
    std::fs::copy(other.path().join("ca/ca.key"), &key).unwrap();
    let err = InternalCa::load_or_create(dir.path(), &c).unwrap_err();
    assert!(
        err.0.contains("ca.key") && err.0.contains("does not belong"),
        "{err}"
    );
}
