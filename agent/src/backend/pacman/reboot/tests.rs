//! Unit tests of the reboot decision with fake `/proc` and RootDir trees.

use super::{kernel_releases, reboot_required, Kernel};
use linux_patch_shared::api::agent::TriState;
use std::path::Path;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn kernel(name: &str, version: &str, release: &str) -> Kernel {
    Kernel {
        name: name.into(),
        version: version.into(),
        releases: vec![release.into()],
    }
}

fn setup(running: Option<&str>, modules: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("proc/sys/kernel")).unwrap();
    if let Some(r) = running {
        std::fs::write(d.path().join("proc/sys/kernel/osrelease"), format!("{r}\n")).unwrap();
    }
    for m in modules {
        std::fs::create_dir_all(d.path().join("root/usr/lib/modules").join(m)).unwrap();
    }
    d
}

fn decide(d: &Path, kernels: Result<Vec<Kernel>, String>) -> (TriState, String, Vec<String>) {
    let r = reboot_required(&d.join("proc"), &d.join("root"), kernels);
    (r.state, r.reason, r.packages)
}

#[test]
fn releases_come_from_the_file_list() {
    let files = s(&[
        "usr/",
        "usr/lib/modules/",
        "usr/lib/modules/6.7.4-arch1-1/",
        "usr/lib/modules/6.7.4-arch1-1/pkgbase",
        "usr/lib/modules/6.7.4-arch1-1/vmlinuz",
        "usr/lib/modules/6.7.4-arch1-1/kernel/fs/ext4.ko.zst",
        "usr/lib/modules/6.7.4-arch1-1/build/Makefile",
        "usr/lib/modules/extramodules-6.7-arch1/",
    ]);
    assert_eq!(kernel_releases(&files), vec!["6.7.4-arch1-1"]);
    assert!(
        kernel_releases(&s(&["usr/lib/modules/6.7.4-arch1-1/build/Makefile"])).is_empty(),
        "headers"
    );
    assert!(kernel_releases(&s(&["usr/lib/firmware/x.bin"])).is_empty());
}

#[test]
fn running_kernel_installed_is_no() {
    let d = setup(Some("6.1.0-arch1-1"), &["6.1.0-arch1-1"]);
    let (st, why, pkgs) = decide(
        d.path(),
        Ok(vec![kernel("linux", "6.1.0.arch1-1", "6.1.0-arch1-1")]),
    );
    assert_eq!(st, TriState::No, "{why}");
    assert!(why.contains("linux 6.1.0.arch1-1"), "{why}");
    assert!(pkgs.is_empty());
}

#[test]
fn upgraded_kernel_is_yes_with_the_matching_flavour() {
    let d = setup(Some("6.6.15-1-lts"), &["6.7.5-arch1-1", "6.6.16-1-lts"]);
    let (st, why, pkgs) = decide(
        d.path(),
        Ok(vec![
            kernel("linux", "6.7.5.arch1-1", "6.7.5-arch1-1"),
            kernel("linux-lts", "6.6.16-1", "6.6.16-1-lts"),
        ]),
    );
    assert_eq!(st, TriState::Yes, "{why}");
    assert!(
        why.contains("6.6.15-1-lts") && why.contains("linux-lts 6.6.16-1"),
        "{why}"
    );
    assert_eq!(pkgs, vec!["linux-lts"]);
    let d = setup(Some("6.1.0-arch1-1"), &["6.2.0-arch1-1"]);
    let (st, _, pkgs) = decide(
        d.path(),
        Ok(vec![kernel("linux", "6.2.0.arch1-1", "6.2.0-arch1-1")]),
    );
    assert_eq!((st, pkgs), (TriState::Yes, vec!["linux".to_string()]));
}

#[test]
fn unknown_cases_say_why() {
    let k = || Ok(vec![kernel("linux", "6.1.0.arch1-1", "6.1.0-arch1-1")]);
    let d = setup(None, &[]);
    let (st, why, _) = decide(d.path(), k());
    assert_eq!(st, TriState::Unknown);
    assert!(why.contains("osrelease"), "{why}");
    let d = setup(Some("6.1.0-arch1-1"), &["6.1.0-arch1-1"]);
    let (st, why, _) = decide(d.path(), Ok(Vec::new()));
    assert_eq!(st, TriState::Unknown);
    assert!(why.contains("no installed package provides a kernel"), "{why}");
    let (st, why, _) = decide(d.path(), Err("boom".into()));
    assert_eq!(st, TriState::Unknown);
    assert!(why.contains("boom"), "{why}");
    let d = setup(Some("6.9.9-custom"), &["6.9.9-custom", "6.1.0-arch1-1"]);
    let (st, why, _) = decide(d.path(), k());
    assert_eq!(
        st,
        TriState::Unknown,
        "custom kernel with its modules present: {why}"
    );
    let d = setup(Some("6.1.0-arch1-1"), &[]);
    let (st, why, _) = decide(d.path(), k());
    assert_eq!(st, TriState::Unknown, "database and disk disagree: {why}");
}
