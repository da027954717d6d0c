//! The read side: the listing equals `pacman -Q`, upgrades equal what `-Su` would do, security data from a
//! fake arch-audit (or `unknown`), reboot-required from the kernel package, caches that follow changes.

use super::{backend, base, host_unchanged, s, state};
use linux_patch_api::backend::pacman::{PacmanBackend, ARCH_AUDIT_ENV};
use linux_patch_api::backend::{CommandEnv, PackageBackend};
use linux_patch_shared::api::agent::{Package, Patch, PatchOrigin, TriState};
use linux_patch_tests::pacman::pacman_sandbox;
use std::sync::Arc;

fn find<'a>(pkgs: &'a [Package], name: &str) -> &'a Package {
    pkgs.iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not listed in {pkgs:?}"))
}

fn summary(p: &[Patch]) -> Vec<(String, Option<String>, String, bool, String)> {
    p.iter()
        .map(|p| {
            (
                p.name.clone(),
                p.installed_version.clone(),
                p.candidate_version.clone(),
                p.security,
                p.security_source.clone(),
            )
        })
        .collect()
}

fn marks(pkgs: &[Package], n: &str) -> (Option<bool>, Option<String>) {
    let p = find(pkgs, n);
    (p.upgradable, p.candidate_version.clone())
}

#[test]
fn lists_like_pacman_q_and_follows_changes() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        eprintln!("pacman sandbox created in {:?}", sb.created_in());
        let b = backend(&sb);
        assert_eq!(b.name(), "pacman");
        let installed = b.installed().unwrap();
        let listed: Vec<(String, String)> = installed
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        assert_eq!(listed, sb.pacman_q(), "the listing is exactly pacman -Q");
        assert_eq!(state(&sb, &b), base());
        let lib = find(&installed, "pmtest-lib");
        assert_eq!(
            (lib.architecture.as_str(), lib.status.as_str()),
            ("any", "installed")
        );
        assert_eq!(lib.summary.as_deref(), Some("pm test package pmtest-lib 1.0-1"));
        assert_eq!(
            (lib.installed_size_kib, lib.source.clone(), lib.section.clone()),
            (Some(1), None, None)
        );

        let ups = b.upgrades().unwrap();
        let unknown = || "unknown".to_string();
        assert_eq!(
            summary(&ups),
            vec![
                (
                    "linux".into(),
                    Some("6.1.0.arch1-1".into()),
                    "6.2.0.arch1-1".into(),
                    false,
                    unknown()
                ),
                (
                    "pmtest-hello".into(),
                    Some("1.0-1".into()),
                    "1.1-1".into(),
                    false,
                    unknown()
                ),
                (
                    "pmtest-lib".into(),
                    Some("1.0-1".into()),
                    "1.0.1-1".into(),
                    false,
                    unknown()
                ),
            ],
            "what pacman -Su would do; without arch-audit nothing is known about security"
        );
        assert_eq!(
            (ups[1].architecture.as_str(), ups[1].repository.as_str()),
            ("any", "pmtest")
        );
        assert_eq!(
            ups[1].origins,
            vec![PatchOrigin {
                origin: "pmtest".into(),
                version: None,
                suite: None
            }]
        );
        assert_eq!(
            marks(&installed, "pmtest-hello"),
            (Some(true), Some("1.1-1".into()))
        );
        assert_eq!(marks(&installed, "pmtest-app"), (Some(false), None));

        // Nothing changed: both answers come from the caches (same allocation, no new pacman run).
        assert!(Arc::ptr_eq(&ups, &b.upgrades().unwrap()));
        assert!(Arc::ptr_eq(&installed, &b.installed().unwrap()));

        // A change made by pacman behind the backend's back invalidates both caches.
        sb.pacman(&["-S", "pmtest-hello"]);
        let after = b.installed().unwrap();
        assert_eq!(find(&after, "pmtest-hello").version, "1.1-1");
        assert_eq!(marks(&after, "pmtest-hello"), (Some(false), None));
        assert_eq!(
            state(&sb, &b),
            s(&[
                "linux=6.1.0.arch1-1",
                "pmtest-app=1.0-1",
                "pmtest-hello=1.1-1",
                "pmtest-lib=1.0-1"
            ])
        );
        let names: Vec<String> = b.upgrades().unwrap().iter().map(|p| p.name.clone()).collect();
        assert_eq!(names, ["linux", "pmtest-lib"]);
        assert!(b.last_change().is_some());
    });
}

#[test]
fn security_data_comes_from_arch_audit() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        // Recorded real-format lines (arch-audit --upgradable --format '%n|%v|%s|%c'): pmtest-lib is fixed by
        // the pending 1.0.1-1; pmtest-hello's fix 1.2-1 is not in the repository yet; pmtest-app has no update.
        let fake = sb.fake_arch_audit(
            &[
                "pmtest-lib|1.0.1-1|High risk|CVE-2024-12345, CVE-2024-23456",
                "pmtest-hello|1.2-1|Critical risk|CVE-2024-34567",
                "pmtest-app|1.1-1|Low risk|CVE-2024-45678",
            ],
            0,
        );
        let mut env = sb.command_env();
        env.env.insert(ARCH_AUDIT_ENV.into(), fake.display().to_string());
        let b = PacmanBackend::new(env.clone()).unwrap();
        let ups = b.upgrades().unwrap();
        let by = |n: &str| ups.iter().find(|p| p.name == n).unwrap().clone();
        let lib = by("pmtest-lib");
        assert_eq!(
            (
                lib.security,
                lib.severity.as_deref(),
                lib.security_source.as_str()
            ),
            (true, Some("important"), "arch-audit")
        );
        assert_eq!(lib.cves, vec!["CVE-2024-12345", "CVE-2024-23456"]);
        let hello = by("pmtest-hello");
        assert_eq!(
            (
                hello.security,
                hello.severity.clone(),
                hello.cves.len(),
                hello.security_source.as_str()
            ),
            (false, None, 0, "arch-audit"),
            "the candidate does not reach the fixed version"
        );
        assert_eq!(by("linux").security_source, "arch-audit");
        assert_eq!(
            sb.arch_audit_calls().len(),
            1,
            "called once, with this sandbox's DBPath (the fake checks its arguments)"
        );
        b.upgrades().unwrap();
        assert_eq!(
            sb.arch_audit_calls().len(),
            1,
            "cached while the databases are unchanged"
        );

        // arch-audit failing (no network for the tracker data): security unknown, upgrades still listed.
        let failing = sb.fake_arch_audit(&["Cannot fetch data from https://security.archlinux.org"], 1);
        env.env
            .insert(ARCH_AUDIT_ENV.into(), failing.display().to_string());
        let ups = PacmanBackend::new(env).unwrap().upgrades().unwrap();
        assert_eq!(ups.len(), 3);
        assert!(
            ups.iter().all(|p| !p.security && p.security_source == "unknown"),
            "{ups:?}"
        );
    });
}

#[test]
fn reboot_required_compares_the_running_kernel_with_the_installed_one() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        let with = |osrelease: Option<&str>| {
            backend(&sb)
                .with_proc_dir(sb.proc_dir(osrelease))
                .reboot_required()
        };
        let r = with(Some("6.1.0-arch1-1"));
        assert_eq!(r.state, TriState::No, "{r:?}");
        assert!(r.reason.contains("linux 6.1.0.arch1-1"), "{r:?}");
        let r = with(None);
        assert_eq!(r.state, TriState::Unknown, "{r:?}");
        assert!(r.reason.contains("osrelease"), "{r:?}");

        sb.pacman(&["-S", "linux"]);
        assert!(
            !sb.root().join("usr/lib/modules/6.1.0-arch1-1").exists(),
            "pacman removed the old modules"
        );
        let r = with(Some("6.1.0-arch1-1"));
        assert_eq!(r.state, TriState::Yes, "{r:?}");
        assert_eq!(r.packages, vec!["linux"]);
        assert!(r.reason.contains("6.2.0-arch1-1"), "{r:?}");
        assert_eq!(with(Some("6.2.0-arch1-1")).state, TriState::No);

        sb.pacman(&["-R", "linux"]);
        let r = with(Some("6.2.0-arch1-1"));
        assert_eq!(r.state, TriState::Unknown, "no kernel package: {r:?}");
    });
}

#[test]
fn construction_needs_a_pacman_database_and_names_are_validated() {
    let sb = pacman_sandbox();
    let b = backend(&sb);
    assert_eq!(b.paths().dbpath, sb.dbpath().join(""));
    assert_eq!(b.paths().cachedirs, vec![sb.cachedir().join("")]);
    assert_eq!(b.paths().root, sb.root().to_path_buf());
    assert_eq!(b.validate_name("pmtest-hello"), Ok(()));
    assert!(b.validate_name("--config=/etc/shadow").is_err());
    assert!(b.validate_name("foo;rm").is_err());
    assert!(b.validate_version("1.0-1").is_ok() && b.validate_version("1.0;x").is_err());
    // Without a sync database the upgrade list is an error (not "no updates"); the listing stands.
    std::fs::remove_file(sb.dbpath().join("sync/pmtest.db")).unwrap();
    let shared: linux_patch_api::backend::SharedBackend = Arc::new(backend(&sb));
    let e = shared.upgrades().unwrap_err().to_string();
    assert!(e.contains("[pmtest]") && e.contains("pacman -Syy"), "{e}");
    let listed = shared.installed().unwrap();
    assert_eq!(listed.len(), 4);
    assert!(listed
        .iter()
        .all(|p| p.upgradable.is_none() && p.candidate_version.is_none()));
    let e = PacmanBackend::new(CommandEnv {
        env: sb.env(),
        extra_args: s(&[
            "--config",
            &sb.config().display().to_string(),
            "--dbpath",
            "/nonexistent/db",
        ]),
    })
    .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/db/local"), "{e}");
}
