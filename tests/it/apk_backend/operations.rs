//! Each changing operation on the fake: the exact apk command lines (from the fake's log), the state
//! they leave (`apk info -v`, the world file), progress, and the failures apk does not report by its
//! exit code (those, and the time limit, in `failures`).

use super::{backend, backend_with, change_argv, exec, exec_err, host_apk, s, spec};
use linux_patch_api::backend::{Operation, PackageBackend, RunError};
use linux_patch_tests::apk::{apk_sandbox, fake_apk, pmtest_repo, ApkVersion, RepoPackage};

const BASE: [&str; 3] = ["pmtest-app=1.0-r0", "pmtest-hello=1.0-r0", "pmtest-lib=1.0-r0"];

#[test]
fn update_downgrade_and_restore_leave_nothing_pinned() {
    let host = host_apk();
    for version in [ApkVersion::V2, ApkVersion::V3] {
        let f = apk_sandbox(version);
        let b = backend(&f);
        let rec = exec(
            &b,
            Operation::Update {
                package: spec("pmtest-hello", None),
                allow_downgrade: false,
            },
        );
        assert_eq!(f.take_argv(), [change_argv(&["add", "-u", "--", "pmtest-hello"])]);
        assert_eq!(
            f.installed(),
            ["pmtest-app=1.0-r0", "pmtest-hello=1.1-r0", "pmtest-lib=1.0-r0"]
        );
        assert_eq!(
            f.world(),
            ["pmtest-app", "pmtest-hello"],
            "apk add -u replaced the pin"
        );
        assert!(
            rec.has("(1/1) Upgrading pmtest-hello (1.0-r0 -> 1.1-r0)"),
            "{:?}",
            rec.lines
        );
        assert!(rec.has("linux-patch-api: apk add -u -- pmtest-hello"));
        rec.assert_progress();
        assert!(
            rec.percents.iter().any(|p| p.1 == "upgrading pmtest-hello"),
            "{:?}",
            rec.percents
        );

        let down = |allow_downgrade| Operation::Update {
            package: spec("pmtest-hello", Some("1.0-r0")),
            allow_downgrade,
        };
        let (e, _) = exec_err(&b, down(false));
        assert!(
            matches!(&e, RunError::Failed { exit_code: None, message, .. }
            if message.contains("would downgrade the installed 1.1-r0")),
            "{e:?}"
        );
        assert!(f.take_argv().is_empty(), "refused before apk runs");
        exec(&b, down(true));
        assert_eq!(
            f.take_argv(),
            [
                change_argv(&["add", "-u", "--", "pmtest-hello=1.0-r0"]),
                change_argv(&["add", "--", "pmtest-hello"]),
            ]
        );
        assert_eq!(f.installed(), BASE);
        assert_eq!(
            f.world(),
            ["pmtest-app", "pmtest-hello"],
            "unpinned after the pinned add"
        );

        // Rollback of an upgrade: add name=oldversion (pins), then unpin; apply-all then upgrades it.
        exec(
            &b,
            Operation::Update {
                package: spec("pmtest-hello", None),
                allow_downgrade: false,
            },
        );
        f.take_argv();
        let rec = exec(
            &b,
            Operation::Restore {
                install: vec![spec("pmtest-hello", Some("1.0-r0"))],
                remove: vec![],
                purge: false,
            },
        );
        assert_eq!(
            f.take_argv(),
            [
                change_argv(&["add", "--", "pmtest-hello=1.0-r0"]),
                change_argv(&["add", "--", "pmtest-hello"]),
            ]
        );
        assert!(rec.has("(1/1) Downgrading pmtest-hello (1.1-r0 -> 1.0-r0)"));
        rec.assert_progress();
        assert_eq!(f.installed(), BASE);
        assert_eq!(f.world(), ["pmtest-app", "pmtest-hello"]);
        let all = || Operation::Upgrade {
            packages: vec![],
            security_only: false,
        };
        exec(&b, all());
        assert_eq!(f.take_argv(), [change_argv(&["upgrade"])]);
        assert_eq!(f.installed()[1], "pmtest-hello=1.1-r0");
    }
    assert_eq!(host_apk(), host);
}

#[test]
fn apply_all_leaves_a_pinned_package_and_listed_upgrades_use_add_u() {
    let f = apk_sandbox(ApkVersion::V2);
    let b = backend(&f);
    let all = Operation::Upgrade {
        packages: vec![],
        security_only: false,
    };
    exec(&b, all.clone());
    assert_eq!(f.take_argv(), [change_argv(&["upgrade"])]);
    assert_eq!(
        f.installed(),
        BASE,
        "pmtest-hello=1.0-r0 is pinned in world (block 7)"
    );
    let listed = Operation::Upgrade {
        packages: s(&["pmtest-hello"]),
        security_only: false,
    };
    exec(&b, listed);
    assert_eq!(f.take_argv(), [change_argv(&["add", "-u", "--", "pmtest-hello"])]);
    assert_eq!(f.installed()[1], "pmtest-hello=1.1-r0");
    let missing = Operation::Upgrade {
        packages: s(&["pmtest-new"]),
        security_only: false,
    };
    let (e, _) = exec_err(&b, missing);
    assert!(e.to_string().contains("pmtest-new is not installed"), "{e}");
    assert!(f.take_argv().is_empty());
}

#[test]
fn security_only_upgrades_exactly_the_secdb_flagged_packages() {
    let f = apk_sandbox(ApkVersion::V3);
    let mut repo = pmtest_repo();
    repo.push(RepoPackage::new("pmtest-lib", "1.0.1-r0"));
    f.publish(&repo);
    f.apk_ok(&["add", "pmtest-hello"]);
    let secdb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/apk/secdb.json");
    let b = backend_with(&f, &[("LINUX_PATCH_API_APK_SECDB", &secdb.display().to_string())]);
    let ups = b.upgrades().unwrap();
    let flags: Vec<(String, bool)> = ups.iter().map(|u| (u.name.clone(), u.security)).collect();
    assert_eq!(
        flags,
        [("pmtest-hello".into(), true), ("pmtest-lib".into(), false)]
    );
    f.take_argv();
    exec(
        &b,
        Operation::Upgrade {
            packages: vec![],
            security_only: true,
        },
    );
    assert_eq!(f.take_argv(), [change_argv(&["add", "-u", "--", "pmtest-hello"])]);
    assert_eq!(
        f.installed(),
        ["pmtest-app=1.0-r0", "pmtest-hello=1.1-r0", "pmtest-lib=1.0-r0"]
    );
    let rec = exec(
        &b,
        Operation::Upgrade {
            packages: vec![],
            security_only: true,
        },
    );
    assert!(
        rec.has("linux-patch-api: no security updates pending"),
        "{:?}",
        rec.lines
    );
    assert_eq!(
        f.take_argv(),
        [s(&[
            "--root",
            "$ROOT",
            "--allow-untrusted",
            "list",
            "--upgradable"
        ])]
    );
}

#[test]
fn install_remove_and_restore_of_additions() {
    let f = fake_apk(ApkVersion::V2);
    f.apk_ok(&["add", "pmtest-hello"]);
    let b = backend(&f);
    let rec = exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-hello", Some("1.0-r0")), spec("pmtest-app", None)],
        },
    );
    assert_eq!(
        f.take_argv(),
        [
            change_argv(&["add", "--", "pmtest-hello=1.0-r0", "pmtest-app"]),
            change_argv(&["add", "--", "pmtest-hello"]),
        ]
    );
    assert_eq!(
        f.installed(),
        BASE,
        "pinned version installed, dependency pulled in"
    );
    assert_eq!(f.world(), ["pmtest-app", "pmtest-hello"]);
    for line in [
        "(1/3) Installing pmtest-lib (1.0-r0)",
        "(2/3) Installing pmtest-app (1.0-r0)",
        "(3/3) Downgrading pmtest-hello (1.1-r0 -> 1.0-r0)",
    ] {
        assert!(rec.has(line), "{line}: {:?}", rec.lines);
    }
    rec.assert_progress();
    let mid: Vec<u8> = rec
        .percents
        .iter()
        .map(|p| p.0)
        .filter(|p| (1..100).contains(p))
        .collect();
    assert!(!mid.is_empty(), "{:?}", rec.percents);

    // Undo the addition: remove what the install added.
    exec(
        &b,
        Operation::Restore {
            install: vec![spec("pmtest-hello", Some("1.1-r0"))],
            remove: s(&["pmtest-app", "pmtest-lib"]),
            purge: false,
        },
    );
    assert_eq!(
        f.take_argv(),
        [
            change_argv(&["add", "--", "pmtest-hello=1.1-r0"]),
            change_argv(&["add", "--", "pmtest-hello"]),
            change_argv(&["del", "--", "pmtest-app", "pmtest-lib"]),
        ]
    );
    assert_eq!(f.installed(), ["pmtest-hello=1.1-r0"]);
    assert_eq!(f.world(), ["pmtest-hello"]);

    exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-app", None)],
        },
    );
    f.take_argv();
    exec(
        &b,
        Operation::Remove {
            name: "pmtest-app".into(),
            purge: true,
        },
    );
    assert_eq!(
        f.take_argv(),
        [change_argv(&["del", "--purge", "--", "pmtest-app"])]
    );
    assert_eq!(
        f.installed(),
        ["pmtest-hello=1.1-r0"],
        "the dependency went too (block 11)"
    );
    let (e, _) = exec_err(
        &b,
        Operation::Remove {
            name: "pmtest-app".into(),
            purge: false,
        },
    );
    assert!(e.to_string().contains("pmtest-app is not installed"), "{e}");
    let (e, _) = exec_err(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-nosuch", None)],
        },
    );
    match e {
        RunError::Failed { exit_code: Some(1), message, fetch_error: false } => assert_eq!(
            message,
            "ERROR: unable to select packages: pmtest-nosuch (no such package): required by: world[pmtest-nosuch]"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(f.installed(), ["pmtest-hello=1.1-r0"]);
}
