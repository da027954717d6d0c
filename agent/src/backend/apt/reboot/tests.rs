//! Unit tests of the reboot decision on temporary `/run` and `/proc` trees.

use super::{flavour, kernel_release, reboot_required, RuntimeDirs};
use linux_patch_shared::api::agent::{Package, TriState};
use std::path::Path;

fn pkg(name: &str, version: &str, status: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        architecture: "amd64".into(),
        status: status.into(),
        summary: None,
        section: None,
        installed_size_kib: None,
        source: None,
        upgradable: None,
        candidate_version: None,
    }
}

struct Host {
    _tmp: tempfile::TempDir,
    dirs: RuntimeDirs,
}

fn host(osrelease: Option<&str>, version: Option<&str>) -> Host {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = RuntimeDirs {
        run: tmp.path().join("run"),
        proc: tmp.path().join("proc"),
    };
    std::fs::create_dir_all(&dirs.run).unwrap();
    std::fs::create_dir_all(dirs.proc.join("sys/kernel")).unwrap();
    if let Some(r) = osrelease {
        std::fs::write(dirs.proc.join("sys/kernel/osrelease"), format!("{r}\n")).unwrap();
    }
    if let Some(v) = version {
        std::fs::write(dirs.proc.join("sys/kernel/version"), format!("{v}\n")).unwrap();
    }
    Host { _tmp: tmp, dirs }
}

fn write(p: &Path, s: &str) {
    std::fs::write(p, s).unwrap();
}

#[test]
fn flag_file_wins_and_lists_packages_once() {
    let h = host(Some("6.1.0-18-amd64"), None);
    write(
        &h.dirs.run.join("reboot-required"),
        "*** System restart required ***\n",
    );
    write(
        &h.dirs.run.join("reboot-required.pkgs"),
        "libc6\nlinux-image-6.1.0-21-amd64\n\nlibc6\n",
    );
    let r = reboot_required(&h.dirs, Ok(&[]));
    assert_eq!(r.state, TriState::Yes);
    assert_eq!(
        r.reason,
        format!("{} present", h.dirs.run.join("reboot-required").display())
    );
    assert_eq!(r.packages, vec!["libc6", "linux-image-6.1.0-21-amd64"]);
    // Flag without the .pkgs file: still yes, no packages.
    std::fs::remove_file(h.dirs.run.join("reboot-required.pkgs")).unwrap();
    let r = reboot_required(&h.dirs, Err("unused".into()));
    assert_eq!((r.state, r.packages.len()), (TriState::Yes, 0));
}

#[test]
fn default_dirs_are_the_real_ones() {
    let d = RuntimeDirs::default();
    assert_eq!((d.run.to_str(), d.proc.to_str()), (Some("/run"), Some("/proc")));
}

#[test]
fn newer_kernel_of_the_same_flavour_means_yes() {
    let h = host(
        Some("6.1.0-18-amd64"),
        Some("#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"),
    );
    let pkgs = [
        pkg("linux-image-amd64", "6.1.90-1", "installed"),
        pkg("linux-image-6.1.0-18-amd64", "6.1.76-1", "installed"),
        pkg("linux-image-6.1.0-21-amd64", "6.1.90-1", "installed"),
        pkg("linux-image-6.1.0-9-amd64", "6.1.27-1", "installed"),
        pkg("linux-image-6.1.0-22-amd64", "6.1.94-1", "config-files"),
        pkg("linux-image-6.1.0-30-cloud-amd64", "6.1.124-1", "installed"),
        pkg("linux-image-6.1.0-30-amd64-dbg", "6.1.124-1", "installed"),
    ];
    let r = reboot_required(&h.dirs, Ok(&pkgs));
    assert_eq!(r.state, TriState::Yes, "{}", r.reason);
    assert_eq!(
        r.reason,
        "newer kernel 6.1.0-21-amd64 installed, running 6.1.0-18-amd64"
    );
    assert_eq!(r.packages, vec!["linux-image-6.1.0-21-amd64"]);
}

#[test]
fn running_newest_means_no_and_ubuntu_names_work() {
    let h = host(
        Some("6.5.0-14-generic"),
        Some("#14~22.04.1-Ubuntu SMP PREEMPT_DYNAMIC Mon Nov 20"),
    );
    let pkgs = [
        pkg(
            "linux-image-generic-hwe-22.04",
            "6.5.0.14.14~22.04.7",
            "installed",
        ),
        pkg(
            "linux-image-unsigned-6.5.0-14-generic",
            "6.5.0-14.14~22.04.1",
            "installed",
        ),
        pkg("linux-image-6.5.0-9-generic", "6.5.0-9.9~22.04.1", "installed"),
    ];
    let r = reboot_required(&h.dirs, Ok(&pkgs));
    assert_eq!(r.state, TriState::No, "{}", r.reason);
    assert_eq!(
        r.reason,
        "running kernel 6.5.0-14-generic is the newest installed"
    );
    assert!(r.packages.is_empty());
}

#[test]
fn in_place_debian_kernel_upgrade_means_yes() {
    let h = host(
        Some("6.1.0-18-amd64"),
        Some("#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"),
    );
    let pkgs = [pkg("linux-image-6.1.0-18-amd64", "6.1.76-2", "installed")];
    let r = reboot_required(&h.dirs, Ok(&pkgs));
    assert_eq!(r.state, TriState::Yes);
    assert_eq!(
        r.reason,
        "kernel package linux-image-6.1.0-18-amd64 upgraded from 6.1.76-1 to 6.1.76-2 since boot"
    );
    let same = [pkg("linux-image-6.1.0-18-amd64", "6.1.76-1", "installed")];
    assert_eq!(reboot_required(&h.dirs, Ok(&same)).state, TriState::No);
}

#[test]
fn unknown_without_matching_kernel_package_or_osrelease() {
    let h = host(Some("6.18.44-fc-v782"), None);
    let pkgs = [pkg("linux-image-6.1.0-21-amd64", "6.1.90-1", "installed")];
    let r = reboot_required(&h.dirs, Ok(&pkgs));
    assert_eq!(r.state, TriState::Unknown);
    assert!(r
        .reason
        .contains("no installed linux-image package matches the running kernel 6.18.44-fc-v782"));
    // The running kernel's package only as config-files does not count as installed.
    let h2 = host(Some("6.1.0-21-amd64"), None);
    let removed = [pkg("linux-image-6.1.0-21-amd64", "6.1.90-1", "config-files")];
    assert_eq!(reboot_required(&h2.dirs, Ok(&removed)).state, TriState::Unknown);
    let h3 = host(None, None);
    let r = reboot_required(&h3.dirs, Ok(&pkgs));
    assert_eq!(r.state, TriState::Unknown);
    assert!(
        r.reason.starts_with("cannot read ") && r.reason.contains("osrelease"),
        "{}",
        r.reason
    );
    let r = reboot_required(&h2.dirs, Err("status: gone".into()));
    assert_eq!(
        (r.state, r.reason.as_str()),
        (TriState::Unknown, "cannot read the dpkg database: status: gone")
    );
}

#[test]
fn kernel_names_and_flavours() {
    assert_eq!(
        kernel_release("linux-image-6.1.0-18-amd64"),
        Some("6.1.0-18-amd64")
    );
    assert_eq!(
        kernel_release("linux-image-6.1.0-18-amd64-unsigned"),
        Some("6.1.0-18-amd64")
    );
    assert_eq!(
        kernel_release("linux-image-unsigned-6.5.0-14-generic"),
        Some("6.5.0-14-generic")
    );
    assert_eq!(kernel_release("linux-image-amd64"), None);
    assert_eq!(kernel_release("linux-image-cloud-amd64"), None);
    assert_eq!(kernel_release("linux-image-6.1.0-18-amd64-dbg"), None);
    assert_eq!(kernel_release("linux-headers-6.1.0-18-amd64"), None);
    assert_eq!(flavour("6.1.0-18-amd64"), "amd64");
    assert_eq!(flavour("6.1.0-18-cloud-amd64"), "cloud-amd64");
    assert_eq!(flavour("6.1.0-0.deb11.13-amd64"), "amd64");
    assert_eq!(flavour("6.5.0-14-generic"), "generic");
}
