//! Unit tests of the backend's assembly: construction errors, merging upgrades into the listing, and the
//! caches against a real apt in an empty temporary root (the host's database is never used).

use super::{merge, AptBackend};
use crate::backend::{BackendError, CommandEnv, PackageBackend};
use linux_patch_shared::api::agent::{Package, Patch};
use std::collections::BTreeMap;
use std::path::Path;

fn pkg(name: &str, arch: &str) -> Package {
    Package {
        name: name.into(),
        version: "1.0".into(),
        architecture: arch.into(),
        status: "installed".into(),
        summary: None,
        section: None,
        installed_size_kib: None,
        source: None,
        upgradable: None,
        candidate_version: None,
    }
}

fn patch(name: &str, arch: &str, cand: &str) -> Patch {
    Patch {
        name: name.into(),
        architecture: arch.into(),
        installed_version: Some("1.0".into()),
        candidate_version: cand.into(),
        repository: String::new(),
        origins: Vec::new(),
        security: false,
        severity: None,
        cves: Vec::new(),
        security_source: "origin".into(),
        requires_reboot: false,
    }
}

#[test]
fn merge_matches_name_and_arch_or_all() {
    let pkgs = [
        pkg("libc6", "amd64"),
        pkg("libc6", "i386"),
        pkg("tzdata", "all"),
        pkg("bash", "amd64"),
    ];
    let ups = [
        patch("libc6", "i386", "2.0"),
        patch("tzdata", "all", "2024b"),
        patch("zsh", "amd64", "5"),
    ];
    let m = merge(&pkgs, &ups);
    let got: Vec<(&str, &str, Option<bool>, Option<&str>)> = m
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.architecture.as_str(),
                p.upgradable,
                p.candidate_version.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("libc6", "amd64", Some(false), None),
            ("libc6", "i386", Some(true), Some("2.0")),
            ("tzdata", "all", Some(true), Some("2024b")),
            ("bash", "amd64", Some(false), None),
        ]
    );
}

/// An empty apt/dpkg root: apt.conf pointing everything inside it, no sources.
fn empty_root(status: &str) -> (tempfile::TempDir, CommandEnv) {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    for d in [
        "etc/apt/apt.conf.d",
        "etc/apt/preferences.d",
        "etc/apt/sources.list.d",
        "var/lib/apt/lists/partial",
        "var/cache/apt/archives/partial",
        "var/lib/dpkg/updates",
        "var/lib/dpkg/info",
    ] {
        std::fs::create_dir_all(r.join(d)).unwrap();
    }
    std::fs::write(r.join("var/lib/dpkg/status"), status).unwrap();
    std::fs::write(r.join("etc/apt/sources.list"), "").unwrap();
    let conf = format!(
        "Dir \"{0}/\";\nDir::State::status \"{0}/var/lib/dpkg/status\";\nAcquire::Languages \"none\";\n",
        r.display()
    );
    std::fs::write(r.join("etc/apt/apt.conf"), conf).unwrap();
    let env = BTreeMap::from([
        (
            "APT_CONFIG".to_string(),
            r.join("etc/apt/apt.conf").display().to_string(),
        ),
        (
            "DPKG_ADMINDIR".to_string(),
            r.join("var/lib/dpkg").display().to_string(),
        ),
    ]);
    (
        t,
        CommandEnv {
            env,
            extra_args: Vec::new(),
        },
    )
}

const ONE: &str = "Package: pmtest-one\nStatus: install ok installed\nArchitecture: all\nVersion: 1.0\n\
                   Description: one\n";

#[test]
fn construction_fails_clearly_without_status_or_apt_config() {
    let mut env = CommandEnv::default();
    env.env
        .insert("DPKG_ADMINDIR".into(), "/nonexistent/pm-test/dpkg".into());
    match AptBackend::new(env) {
        Err(BackendError::Io(m)) => assert!(m.contains("/nonexistent/pm-test/dpkg/status"), "{m}"),
        other => panic!("want Io error, got {other:?}"),
    }
    let (_t, mut env) = empty_root(ONE);
    env.extra_args = vec!["-o".into(), "no-equals-sign".into()];
    match AptBackend::new(env) {
        Err(e @ BackendError::Command(_)) => {
            let m = e.to_string();
            assert!(m.contains("apt-config") && m.contains("exited with 100"), "{m}");
            assert_eq!(m.matches("command failed").count(), 1, "{m}");
        }
        other => panic!("want Command error, got {other:?}"),
    }
}

#[test]
fn empty_root_lists_one_package_not_upgradable_and_caches() {
    let (t, env) = empty_root(ONE);
    let b = AptBackend::new(env).unwrap();
    assert_eq!(b.name(), "apt");
    assert_eq!(b.status_path(), t.path().join("var/lib/dpkg/status"));
    assert!(b.upgrades().unwrap().is_empty());
    let first = b.installed().unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].upgradable, first[0].candidate_version.as_deref()),
        (Some(false), None)
    );
    let again = b.installed().unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&first, &again),
        "unchanged database: same cached list"
    );
    assert!(b.last_change().is_some());

    // A journal entry dpkg has not folded into status yet is seen at once.
    let journal = t.path().join("var/lib/dpkg/updates/0000");
    std::fs::write(&journal, ONE.replace("pmtest-one", "pmtest-two")).unwrap();
    let names: Vec<String> = b.installed().unwrap().iter().map(|p| p.name.clone()).collect();
    assert_eq!(names, vec!["pmtest-one", "pmtest-two"]);
}

#[test]
fn broken_simulation_leaves_upgradable_null_but_upgrades_fails() {
    let (t, env) = empty_root(ONE);
    let b = AptBackend::new(env).unwrap();
    // A sources line apt cannot parse makes every apt-get run fail.
    write(&t.path().join("etc/apt/sources.list"), "deb-bogus nothing\n");
    let err = b.upgrades().unwrap_err();
    assert!(
        matches!(&err, BackendError::Command(m) if m.contains("apt-get")),
        "{err:?}"
    );
    let pkgs = b.installed().unwrap();
    assert_eq!(
        (pkgs[0].upgradable, pkgs[0].candidate_version.clone()),
        (None, None)
    );
    // Fixing the configuration changes the key: the next call simulates again and succeeds.
    write(&t.path().join("etc/apt/sources.list"), "");
    assert!(b.upgrades().unwrap().is_empty());
    assert_eq!(b.installed().unwrap()[0].upgradable, Some(false));
}

fn write(p: &Path, s: &str) {
    std::fs::write(p, s).unwrap();
}
