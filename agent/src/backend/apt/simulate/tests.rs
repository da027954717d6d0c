//! Unit tests of `Inst` line parsing and security classification on real apt output.

use super::{is_security, parse_inst, parse_simulation};
use linux_patch_shared::api::agent::PatchOrigin;

fn origin(o: &str, v: Option<&str>, s: Option<&str>) -> PatchOrigin {
    PatchOrigin {
        origin: o.into(),
        version: v.map(Into::into),
        suite: s.map(Into::into),
    }
}

#[test]
fn debian_point_release_plus_security() {
    let p = parse_inst(
        "Inst openssl [3.0.11-1~deb12u2] (3.0.13-1~deb12u1 Debian:12.5/stable, \
         Debian-Security:12/stable-security [amd64])",
    )
    .unwrap();
    assert_eq!(p.name, "openssl");
    assert_eq!(p.architecture, "amd64");
    assert_eq!(p.installed_version.as_deref(), Some("3.0.11-1~deb12u2"));
    assert_eq!(p.candidate_version, "3.0.13-1~deb12u1");
    assert_eq!(
        p.repository,
        "Debian:12.5/stable, Debian-Security:12/stable-security"
    );
    assert_eq!(
        p.origins,
        vec![
            origin("Debian", Some("12.5"), Some("stable")),
            origin("Debian-Security", Some("12"), Some("stable-security")),
        ]
    );
    assert!(p.security);
    assert_eq!(p.security_source, "origin");
    assert_eq!(p.severity, None);
    assert!(p.cves.is_empty());
}

#[test]
fn debian_point_release_only_is_not_security() {
    let p = parse_inst("Inst base-files [12.4+deb12u5] (12.4+deb12u6 Debian:12.6/stable [amd64])").unwrap();
    assert!(!p.security);
    assert_eq!(p.origins, vec![origin("Debian", Some("12.6"), Some("stable"))]);
}

#[test]
fn ubuntu_updates_security_and_esm() {
    let p = parse_inst(
        "Inst libssl3 [3.0.2-0ubuntu1.10] (3.0.2-0ubuntu1.15 Ubuntu:22.04/jammy-updates, \
         Ubuntu:22.04/jammy-security [amd64])",
    )
    .unwrap();
    assert!(p.security);
    assert_eq!(
        p.origins[1],
        origin("Ubuntu", Some("22.04"), Some("jammy-security"))
    );
    let apps = parse_inst(
        "Inst libavcodec58 [7:4.4.2-0ubuntu0.22.04.1] (7:4.4.2-0ubuntu0.22.04.1+esm4 \
         UbuntuESMApps:22.04/jammy-apps-security [amd64])",
    )
    .unwrap();
    assert!(apps.security);
    assert_eq!(
        apps.installed_version.as_deref(),
        Some("7:4.4.2-0ubuntu0.22.04.1")
    );
    assert_eq!(apps.candidate_version, "7:4.4.2-0ubuntu0.22.04.1+esm4");
    let infra = parse_inst(
        "Inst libx11-6 [2:1.7.5-1] (2:1.7.5-1ubuntu0.3+esm1 UbuntuESM:22.04/jammy-infra-security [amd64])",
    )
    .unwrap();
    assert!(infra.security);
    assert_eq!(infra.origins[0].origin, "UbuntuESM");
    let upd = parse_inst(
        "Inst tzdata [2024a-0ubuntu0.22.04] (2024a-0ubuntu0.22.04.1 Ubuntu:22.04/jammy-updates [all])",
    )
    .unwrap();
    assert!(!upd.security);
    assert_eq!(upd.architecture, "all");
}

#[test]
fn new_package_arch_qualified_and_trailing_markers() {
    let p = parse_inst("Inst linux-image-6.1.0-21-amd64 (6.1.90-1 Debian:12.6/stable [amd64])").unwrap();
    assert_eq!(p.name, "linux-image-6.1.0-21-amd64");
    assert_eq!(p.installed_version, None);
    assert_eq!(p.candidate_version, "6.1.90-1");
    let p = parse_inst(
        "Inst libc6:i386 [2.36-9+deb12u4] (2.36-9+deb12u7 Debian:12.6/stable [i386]) [libc6:amd64 ]",
    )
    .unwrap();
    assert_eq!((p.name.as_str(), p.architecture.as_str()), ("libc6", "i386"));
    assert_eq!(p.repository, "Debian:12.6/stable");
    let p = parse_inst(
        "Inst libssl3 [3.0.11-1~deb12u2] (3.0.13-1~deb12u1 Debian-Security:12/stable-security [amd64]) []",
    )
    .unwrap();
    assert!(p.security);
}

#[test]
fn flat_repos_labels_with_spaces_and_no_release() {
    // What our test repositories print (Release with Label and Suite, no Version).
    let p = parse_inst("Inst pmtest-lib [1.0] (1.0.1 pmtest-Security:pmtest-security [all])").unwrap();
    assert_eq!(
        p.origins,
        vec![origin("pmtest-Security", None, Some("pmtest-security"))]
    );
    assert!(p.security);
    let p = parse_inst("Inst pmtest-hello [1.0] (1.1 pmtest:pmtest-updates [all])").unwrap();
    assert_eq!(p.origins, vec![origin("pmtest", None, Some("pmtest-updates"))]);
    assert!(!p.security);
    let p = parse_inst(
        "Inst python3.12 [3.12.1-1+jammy1] (3.12.3-1+jammy1 New Python Versions:22.04/jammy [amd64])",
    )
    .unwrap();
    assert_eq!(
        p.origins,
        vec![origin("New Python Versions", Some("22.04"), Some("jammy"))]
    );
    let p = parse_inst("Inst foo [1.0] (1.1 localhost [amd64])").unwrap();
    assert_eq!(p.origins, vec![origin("localhost", None, None)]);
    assert!(!p.security);
    let p = parse_inst("Inst foo [1.0] (1.1 12/stable-security [amd64])").unwrap();
    assert_eq!(p.origins, vec![origin("", Some("12"), Some("stable-security"))]);
    assert!(p.security);
}

#[test]
fn rejects_what_is_not_an_inst_line() {
    for l in [
        "Conf pmtest-hello (1.1 pmtest:pmtest-updates [all])",
        "Remv pmtest-app [1.0]",
        "Inst",
        "Inst foo",
        "Inst foo [1.0] 1.1",
        "Inst foo [1.0 (1.1 x [all])",
        "Inst foo [1.0] (1.1 x [all]",
        "Inst foo [1.0] (1.1 x)",
        " Inst foo [1.0] (1.1 x [all])",
    ] {
        assert_eq!(parse_inst(l), None, "{l}");
    }
}

#[test]
fn whole_simulation_keeps_only_inst_lines_sorted() {
    let out = "Reading package lists...\nBuilding dependency tree...\nReading state information...\n\
Calculating upgrade...\nThe following packages will be upgraded:\n  pmtest-hello pmtest-lib\n\
2 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n\
Inst pmtest-lib [1.0] (1.0.1 pmtest-Security:pmtest-security [all])\n\
Inst pmtest-hello [1.0] (1.1 pmtest:pmtest-updates [all])\n\
Conf pmtest-hello (1.1 pmtest:pmtest-updates [all])\n\
Conf pmtest-lib (1.0.1 pmtest-Security:pmtest-security [all])\n";
    let p = parse_simulation(out);
    let got: Vec<(&str, Option<&str>, &str, bool)> = p
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.installed_version.as_deref(),
                p.candidate_version.as_str(),
                p.security,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("pmtest-hello", Some("1.0"), "1.1", false),
            ("pmtest-lib", Some("1.0"), "1.0.1", true)
        ]
    );
}

#[test]
fn security_classification_rules() {
    assert!(is_security(&origin(
        "Debian-Security",
        Some("12"),
        Some("stable-security")
    )));
    assert!(is_security(&origin(
        "Debian-Security",
        Some("10"),
        Some("oldoldstable")
    )));
    assert!(is_security(&origin(
        "Ubuntu",
        Some("24.04"),
        Some("noble-security")
    )));
    assert!(is_security(&origin(
        "UbuntuESM",
        Some("20.04"),
        Some("focal-infra-security")
    )));
    assert!(!is_security(&origin(
        "Ubuntu",
        Some("24.04"),
        Some("noble-updates")
    )));
    assert!(!is_security(&origin("Debian", Some("12.5"), Some("stable"))));
    assert!(!is_security(&origin("Debian", None, Some("stable-securityish"))));
    assert!(!is_security(&origin("localhost", None, None)));
}

#[test]
fn ubuntu_phased_updates_are_deferred_not_failures() {
    // apt 2.4 on Ubuntu 22.04 with a phased update: the deferred package has no Inst line and the
    // simulation still succeeds; only what apt would install now is a pending patch.
    let out = "Reading package lists...\nBuilding dependency tree...\nReading state information...\n\
Calculating upgrade...\n\
The following upgrades have been deferred due to phasing:\n  ubuntu-advantage-tools\n\
The following packages will be upgraded:\n  openssl\n\
1 upgraded, 0 newly installed, 0 to remove and 1 not upgraded.\n\
Inst openssl [3.0.2-0ubuntu1.14] (3.0.2-0ubuntu1.15 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])\n\
Conf openssl (3.0.2-0ubuntu1.15 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])\n";
    let patches = parse_simulation(out);
    assert_eq!(patches.len(), 1, "{patches:?}");
    assert_eq!(patches[0].name, "openssl");
    assert!(patches[0].security);
    assert!(!patches.iter().any(|p| p.name == "ubuntu-advantage-tools"));
}
