//! Each changing operation in a sandbox against the real pacman: install (pinned from the cache, with a
//! dependency), update and downgrade, remove and purge, upgrade (all, listed, security-only), restore.

use super::{backend, base, exec, host_unchanged, refused, s, spec, state, LIMITS};
use linux_patch_api::backend::pacman::{PacmanBackend, ARCH_AUDIT_ENV};
use linux_patch_api::backend::{Operation, PackageBackend, RunError};
use linux_patch_tests::pacman::pacman_sandbox;

#[test]
fn install_pinned_from_the_cache_and_with_a_dependency() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        let b = backend(&sb);
        sb.pacman(&["-R", "pmtest-hello"]);
        let rec = exec(
            &b,
            Operation::Install {
                packages: vec![spec("pmtest-hello", Some("1.0-1")), spec("pmtest-new", None)],
            },
        );
        assert_eq!(
            state(&sb, &b),
            s(&[
                "linux=6.1.0.arch1-1",
                "pmtest-app=1.0-1",
                "pmtest-dep=1.0-1",
                "pmtest-hello=1.0-1",
                "pmtest-lib=1.0-1",
                "pmtest-new=1.0-1"
            ]),
            "hello at the pinned 1.0-1 (only in the cache; the repository has 1.1-1), new pulls dep"
        );
        assert!(
            rec.has("linux-patch-api: step 1 of 2: pacman -U"),
            "{:#?}",
            rec.lines
        );
        assert!(rec.has("installing pmtest-dep...") && rec.has("installing pmtest-hello..."));
        rec.assert_monotonic_to_done();
        assert!(
            rec.percents
                .iter()
                .any(|p| p.1 == "installing pmtest-new" && p.0 < 100),
            "{:?}",
            rec.percents
        );
        let hello = b
            .installed()
            .unwrap()
            .iter()
            .find(|p| p.name == "pmtest-hello")
            .cloned()
            .unwrap();
        assert_eq!(hello.candidate_version.as_deref(), Some("1.1-1"));

        // Again: everything is there, pacman is not even started.
        let rec = exec(
            &b,
            Operation::Install {
                packages: vec![spec("pmtest-hello", Some("1.0-1"))],
            },
        );
        assert!(rec.has("linux-patch-api: nothing to do"), "{:#?}", rec.lines);
        let m = refused(
            &b,
            Operation::Install {
                packages: vec![spec("pmtest-hello", Some("0.1-1"))],
            },
        );
        assert!(m.contains("would downgrade"), "{m}");
        let m = refused(
            &b,
            Operation::Install {
                packages: vec![spec("pmtest-dep", Some("9.9-1"))],
            },
        );
        assert!(m.contains("cannot be obtained"), "{m}");
        let m = refused(
            &b,
            Operation::Install {
                packages: vec![spec("-Syu", None)],
            },
        );
        assert!(m.contains("must not start"), "{m}");
    });
}

#[test]
fn update_upgrades_and_downgrades_from_the_cache() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        let b = backend(&sb);
        let update = |name: &str, v: Option<&str>, allow: bool| Operation::Update {
            package: spec(name, v),
            allow_downgrade: allow,
        };
        exec(&b, update("pmtest-hello", None, false));
        assert!(state(&sb, &b).contains(&"pmtest-hello=1.1-1".to_string()));
        let m = refused(&b, update("pmtest-hello", Some("1.0-1"), false));
        assert!(m.contains("set allow_downgrade"), "{m}");
        let rec = exec(&b, update("pmtest-hello", Some("1.0-1"), true));
        assert!(rec.has("downgrading pmtest-hello..."), "{:#?}", rec.lines);
        rec.assert_monotonic_to_done();
        assert_eq!(
            state(&sb, &b),
            base(),
            "back to 1.0-1 with -U from the package cache"
        );
        exec(&b, update("linux", Some("6.2.0.arch1-1"), false));
        assert!(state(&sb, &b).contains(&"linux=6.2.0.arch1-1".to_string()));
        let m = refused(&b, update("pmtest-new", None, false));
        assert!(m.contains("not installed"), "{m}");
    });
}

#[test]
fn remove_and_purge_and_a_failure_in_pacmans_words() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        let b = backend(&sb);
        let remove = |n: &str, purge: bool| Operation::Remove {
            name: n.into(),
            purge,
        };
        match b.execute(
            &remove("pmtest-lib", false),
            &LIMITS,
            &mut super::Recorder::default(),
        ) {
            Err(RunError::Failed {
                exit_code: Some(1),
                message,
                fetch_error: false,
            }) => {
                assert!(message.contains("breaks dependency"), "{message}")
            }
            other => panic!("want pacman's dependency error, got {other:?}"),
        }
        let rec = exec(&b, remove("pmtest-app", false));
        assert!(rec.has("removing pmtest-app..."));
        rec.assert_monotonic_to_done();
        exec(&b, remove("pmtest-lib", true));
        assert_eq!(state(&sb, &b), s(&["linux=6.1.0.arch1-1", "pmtest-hello=1.0-1"]));
        let m = refused(&b, remove("pmtest-lib", false));
        assert!(m.contains("not installed"), "{m}");
    });
}

#[test]
fn upgrades_security_only_listed_and_all() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        let b = backend(&sb);
        let upgrade = |p: &[&str], sec: bool| Operation::Upgrade {
            packages: s(p),
            security_only: sec,
        };
        let rec = exec(&b, upgrade(&[], true));
        assert!(
            rec.has("linux-patch-api: no security updates known: arch-audit is not installed"),
            "{:#?}",
            rec.lines
        );
        assert_eq!(state(&sb, &b), base(), "nothing changed");

        let fake = sb.fake_arch_audit(&["pmtest-lib|1.0.1-1|High risk|CVE-2024-12345"], 0);
        let mut env = sb.command_env();
        env.env.insert(ARCH_AUDIT_ENV.into(), fake.display().to_string());
        let audited = PacmanBackend::new(env).unwrap();
        exec(&audited, upgrade(&["pmtest-hello"], true));
        assert_eq!(
            state(&sb, &audited),
            base(),
            "pmtest-hello is not a security update"
        );
        let rec = exec(&audited, upgrade(&[], true));
        assert!(rec.has("upgrading pmtest-lib..."), "{:#?}", rec.lines);
        assert_eq!(
            state(&sb, &audited),
            s(&[
                "linux=6.1.0.arch1-1",
                "pmtest-app=1.0-1",
                "pmtest-hello=1.0-1",
                "pmtest-lib=1.0.1-1"
            ]),
            "only the flagged update"
        );
        let rec = exec(&audited, upgrade(&[], true));
        assert!(
            rec.has("linux-patch-api: no security updates known: arch-audit flags none"),
            "{:#?}",
            rec.lines
        );

        exec(&b, upgrade(&["pmtest-hello"], false));
        assert!(state(&sb, &b).contains(&"pmtest-hello=1.1-1".to_string()));
        let m = refused(&b, upgrade(&["pmtest-new"], false));
        assert!(m.contains("not installed"), "{m}");
        let rec = exec(&b, upgrade(&[], false));
        assert!(rec.has(":: Starting full system upgrade..."), "{:#?}", rec.lines);
        rec.assert_monotonic_to_done();
        assert_eq!(
            state(&sb, &b),
            s(&[
                "linux=6.2.0.arch1-1",
                "pmtest-app=1.0-1",
                "pmtest-hello=1.1-1",
                "pmtest-lib=1.0.1-1"
            ])
        );
        assert!(b.upgrades().unwrap().is_empty());
    });
}

#[test]
fn restore_returns_to_the_recorded_state() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        let b = backend(&sb);
        let before = state(&sb, &b);
        exec(
            &b,
            Operation::Upgrade {
                packages: vec![],
                security_only: false,
            },
        );
        exec(
            &b,
            Operation::Install {
                packages: vec![spec("pmtest-new", None)],
            },
        );
        exec(
            &b,
            Operation::Remove {
                name: "pmtest-app".into(),
                purge: false,
            },
        );
        assert_ne!(state(&sb, &b), before);
        let rec = exec(
            &b,
            Operation::Restore {
                install: base_specs(),
                remove: s(&["pmtest-new", "pmtest-dep"]),
                purge: false,
            },
        );
        assert!(
            rec.has("linux-patch-api: step 1 of 3: pacman -U"),
            "{:#?}",
            rec.lines
        );
        assert!(
            rec.has("linux-patch-api: step 3 of 3: pacman -R"),
            "{:#?}",
            rec.lines
        );
        assert!(
            rec.has("downgrading linux...") && rec.has("installing pmtest-app..."),
            "{:#?}",
            rec.lines
        );
        rec.assert_monotonic_to_done();
        assert_eq!(state(&sb, &b), before, "exactly the state before");
        assert!(sb.root().join("usr/lib/modules/6.1.0-arch1-1/vmlinuz").is_file());
    });
}

/// The sandbox's initial packages at their exact versions.
fn base_specs() -> Vec<linux_patch_api::backend::PackageSpec> {
    linux_patch_tests::pacman::BASE
        .iter()
        .map(|(n, v)| spec(n, Some(v)))
        .collect()
}
