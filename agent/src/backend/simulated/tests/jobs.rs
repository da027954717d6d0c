//! Jobs on the simulated backend: they really change the state, roll back exactly, fail like apt,
//! take their time, respect the time limit and run one at a time.

use super::*;
use crate::jobs::changeset::{diff, snapshot, RestorePlan};
use std::time::Instant;

#[test]
fn security_only_apply_then_restore_returns_the_exact_state() {
    let b = fast("db-07");
    let before_pkgs = b.installed().unwrap();
    let before = snapshot(&before_pkgs);
    let patches = b.upgrades().unwrap();
    let security: BTreeSet<String> = patches
        .iter()
        .filter(|p| p.security)
        .map(|p| p.name.clone())
        .collect();
    let regular: BTreeSet<String> = patches
        .iter()
        .filter(|p| !p.security)
        .map(|p| p.name.clone())
        .collect();
    assert!(!security.is_empty() && !regular.is_empty(), "{patches:?}");

    let (res, rec) = run(
        &b,
        Operation::Upgrade {
            packages: vec![],
            security_only: true,
        },
    );
    assert_eq!(res, Ok(()), "{:?}", rec.lines);
    assert_eq!(rec.lines[0], LABEL);
    assert!(rec
        .lines
        .iter()
        .any(|l| l.starts_with("Get:1 http://deb.example.invalid/simulated")));
    assert!(rec.lines.iter().any(|l| l.starts_with("Setting up ")));
    let pct: Vec<u8> = rec.percents.iter().map(|p| p.0).collect();
    assert!(pct.windows(2).all(|w| w[0] <= w[1]), "monotonic: {pct:?}");
    assert_eq!(pct.last(), Some(&100));

    let after = snapshot(&b.installed().unwrap());
    let cs = diff(&before, &after, &|x, y| b.compare_versions(x, y));
    let upgraded: BTreeSet<String> = cs.upgraded.iter().map(|c| c.name.clone()).collect();
    assert_eq!(upgraded, security);
    assert!(cs.installed.is_empty() && cs.removed.is_empty() && cs.downgraded.is_empty());
    let left: BTreeSet<String> = b.upgrades().unwrap().iter().map(|p| p.name.clone()).collect();
    assert_eq!(left, regular);
    assert_eq!(b.last_change(), Some(clock().now()));

    let plan = RestorePlan::undoing(&cs, &[]);
    for spec in &plan.install {
        assert_eq!(b.check_obtainable(spec), Ok(()), "{spec:?}");
    }
    let (res, rec) = run(
        &b,
        Operation::Restore {
            install: plan.install,
            remove: plan.remove,
            purge: plan.purge,
        },
    );
    assert_eq!(res, Ok(()), "{:?}", rec.lines);
    assert_eq!(*b.installed().unwrap(), *before_pkgs, "restored exactly");
}

#[test]
fn install_remove_and_restore_with_arch_qualified_names() {
    let b = fast("app-3");
    let before = b.installed().unwrap();
    let absent: &str = &b
        .catalogue
        .entries()
        .iter()
        .find(|e| e.parent.is_none() && !before.iter().any(|p| *p.name == *e.name))
        .unwrap()
        .name;
    let spec = PackageSpec {
        name: absent.into(),
        version: None,
    };
    assert_eq!(b.check_obtainable(&spec), Ok(()));
    let (res, rec) = run(&b, Operation::Install { packages: vec![spec] });
    assert_eq!(res, Ok(()), "{:?}", rec.lines);
    assert!(rec
        .lines
        .iter()
        .any(|l| l == &format!("Selecting previously unselected package {absent}.")));
    let mid = b.installed().unwrap();
    assert!(mid.iter().any(|p| p.name == absent && p.status == "installed"));

    let victim = before
        .iter()
        .find(|p| p.status == "installed" && p.architecture == "amd64" && p.name.starts_with("lib"))
        .unwrap()
        .clone();
    let (res, _) = run(
        &b,
        Operation::Remove {
            name: victim.name.clone(),
            purge: false,
        },
    );
    assert_eq!(res, Ok(()));
    let gone = b.installed().unwrap();
    let kept = gone.iter().find(|p| p.name == victim.name).unwrap();
    assert_eq!(kept.status, "config-files", "configuration kept without purge");

    let (res, rec) = run(
        &b,
        Operation::Restore {
            install: vec![PackageSpec {
                name: format!("{}:amd64", victim.name),
                version: Some(victim.version.clone()),
            }],
            remove: vec![absent.into()],
            purge: false,
        },
    );
    assert_eq!(res, Ok(()), "{:?}", rec.lines);
    let now = b.installed().unwrap();
    assert_eq!(snapshot(&now), snapshot(&before));
    assert!(!now.iter().any(|p| p.name == absent), "purged on restore");
}

#[test]
fn apt_like_errors_change_nothing() {
    let b = fast("edge-1");
    let before = b.installed().unwrap();
    let unknown = PackageSpec {
        name: "no-such-pkg".into(),
        version: None,
    };
    assert_eq!(
        b.check_obtainable(&unknown),
        Err("E: Unable to locate package no-such-pkg".into())
    );
    let bad_version = PackageSpec {
        name: "bash".into(),
        version: Some("9.9-9".into()),
    };
    assert!(b
        .check_obtainable(&bad_version)
        .unwrap_err()
        .contains("Version '9.9-9' for 'bash' was not found"));
    assert_eq!(
        b.check_obtainable(&PackageSpec {
            name: "bash:arm64".into(),
            version: None
        }),
        Err("E: Unable to locate package bash:arm64".into())
    );
    let (res, rec) = run(
        &b,
        Operation::Install {
            packages: vec![unknown],
        },
    );
    let Err(RunError::Failed {
        exit_code,
        message,
        fetch_error,
    }) = res
    else {
        panic!("{res:?}")
    };
    assert_eq!((exit_code, fetch_error), (Some(100), false));
    assert!(message.contains("Unable to locate package"), "{message}");
    assert!(rec.lines.iter().any(|l| l.starts_with("E: ")));
    let (res, _) = run(
        &b,
        Operation::Remove {
            name: "dpkg".into(),
            purge: true,
        },
    );
    assert!(matches!(res, Err(RunError::Failed { message, .. }) if message.contains("essential")));
    let (res, rec) = run(
        &b,
        Operation::Update {
            package: PackageSpec {
                name: "bash".into(),
                version: None,
            },
            allow_downgrade: false,
        },
    );
    assert_eq!(res, Ok(()));
    assert!(
        rec.lines.iter().any(|l| l.contains("already the newest version")),
        "{:?}",
        rec.lines
    );
    assert_eq!(b.installed().unwrap(), before);
    assert!(b.validate_name("foo;id").is_err());
    assert_eq!(b.validate_version("1.0-1+deb12u1"), Ok(()));
}

#[test]
fn kernel_updates_ask_for_a_reboot() {
    let b = (0..200)
        .map(|n| fast(&format!("k-{n}")))
        .find(|b| {
            b.reboot_required().state == TriState::No
                && b.upgrades()
                    .unwrap()
                    .iter()
                    .any(|p| p.name == "linux-image-amd64")
        })
        .unwrap();
    let (res, _) = run(
        &b,
        Operation::Upgrade {
            packages: vec!["linux-image-amd64".into()],
            security_only: false,
        },
    );
    assert_eq!(res, Ok(()));
    let r = b.reboot_required();
    assert_eq!(r.state, TriState::Yes);
    assert_eq!(r.packages, ["linux-image-amd64"]);
    assert!(r.reason.starts_with("simulated host"), "{}", r.reason);
    assert_eq!(
        b.upgrades()
            .unwrap()
            .iter()
            .filter(|p| p.name == "linux-image-amd64")
            .count(),
        0
    );
}

#[test]
fn durations_are_real_the_time_limit_kills_and_one_operation_runs_at_a_time() {
    let b = Arc::new(SimulatedBackend::new("slowpoke", clock()).with_time_scale(0.2));
    let started = Instant::now();
    let (res, _) = run(
        &b,
        Operation::Upgrade {
            packages: vec![],
            security_only: false,
        },
    );
    assert_eq!(res, Ok(()));
    let took = started.elapsed();
    let expected = b.scaled(b.profile.base_ms + b.profile.per_package_ms * 3);
    assert!(took >= expected, "{took:?} < {expected:?}");

    let b = Arc::new(SimulatedBackend::new("slowpoke", clock()).with_time_scale(1.0));
    let before = b.upgrades().unwrap().len();
    let limits = RunLimits {
        timeout: b.scaled(b.profile.base_ms + b.profile.per_package_ms * 2 + 10),
        lock_timeout: Duration::from_millis(10),
    };
    // Both contenders start together (a barrier), so under load the second does not arrive after the
    // first has already finished and released the lock.
    let start = Arc::new(std::sync::Barrier::new(2));
    let other = {
        let b = b.clone();
        let start = start.clone();
        std::thread::spawn(move || {
            let mut rec = Recorder::default();
            start.wait();
            b.execute(
                &Operation::Upgrade {
                    packages: vec![],
                    security_only: false,
                },
                &limits,
                &mut rec,
            )
        })
    };
    let mut rec = Recorder::default();
    start.wait();
    let mine = b.execute(
        &Operation::Upgrade {
            packages: vec![],
            security_only: false,
        },
        &limits,
        &mut rec,
    );
    let theirs = other.join().unwrap();
    let (timed_out, locked) = match (&mine, &theirs) {
        (Err(RunError::TimedOut), Err(RunError::Failed { message, .. }))
        | (Err(RunError::Failed { message, .. }), Err(RunError::TimedOut)) => {
            (true, message.contains("lock"))
        }
        _ => (false, false),
    };
    assert!(timed_out && locked, "{mine:?} / {theirs:?}");
    let after = b.upgrades().unwrap().len();
    assert!(
        after < before && after > 0,
        "a killed run leaves part of its changes: {before} -> {after}"
    );
}
