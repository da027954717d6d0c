//! Each changing operation in a sandbox: install (pinned, with dependency), update and downgrade, remove
//! and purge, upgrade (all, listed, security-only), restore; progress and streaming; apt's lock.

use super::{backend, exec, host_status, refused, s, spec, state, Recorder, BASE, LIMITS};
use linux_patch_api::backend::apt::AptBackend;
use linux_patch_api::backend::{CommandEnv, Operation, PackageBackend, RunError, RunLimits};
use linux_patch_tests::apt::apt_sandbox;
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[test]
fn install_pinned_and_with_dependency_reports_progress() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    assert_eq!(state(&sb, &b), s(&BASE));
    let rec = exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-hello", Some("1.0")), spec("pmtest-new", None)],
        },
    );
    assert_eq!(
        state(&sb, &b),
        s(&[
            "pmtest-app=1.0",
            "pmtest-dep=1.0",
            "pmtest-hello=1.0",
            "pmtest-lib=1.0",
            "pmtest-new=1.0"
        ]),
        "hello stays at the pinned 1.0 although 1.1 is available; pmtest-new pulls pmtest-dep"
    );
    assert!(rec.has("Setting up pmtest-dep (1.0)") && rec.has("Setting up pmtest-new (1.0)"));
    let pcts: Vec<u8> = rec.percents.iter().map(|p| p.0).collect();
    assert!(pcts.windows(2).all(|w| w[0] <= w[1]), "monotonic: {pcts:?}");
    assert_eq!(rec.percents.first().map(|p| p.0), Some(0));
    assert_eq!(rec.percents.last(), Some(&(100, "done".to_string())));
    assert!(pcts.iter().any(|p| (1..100).contains(p)), "{pcts:?}");
    assert!(
        rec.percents.iter().any(|p| p.1 == "setting up pmtest-new"),
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
    assert_eq!(hello.candidate_version.as_deref(), Some("1.1"));
    assert_eq!(host_status(), host, "the host's dpkg status must not change");
}

#[test]
fn lines_stream_as_they_happen_and_the_dpkg_lock_is_waited_for() {
    let host = host_status();
    let sb = apt_sandbox();
    let (tx, rx) = mpsc::channel();
    let env = sb.env();
    let slow = std::thread::spawn(move || {
        let b = AptBackend::new(CommandEnv {
            env,
            extra_args: Vec::new(),
        })
        .unwrap();
        let mut rec = Recorder {
            signal: Some(("Setting up pmtest-slow".into(), tx)),
            ..Recorder::default()
        };
        let r = b.execute(
            &Operation::Install {
                packages: vec![spec("pmtest-slow", None)],
            },
            &LIMITS,
            &mut rec,
        );
        (r, rec, Instant::now())
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("pmtest-slow reaches its postinst");
    // Another backend (another process, as far as apt knows) meets apt's lock while the postinst sleeps.
    let other = backend(&sb);
    let hello = || Operation::Install {
        packages: vec![spec("pmtest-hello", Some("1.1"))],
    };
    let no_wait = RunLimits {
        lock_timeout: Duration::ZERO,
        ..LIMITS
    };
    match other.execute(&hello(), &no_wait, &mut Recorder::default()) {
        Err(RunError::Failed {
            exit_code: Some(100),
            message,
            fetch_error: false,
        }) => {
            assert!(message.contains("lock"), "{message}")
        }
        r => panic!("want a lock failure, got {r:?}"),
    }
    let t = Instant::now();
    exec(&other, hello());
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "waited for the lock: {:?}",
        t.elapsed()
    );
    let (r, rec, done) = slow.join().unwrap();
    r.unwrap();
    let setting_up = rec.at("Setting up pmtest-slow");
    assert!(
        done.duration_since(setting_up) >= Duration::from_secs(3),
        "the line arrived while the 4 s postinst ran, not at the end"
    );
    assert!(state(&sb, &backend(&sb)).contains(&"pmtest-hello=1.1".to_string()));
    assert_eq!(host_status(), host);
}

#[test]
fn update_one_and_downgrade_only_with_the_flag() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    let update = |v: Option<&str>, allow| Operation::Update {
        package: spec("pmtest-hello", v),
        allow_downgrade: allow,
    };
    exec(&b, update(None, false));
    assert_eq!(
        state(&sb, &b),
        s(&["pmtest-app=1.0", "pmtest-hello=1.1", "pmtest-lib=1.0"])
    );
    let m = refused(&b, update(Some("1.0"), false));
    assert!(m.contains("allow_downgrade") && m.contains("1.1"), "{m}");
    assert!(
        state(&sb, &b).contains(&"pmtest-hello=1.1".to_string()),
        "refused: nothing ran"
    );
    exec(&b, update(Some("1.0"), true));
    assert_eq!(state(&sb, &b), s(&BASE));
    let m = refused(
        &b,
        Operation::Update {
            package: spec("pmtest-new", None),
            allow_downgrade: false,
        },
    );
    assert!(m.contains("not installed"), "{m}");
    assert_eq!(host_status(), host);
}

#[test]
fn remove_keeps_configuration_and_purge_removes_it() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-conf", None)],
        },
    );
    let conf = sb.root().join("etc/pmtest-conf.conf");
    assert!(conf.is_file());
    exec(
        &b,
        Operation::Remove {
            name: "pmtest-conf".into(),
            purge: false,
        },
    );
    assert!(
        sb.status_abbrev().contains(&"pmtest-conf=rc".to_string()),
        "{:?}",
        sb.status_abbrev()
    );
    assert!(conf.is_file(), "remove keeps the configuration file");
    let listed = b.installed().unwrap();
    let conf_pkg = listed
        .iter()
        .find(|p| p.name == "pmtest-conf")
        .expect("config-files still listed");
    assert_eq!(conf_pkg.status, "config-files");
    exec(
        &b,
        Operation::Remove {
            name: "pmtest-conf".into(),
            purge: true,
        },
    );
    assert!(!conf.exists(), "purge removes it");
    assert!(!sb.status_abbrev().iter().any(|s| s.starts_with("pmtest-conf=")));
    assert!(!b.installed().unwrap().iter().any(|p| p.name == "pmtest-conf"));
    exec(
        &b,
        Operation::Remove {
            name: "pmtest-app".into(),
            purge: false,
        },
    );
    assert_eq!(state(&sb, &b), s(&["pmtest-hello=1.0", "pmtest-lib=1.0"]));
    assert_eq!(host_status(), host);
}

#[test]
fn upgrade_all_listed_and_security_only() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    let upgrade = |p: &[&str], security_only| Operation::Upgrade {
        packages: s(p),
        security_only,
    };
    exec(&b, upgrade(&[], true));
    assert_eq!(
        state(&sb, &b),
        s(&["pmtest-app=1.0", "pmtest-hello=1.0", "pmtest-lib=1.0.1"]),
        "only the security update moved"
    );
    let rec = exec(&b, upgrade(&[], true));
    assert!(
        rec.has("linux-patch-api: no security updates pending"),
        "{:?}",
        rec.lines
    );
    assert_eq!(rec.percents.last().map(|p| p.0), Some(100));
    exec(&b, upgrade(&["pmtest-hello"], false));
    assert_eq!(
        state(&sb, &b),
        s(&["pmtest-app=1.0", "pmtest-hello=1.1", "pmtest-lib=1.0.1"])
    );
    assert!(b.upgrades().unwrap().is_empty());

    let sb2 = apt_sandbox();
    let b2 = backend(&sb2);
    exec(&b2, upgrade(&[], false));
    assert_eq!(
        state(&sb2, &b2),
        s(&["pmtest-app=1.0", "pmtest-hello=1.1", "pmtest-lib=1.0.1"])
    );
    assert!(b2.upgrades().unwrap().is_empty(), "the upgrade cache follows");
    assert!(b2
        .installed()
        .unwrap()
        .iter()
        .all(|p| p.upgradable == Some(false)));
    assert_eq!(host_status(), host);
}

#[test]
fn restore_puts_back_the_recorded_state_in_one_transaction() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    let before = sb.dpkg_query_w();
    exec(
        &b,
        Operation::Upgrade {
            packages: vec![],
            security_only: false,
        },
    );
    exec(
        &b,
        Operation::Remove {
            name: "pmtest-app".into(),
            purge: false,
        },
    );
    exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-new", None)],
        },
    );
    assert_eq!(
        state(&sb, &b),
        s(&[
            "pmtest-dep=1.0",
            "pmtest-hello=1.1",
            "pmtest-lib=1.0.1",
            "pmtest-new=1.0"
        ])
    );
    let rec = exec(
        &b,
        Operation::Restore {
            install: vec![
                spec("pmtest-hello", Some("1.0")),
                spec("pmtest-lib", Some("1.0")),
                spec("pmtest-app", Some("1.0")),
            ],
            remove: s(&["pmtest-new", "pmtest-dep"]),
            purge: false,
        },
    );
    assert_eq!(sb.dpkg_query_w(), before, "state equals the recorded one");
    assert_eq!(state(&sb, &b), s(&BASE));
    let plans = rec
        .lines
        .iter()
        .filter(|(_, l)| l.contains(" upgraded, "))
        .count();
    assert_eq!(plans, 1, "one apt-get transaction: {:#?}", rec.lines);
    assert!(rec.has("Removing pmtest-new") && rec.has("Setting up pmtest-app (1.0)"));
    assert_eq!(host_status(), host);
}
