//! Listing, upgrades with updateinfo security data, caching, changes made behind the backend's back, and
//! reboot detection, against real dnf and rpm.

use super::{backend, base_with};
use linux_patch_api::backend::PackageBackend;
use linux_patch_shared::api::agent::{Package, Patch, TriState};
use linux_patch_tests::dnf::{dnf_sandbox, host_rpm_fingerprint, BASE};
use std::cmp::Ordering;
use std::sync::Arc;

fn find<'a>(pkgs: &'a [Package], name: &str) -> &'a Package {
    pkgs.iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not listed in {pkgs:?}"))
}

/// One line per patch: `name installed->candidate security severity [cves] source repository`.
fn rows(p: &[Patch]) -> Vec<String> {
    p.iter()
        .map(|p| {
            format!(
                "{} {}->{} {} {} [{}] {} {}",
                p.name,
                p.installed_version.as_deref().unwrap_or("-"),
                p.candidate_version,
                p.security,
                p.severity.as_deref().unwrap_or("-"),
                p.cves.join(" "),
                p.security_source,
                p.repository
            )
        })
        .collect()
}

#[test]
fn lists_classifies_follows_changes_and_detects_reboots() {
    let host = host_rpm_fingerprint();
    let sb = dnf_sandbox();
    eprintln!("dnf sandbox created in {:?}", sb.created_in());
    let b = backend(&sb);
    assert_eq!(b.name(), "dnf");

    let installed = b.installed().unwrap();
    let mut triples: Vec<(String, String, String)> = installed
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.architecture.clone()))
        .collect();
    triples.sort();
    assert_eq!(triples, sb.rpm_qa_triples(), "the listing is rpm -qa");
    let mut nv: Vec<String> = installed
        .iter()
        .map(|p| format!("{}={}", p.name, p.version))
        .collect();
    nv.sort();
    assert_eq!(nv, BASE.to_vec());
    let lib = find(&installed, "pmtest-lib");
    assert_eq!(
        (
            lib.architecture.as_str(),
            lib.status.as_str(),
            lib.summary.as_deref()
        ),
        ("noarch", "installed", Some("pm test package pmtest-lib"))
    );
    assert_eq!((lib.section.clone(), lib.source.clone()), (None, None));
    assert!(lib.installed_size_kib.is_some_and(|k| k >= 1), "{lib:?}");
    assert_eq!(find(&installed, "pmtest-epoch").version, "1:1.0-1");

    let ups = b.upgrades().unwrap();
    assert_eq!(
        rows(&ups),
        vec![
            "pmtest-epoch 1:1.0-1->1:1.1-1 true critical [CVE-2024-20001 CVE-2024-20002] updateinfo pmtest",
            "pmtest-hello 1.0-1->1.1-1 true important [CVE-2024-12345] updateinfo pmtest",
            "pmtest-lib 1.0-1->1.0.1-1 false - [] updateinfo pmtest",
            "pmtest-tool 1.0-1->2.0-1 false - [] unknown pmtest-extras",
        ]
    );
    assert!(ups
        .iter()
        .all(|u| u.architecture == "noarch" && u.origins[0].origin == u.repository));

    let marks = |pkgs: &[Package], n: &str| {
        let p = find(pkgs, n);
        (p.upgradable, p.candidate_version.clone())
    };
    assert_eq!(
        marks(&installed, "pmtest-hello"),
        (Some(true), Some("1.1-1".into()))
    );
    assert_eq!(marks(&installed, "pmtest-app"), (Some(false), None));

    // Nothing changed: both answers come from the caches (same allocation, no new dnf run).
    assert!(Arc::ptr_eq(&ups, &b.upgrades().unwrap()));
    assert!(Arc::ptr_eq(&installed, &b.installed().unwrap()));

    // A change made by dnf behind the backend's back invalidates both.
    sb.dnf(&["upgrade", "pmtest-hello"]);
    let after = b.installed().unwrap();
    let mut nv: Vec<String> = after
        .iter()
        .map(|p| format!("{}={}", p.name, p.version))
        .collect();
    nv.sort();
    assert_eq!(nv, base_with(&["pmtest-hello=1.1-1"]));
    assert_eq!(nv, sb.rpm_qa());
    assert_eq!(marks(&after, "pmtest-hello"), (Some(false), None));
    let names: Vec<String> = b.upgrades().unwrap().iter().map(|u| u.name.clone()).collect();
    assert_eq!(names, vec!["pmtest-epoch", "pmtest-lib", "pmtest-tool"]);
    assert!(b.last_change().is_some());

    assert_eq!(b.compare_versions("1:1.0-1", "2.0-1"), Ordering::Greater);
    assert_eq!(b.compare_versions("1.0~rc1-1", "1.0-1"), Ordering::Less);

    // needs-restarting -r: nothing core updated since boot, then the fake dbus package.
    let r = b.reboot_required();
    assert_eq!(r.state, TriState::No, "{r:?}");
    assert!(r.reason.contains("needs-restarting"), "{r:?}");
    sb.dnf(&["install", "dbus"]);
    let r = b.reboot_required();
    assert_eq!(
        (r.state, r.packages.clone()),
        (TriState::Yes, vec!["dbus".to_string()]),
        "{r:?}"
    );

    sb.close().unwrap();
    assert_eq!(
        host_rpm_fingerprint(),
        host,
        "the host's rpm/dnf state must not change"
    );
}
