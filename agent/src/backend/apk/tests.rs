//! Backend-level pieces that need no apk: construction, program lookup, merging upgrade marks.

use super::{merge, program_exists, ApkBackend, BIN_ENV};
use crate::backend::{CommandEnv, PackageBackend};
use linux_patch_shared::api::agent::{Package, Patch};
use std::collections::BTreeMap;

fn pkg(name: &str, version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        architecture: "x86_64".into(),
        status: "installed".into(),
        summary: None,
        section: None,
        installed_size_kib: None,
        source: None,
        upgradable: None,
        candidate_version: None,
    }
}

#[test]
fn merge_marks_upgradable_packages() {
    let patch = Patch {
        name: "b".into(),
        architecture: "x86_64".into(),
        installed_version: Some("1-r0".into()),
        candidate_version: "2-r0".into(),
        repository: String::new(),
        origins: vec![],
        security: false,
        severity: None,
        cves: vec![],
        security_source: "unknown".into(),
        requires_reboot: false,
    };
    let m = merge(&[pkg("a", "1-r0"), pkg("b", "1-r0")], &[patch]);
    assert_eq!(
        (m[0].upgradable, m[0].candidate_version.clone()),
        (Some(false), None)
    );
    assert_eq!(
        (m[1].upgradable, m[1].candidate_version.as_deref()),
        (Some(true), Some("2-r0"))
    );
}

#[test]
fn construction_needs_a_database_or_a_program() {
    let root = tempfile::tempdir().unwrap();
    let env = |bin: &str| CommandEnv {
        env: BTreeMap::from([(BIN_ENV.to_string(), bin.to_string())]),
        extra_args: vec!["--root".into(), root.path().display().to_string()],
    };
    let e = ApkBackend::new(env("/nonexistent/apk")).unwrap_err().to_string();
    assert!(e.contains("no apk database") && e.contains(BIN_ENV), "{e}");
    let b = ApkBackend::new(env("/bin/sh")).unwrap();
    assert_eq!(b.name(), "apk");
    assert_eq!(b.installed_db(), None);
    std::fs::create_dir_all(root.path().join("lib/apk/db")).unwrap();
    std::fs::write(
        root.path().join("lib/apk/db/installed"),
        "P:a\nV:1-r0\nA:x86_64\n\n",
    )
    .unwrap();
    let b = ApkBackend::new(env("/nonexistent/apk")).unwrap();
    assert_eq!(b.installed_db(), Some(root.path().join("lib/apk/db/installed")));
    assert!(b.last_change().is_some());
    assert!(b.validate_name("-u").is_err() && b.validate_version("1.0-r0").is_ok());
    assert_eq!(
        b.compare_versions("1.0_rc1-r0", "1.0-r0"),
        std::cmp::Ordering::Less
    );
}

#[test]
fn program_lookup() {
    assert!(program_exists("sh", &BTreeMap::new()));
    assert!(!program_exists("surely-not-a-program-apk", &BTreeMap::new()));
    assert!(program_exists("/bin/sh", &BTreeMap::new()));
    let empty_path = BTreeMap::from([("PATH".to_string(), "/nonexistent".to_string())]);
    assert!(!program_exists("sh", &empty_path));
}
