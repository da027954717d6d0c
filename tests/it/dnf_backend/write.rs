//! Each changing operation in a sandbox: install (pinned, with a dependency), update and downgrade, remove
//! (purge), upgrade all / listed / security-only; progress and streamed output; refusals.

use super::{backend, base_with, exec, refused, spec, state, LIMITS};
use linux_patch_api::backend::{Operation, PackageBackend, RunError};
use linux_patch_tests::dnf::{dnf_sandbox, host_rpm_fingerprint};

#[test]
fn install_update_downgrade_remove() {
    let host = host_rpm_fingerprint();
    let sb = dnf_sandbox();
    let b = backend(&sb);

    let rec = exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-new", None), spec("pmtest-hello", Some("1.0"))],
        },
    );
    assert_eq!(
        sb.rpm_qa(),
        base_with(&["pmtest-new=1.0-1", "pmtest-dep=1.0-1"]),
        "pmtest-new pulls pmtest-dep"
    );
    assert!(
        rec.has("Installing") && rec.has("pmtest-dep-1.0-1.noarch"),
        "{:#?}",
        rec.lines
    );
    rec.assert_progress();
    assert!(
        rec.percents
            .iter()
            .any(|p| p.1 == "installing pmtest-new-1.0-1.noarch"),
        "{:?}",
        rec.percents
    );

    let update = |v: Option<&str>, down: bool| Operation::Update {
        package: spec("pmtest-hello", v),
        allow_downgrade: down,
    };
    exec(&b, update(None, false)).assert_progress();
    assert_eq!(
        sb.rpm_qa(),
        base_with(&["pmtest-new=1.0-1", "pmtest-dep=1.0-1", "pmtest-hello=1.1-1"])
    );
    assert!(refused(&b, update(Some("1.0"), false)).contains("allow_downgrade"));
    assert!(refused(&b, update(Some("1.0;id"), true)).contains("version"));
    exec(&b, update(Some("1.0-1"), true));
    assert_eq!(sb.rpm_qa(), base_with(&["pmtest-new=1.0-1", "pmtest-dep=1.0-1"]));

    let rec = exec(
        &b,
        Operation::Remove {
            name: "pmtest-new:noarch".into(),
            purge: true,
        },
    );
    assert!(rec.has("no separate purge"), "{:#?}", rec.lines);
    assert!(rec.has("Erasing"), "{:#?}", rec.lines);
    // clean_requirements_on_remove (the sandbox's dnf.conf, as on RHEL): the unneeded dependency goes too.
    assert_eq!(state(&sb, &b), base_with(&[]));
    let rec = exec(
        &b,
        Operation::Remove {
            name: "pmtest-new".into(),
            purge: false,
        },
    );
    assert!(rec.has("pmtest-new is not installed"), "{:#?}", rec.lines);

    match b.execute(
        &Operation::Install {
            packages: vec![spec("pmtest-nope", None)],
        },
        &LIMITS,
        &mut super::Recorder::default(),
    ) {
        Err(RunError::Failed {
            exit_code: Some(1),
            message,
            fetch_error: false,
        }) => assert!(message.contains("pmtest-nope"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(refused(
        &b,
        Operation::Install {
            packages: vec![spec("--installroot=/", None)]
        }
    )
    .contains("must start"));
    assert_eq!(sb.rpm_qa(), base_with(&[]));
    sb.close().unwrap();
    assert_eq!(
        host_rpm_fingerprint(),
        host,
        "the host's rpm/dnf state must not change"
    );
}

#[test]
fn upgrade_security_only_listed_then_all() {
    let host = host_rpm_fingerprint();
    let sb = dnf_sandbox();
    let b = backend(&sb);
    let upgrade = |p: &[&str], sec: bool| Operation::Upgrade {
        packages: p.iter().map(|x| x.to_string()).collect(),
        security_only: sec,
    };

    let rec = exec(&b, upgrade(&[], true));
    rec.assert_progress();
    assert_eq!(
        sb.rpm_qa(),
        base_with(&["pmtest-hello=1.1-1", "pmtest-epoch=1:1.1-1"]),
        "only the packages with security advisories"
    );
    let pending: Vec<(String, bool)> = b
        .upgrades()
        .unwrap()
        .iter()
        .map(|u| (u.name.clone(), u.security))
        .collect();
    assert_eq!(
        pending,
        vec![("pmtest-lib".into(), false), ("pmtest-tool".into(), false)]
    );

    exec(&b, upgrade(&["pmtest-lib", "pmtest-absent"], false));
    assert_eq!(
        sb.rpm_qa(),
        base_with(&["pmtest-hello=1.1-1", "pmtest-epoch=1:1.1-1", "pmtest-lib=1.0.1-1"])
    );

    exec(&b, upgrade(&[], false));
    let all = base_with(&[
        "pmtest-hello=1.1-1",
        "pmtest-epoch=1:1.1-1",
        "pmtest-lib=1.0.1-1",
        "pmtest-tool=2.0-1",
    ]);
    assert_eq!(state(&sb, &b), all);
    assert!(b.upgrades().unwrap().is_empty());
    let rec = exec(&b, upgrade(&[], true));
    assert!(rec.has("Nothing to do"), "{:#?}", rec.lines);
    assert_eq!(sb.rpm_qa(), all);
    sb.close().unwrap();
    assert_eq!(
        host_rpm_fingerprint(),
        host,
        "the host's rpm/dnf state must not change"
    );
}
