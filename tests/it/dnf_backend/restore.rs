//! Restores: through `dnf history undo` when the last transaction is exactly the one to undo, else one
//! `dnf history replay` transaction from the versions; an unobtainable version changes nothing.

use super::{backend, base_with, exec, spec, Recorder, LIMITS};
use linux_patch_api::backend::{Operation, PackageBackend, RunError};
use linux_patch_tests::dnf::{dnf_sandbox, host_rpm_fingerprint};

#[test]
fn restore_by_undo_and_by_versions() {
    let host = host_rpm_fingerprint();
    let sb = dnf_sandbox();
    let b = backend(&sb);
    let before = sb.rpm_qa();

    // Undo: the job's own transaction is the last one recorded.
    exec(
        &b,
        Operation::Upgrade {
            packages: vec![],
            security_only: false,
        },
    );
    assert_ne!(sb.rpm_qa(), before);
    let rec = exec(
        &b,
        Operation::Restore {
            install: [
                "pmtest-epoch:noarch=1:1.0-1",
                "pmtest-hello:noarch=1.0-1",
                "pmtest-lib:noarch=1.0-1",
                "pmtest-tool:noarch=1.0-1",
            ]
            .iter()
            .map(|s| {
                let (n, v) = s.split_once('=').unwrap();
                spec(n, Some(v))
            })
            .collect(),
            remove: vec![],
            purge: false,
        },
    );
    assert!(rec.has("dnf history undo"), "{:#?}", rec.lines);
    rec.assert_progress();
    assert_eq!(sb.rpm_qa(), before, "state equals before");

    // Versions: two transactions since, so the last one alone is not the change to undo; a version
    // without release or architecture is looked up.
    exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-new", None)],
        },
    );
    exec(
        &b,
        Operation::Update {
            package: spec("pmtest-hello", None),
            allow_downgrade: false,
        },
    );
    assert_eq!(
        sb.rpm_qa(),
        base_with(&["pmtest-new=1.0-1", "pmtest-dep=1.0-1", "pmtest-hello=1.1-1"])
    );
    let rec = exec(
        &b,
        Operation::Restore {
            install: vec![spec("pmtest-hello", Some("1.0"))],
            remove: vec!["pmtest-new:noarch".into(), "pmtest-dep".into()],
            purge: false,
        },
    );
    assert!(
        rec.has("dnf history replay") && !rec.has("dnf history undo"),
        "{:#?}",
        rec.lines
    );
    assert!(rec.has("Downgrading") && rec.has("Erasing"), "{:#?}", rec.lines);
    assert_eq!(sb.rpm_qa(), before, "state equals before");

    // A version no repository has: dnf refuses the whole transaction.
    exec(
        &b,
        Operation::Update {
            package: spec("pmtest-hello", None),
            allow_downgrade: false,
        },
    );
    let mut rec = Recorder::default();
    let r = b.execute(
        &Operation::Restore {
            install: vec![
                spec("pmtest-hello:noarch", Some("0.9-1")),
                spec("pmtest-lib:noarch", Some("1.0.1-1")),
            ],
            remove: vec!["pmtest-app".into()],
            purge: false,
        },
        &LIMITS,
        &mut rec,
    );
    match r {
        Err(RunError::Failed {
            exit_code: Some(1),
            message,
            ..
        }) => assert!(message.contains("pmtest-hello-0.9-1.noarch"), "{message}"),
        other => panic!("{other:?}\n{:#?}", rec.lines),
    }
    assert_eq!(sb.rpm_qa(), base_with(&["pmtest-hello=1.1-1"]), "nothing changed");
    assert!(b
        .check_obtainable(&spec("pmtest-hello:noarch", Some("0.9-1")))
        .unwrap_err()
        .contains("pmtest-hello"));
    sb.close().unwrap();
    assert_eq!(
        host_rpm_fingerprint(),
        host,
        "the host's rpm/dnf state must not change"
    );
}
