//! The read side on the fake: the installed database read in-process (no apk run), upgrades from
//! `apk list --upgradable` with world pins respected, caching, the fallbacks, secdb and reboot data.

use super::{backend, backend_with, host_apk, read_argv};
use linux_patch_api::backend::PackageBackend;
use linux_patch_shared::api::agent::{Package, TriState};
use linux_patch_tests::apk::{apk_sandbox, fake_apk, pmtest_repo, ApkVersion, RepoPackage};
use std::path::Path;
use std::sync::Arc;

fn rows(pkgs: &[Package]) -> Vec<String> {
    pkgs.iter()
        .map(|p| {
            let cand = p.candidate_version.as_deref().unwrap_or("-");
            format!(
                "{}={} {} {:?} {cand}",
                p.name, p.version, p.architecture, p.upgradable
            )
        })
        .collect()
}

fn secdb_path() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/apk/secdb.json")
        .display()
        .to_string()
}

#[test]
fn lists_from_the_database_and_respects_world_pins() {
    let host = host_apk();
    for version in [ApkVersion::V2, ApkVersion::V3] {
        let f = apk_sandbox(version);
        let b = backend(&f);
        assert!(b.installed_db().is_some());
        let pkgs = b.installed().unwrap();
        // Block 2 pinned pmtest-hello=1.0-r0 in world: `apk upgrade` would not move it (block 7), so
        // it is not a pending upgrade although `apk list --upgradable` shows 1.1-r0 (block 5).
        assert_eq!(
            rows(&pkgs),
            [
                "pmtest-app=1.0-r0 x86_64 Some(false) -",
                "pmtest-hello=1.0-r0 x86_64 Some(false) -",
                "pmtest-lib=1.0-r0 x86_64 Some(false) -",
            ]
        );
        let hello = &pkgs[1];
        assert_eq!(
            hello.summary.as_deref(),
            Some("pm test package pmtest-hello 1.0-r0")
        );
        assert_eq!((hello.installed_size_kib, hello.source.clone()), (Some(1), None));
        assert!(b.upgrades().unwrap().is_empty());
        assert_eq!(
            f.take_argv(),
            [read_argv(&["list", "--upgradable"])],
            "the database is read in-process; one apk run for upgrades"
        );

        // Unpinned behind the backend's back (what the recordings did before block 10).
        f.apk_ok(&["add", "pmtest-hello"]);
        let ups = b.upgrades().unwrap();
        assert_eq!(ups.len(), 1);
        let u = &ups[0];
        assert_eq!(
            (
                u.name.as_str(),
                u.installed_version.as_deref(),
                u.candidate_version.as_str()
            ),
            ("pmtest-hello", Some("1.0-r0"), "1.1-r0")
        );
        assert_eq!(u.architecture, "x86_64");
        assert_eq!(
            (u.security, u.security_source.as_str(), u.cves.len()),
            (false, "unknown", 0)
        );
        let pkgs = b.installed().unwrap();
        assert_eq!(rows(&pkgs)[1], "pmtest-hello=1.0-r0 x86_64 Some(true) 1.1-r0");
        // Nothing changed since: both from the cache, no apk run.
        f.take_argv();
        assert!(Arc::ptr_eq(&ups, &b.upgrades().unwrap()));
        assert!(Arc::ptr_eq(&pkgs, &b.installed().unwrap()));
        assert!(f.take_argv().is_empty(), "cached");

        // A change made by apk behind the backend's back shows at the next read.
        f.apk_ok(&["add", "-u", "pmtest-hello"]);
        assert_eq!(
            rows(&b.installed().unwrap())[1],
            "pmtest-hello=1.1-r0 x86_64 Some(false) -"
        );
        assert!(b.upgrades().unwrap().is_empty());
        assert!(b.last_change().is_some());
    }
    assert_eq!(host_apk(), host, "the host's apk files are untouched");
}

#[test]
fn without_a_database_file_apk_is_asked() {
    let f = apk_sandbox(ApkVersion::V2);
    f.apk_ok(&["add", "pmtest-hello"]);
    // The fake keeps its database elsewhere: the backend finds no ROOT/lib/apk/db/installed.
    let elsewhere = f.work().join("elsewhere-installed");
    std::fs::rename(f.root().join("lib/apk/db/installed"), &elsewhere).unwrap();
    let b = backend_with(&f, &[("FAKE_APK_DB", &elsewhere.display().to_string())]);
    assert_eq!(b.installed_db(), None);
    let pkgs = b.installed().unwrap();
    assert_eq!(
        rows(&pkgs),
        [
            "pmtest-app=1.0-r0 x86_64 Some(false) -",
            "pmtest-hello=1.0-r0 x86_64 Some(true) 1.1-r0",
            "pmtest-lib=1.0-r0 x86_64 Some(false) -",
        ]
    );
    assert_eq!(
        f.take_argv(),
        [
            read_argv(&["list", "--installed"]),
            read_argv(&["list", "--upgradable"])
        ],
        "apk list --installed instead of the database"
    );
    assert_eq!(b.last_change(), None);
    // Not cacheable without a database file to stamp: asked again.
    b.installed().unwrap();
    assert_eq!(f.take_argv().len(), 2);
}

#[test]
fn version_less_is_the_fallback_for_upgrades() {
    let f = apk_sandbox(ApkVersion::V3);
    f.apk_ok(&["add", "pmtest-hello"]);
    let b = backend_with(&f, &[("FAKE_APK_FAIL", "list")]);
    let ups = b.upgrades().unwrap();
    assert_eq!(
        ups.iter()
            .map(|u| format!(
                "{} {} {:?} {}",
                u.name, u.architecture, u.installed_version, u.candidate_version
            ))
            .collect::<Vec<_>>(),
        ["pmtest-hello x86_64 Some(\"1.0-r0\") 1.1-r0"],
        "architecture from the database"
    );
    assert_eq!(
        f.take_argv(),
        [
            read_argv(&["list", "--upgradable"]),
            read_argv(&["version", "-l", "<"])
        ]
    );
}

#[test]
fn secdb_decides_security_with_cves() {
    let f = fake_apk(ApkVersion::V2);
    let mut repo = pmtest_repo();
    for v in ["1.0-r0", "1.0.2-r0"] {
        repo.push(RepoPackage {
            origin: Some("pmtest-libs".into()),
            ..RepoPackage::new("pmtest-sublib", v)
        });
    }
    f.publish(&repo);
    f.apk_ok(&["add", "pmtest-hello=1.0-r0", "pmtest-app", "pmtest-sublib=1.0-r0"]);
    f.apk_ok(&["add", "pmtest-hello", "pmtest-sublib"]);
    let b = backend_with(&f, &[("LINUX_PATCH_API_APK_SECDB", &secdb_path())]);
    let ups = b.upgrades().unwrap();
    let got: Vec<String> = ups
        .iter()
        .map(|u| {
            format!(
                "{} {} {} {:?} {:?}",
                u.name, u.candidate_version, u.security_source, u.security, u.cves
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "pmtest-hello 1.1-r0 secdb true [\"CVE-2024-12345\"]",
            "pmtest-sublib 1.0.2-r0 secdb true [\"CVE-2024-22222\"]",
        ],
        "by name, and by origin for a subpackage; the GHSA id is not a CVE"
    );
    assert!(ups.iter().all(|u| u.severity.is_none()), "secdb has no severity");

    // A fix the candidate does not reach is not security.
    let mut older = pmtest_repo();
    older.retain(|p| p.name != "pmtest-hello" || p.version == "1.0-r0");
    older.push(RepoPackage::new("pmtest-hello", "1.0.5-r0"));
    f.publish(&older);
    let ups = b.upgrades().unwrap();
    assert_eq!(ups.len(), 1, "{ups:?}");
    assert_eq!(
        (
            ups[0].name.as_str(),
            ups[0].security,
            ups[0].security_source.as_str()
        ),
        ("pmtest-hello", false, "secdb")
    );
    // An unreadable secdb: unknown, not an error.
    let b = backend_with(&f, &[("LINUX_PATCH_API_APK_SECDB", "/nonexistent/secdb.json")]);
    assert_eq!(b.upgrades().unwrap()[0].security_source, "unknown");
}

#[test]
fn reboot_compares_the_running_kernel_with_linux_lts() {
    let f = fake_apk(ApkVersion::V2);
    let mut repo = pmtest_repo();
    repo.push(RepoPackage::new("linux-lts", "6.6.31-r0"));
    f.publish(&repo);
    f.apk_ok(&["add", "linux-lts=6.6.31-r0"]);
    let proc = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(proc.path().join("sys/kernel")).unwrap();
    std::fs::write(proc.path().join("sys/kernel/osrelease"), "6.6.31-0-lts\n").unwrap();
    let b = backend(&f).with_proc_dir(proc.path().to_path_buf());
    let r = b.reboot_required();
    assert_eq!(r.state, TriState::No, "{r:?}");
    repo.push(RepoPackage::new("linux-lts", "6.6.32-r0"));
    f.publish(&repo);
    f.apk_ok(&["add", "-u", "linux-lts"]);
    let r = b.reboot_required();
    assert_eq!(r.state, TriState::Yes, "{r:?}");
    assert_eq!(
        r.reason,
        "newer kernel linux-lts 6.6.32-r0 installed, running 6.6.31-0-lts"
    );
    assert_eq!(r.packages, ["linux-lts"]);
    // Another flavour running (linux-virt is not installed): unknown, with the reason.
    std::fs::write(proc.path().join("sys/kernel/osrelease"), "6.6.32-0-virt\n").unwrap();
    let r = b.reboot_required();
    assert_eq!(r.state, TriState::Unknown, "{r:?}");
    assert!(
        r.reason.contains("no linux-virt package installed"),
        "{}",
        r.reason
    );
}
