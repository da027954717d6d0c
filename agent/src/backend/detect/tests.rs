//! Detection on real os-release files of six distributions, with the package managers present or not.

use super::*;

const DEBIAN_12: &str = include_str!("fixtures/debian-12");
const UBUNTU_2204: &str = include_str!("fixtures/ubuntu-22.04");
const RHEL_9: &str = include_str!("fixtures/rhel-9");
const FEDORA_40: &str = include_str!("fixtures/fedora-40");
const ALPINE_320: &str = include_str!("fixtures/alpine-3.20");
const ARCH: &str = include_str!("fixtures/arch");
const ROCKY_9: &str = include_str!("fixtures/rocky-9");

/// A probe that finds exactly `present`.
fn only(present: &'static [&'static str]) -> impl Fn(&str) -> bool {
    move |p: &str| present.contains(&p)
}

/// Every package manager installed at once (a build machine like ours): os-release must decide.
const ALL: &[&str] = &["apt-get", "dpkg", "dnf", "yum", "rpm", "apk", "pacman"];

#[test]
fn os_release_decides_when_every_tool_is_present() {
    for (text, want) in [
        (DEBIAN_12, BackendKind::Apt),
        (UBUNTU_2204, BackendKind::Apt),
        (RHEL_9, BackendKind::Dnf),
        (FEDORA_40, BackendKind::Dnf),
        (ALPINE_320, BackendKind::Apk),
        (ARCH, BackendKind::Pacman),
        (ROCKY_9, BackendKind::Dnf),
    ] {
        assert_eq!(detect(text, &only(ALL)), Ok(want), "{text}");
    }
}

#[test]
fn each_distribution_with_only_its_own_tools() {
    assert_eq!(
        detect(DEBIAN_12, &only(&["apt-get", "dpkg"])),
        Ok(BackendKind::Apt)
    );
    assert_eq!(
        detect(UBUNTU_2204, &only(&["apt-get", "dpkg"])),
        Ok(BackendKind::Apt)
    );
    assert_eq!(detect(RHEL_9, &only(&["dnf", "rpm"])), Ok(BackendKind::Dnf));
    assert_eq!(detect(FEDORA_40, &only(&["dnf", "rpm"])), Ok(BackendKind::Dnf));
    assert_eq!(detect(ALPINE_320, &only(&["apk"])), Ok(BackendKind::Apk));
    assert_eq!(detect(ARCH, &only(&["pacman"])), Ok(BackendKind::Pacman));
}

#[test]
fn rpm_family_without_dnf_uses_yum() {
    assert_eq!(detect(RHEL_9, &only(&["yum", "rpm"])), Ok(BackendKind::Yum));
    assert_eq!(detect(ROCKY_9, &only(&["yum", "rpm"])), Ok(BackendKind::Yum));
}

#[test]
fn id_like_decides_for_derivatives() {
    let mint = "NAME=\"Linux Mint\"\nID=linuxmint\nID_LIKE=\"ubuntu debian\"\n";
    assert_eq!(detect(mint, &only(ALL)), Ok(BackendKind::Apt));
    let derivative = "ID=mydistro\nID_LIKE=\"rhel fedora\"\n";
    assert_eq!(detect(derivative, &only(ALL)), Ok(BackendKind::Dnf));
    let arch_like = "ID=somearch\nID_LIKE=arch\n";
    assert_eq!(detect(arch_like, &only(ALL)), Ok(BackendKind::Pacman));
    let (id, like) = os_ids(ROCKY_9);
    assert_eq!(id.as_deref(), Some("rocky"));
    assert_eq!(like, ["rhel", "centos", "fedora"]);
}

#[test]
fn unknown_distribution_falls_back_to_the_tools_in_a_fixed_order() {
    let unknown = "ID=gentoo\nNAME=Gentoo\n";
    assert_eq!(detect(unknown, &only(&["pacman", "apk"])), Ok(BackendKind::Apk));
    assert_eq!(detect(unknown, &only(ALL)), Ok(BackendKind::Apt));
    assert_eq!(detect("", &only(&["yum", "rpm"])), Ok(BackendKind::Yum));
    // dpkg alone is not apt.
    assert_eq!(
        detect(unknown, &only(&["dpkg", "pacman"])),
        Ok(BackendKind::Pacman)
    );
}

#[test]
fn impossible_choices_are_clear_sentences() {
    let err = detect(DEBIAN_12, &only(&["dnf", "rpm"])).unwrap_err();
    assert!(err.contains("ID=debian"), "{err}");
    assert!(err.contains("Debian-family"), "{err}");
    assert!(err.contains("apt-get and dpkg were not found"), "{err}");
    assert!(err.contains("backend.kind"), "{err}");

    let err = detect(RHEL_9, &only(&["apt-get", "dpkg"])).unwrap_err();
    assert!(err.contains("ID=rhel, ID_LIKE=\"fedora\""), "{err}");
    assert!(
        err.contains("neither dnf nor yum (with rpm) was found in PATH"),
        "{err}"
    );

    let err = detect(ALPINE_320, &only(&[])).unwrap_err();
    assert!(err.contains("apk was not found"), "{err}");

    let err = detect("ID=gentoo\n", &only(&[])).unwrap_err();
    assert!(err.contains("ID=gentoo"), "{err}");
    assert!(
        err.contains("apt-get+dpkg, dnf+rpm, yum+rpm, apk, pacman"),
        "{err}"
    );

    let err = detect("", &only(&[])).unwrap_err();
    assert!(err.contains("no ID"), "{err}");
}

#[test]
fn an_explicit_kind_must_have_its_programs() {
    assert_eq!(
        check_available(BackendKind::Apt, &only(&["apt-get", "dpkg"])),
        Ok(())
    );
    assert_eq!(check_available(BackendKind::Simulated, &only(&[])), Ok(()));
    let err = check_available(BackendKind::Dnf, &only(&["rpm"])).unwrap_err();
    assert_eq!(
        err,
        "backend.kind is dnf but `dnf` was not found (looked in PATH and the sbin directories)"
    );
    let err = check_available(BackendKind::Apt, &only(&[])).unwrap_err();
    assert!(err.contains("`apt-get` and `dpkg` were not found"), "{err}");
}

#[test]
fn the_path_probe_finds_real_programs_only() {
    let probe = probe_path();
    assert!(probe.has("sh"), "sh must be found in {:?}", probe.dirs());
    assert!(!probe.has("surely-no-such-program-here"));
    assert!(probe.dirs().iter().any(|d| d == Path::new("/sbin")));
}
