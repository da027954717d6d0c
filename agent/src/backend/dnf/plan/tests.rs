//! The exact dnf argument vector of each operation, and the refusals.

use super::{common_args, plan, Prepared};
use crate::backend::{Operation, PackageSpec, RunError};
use linux_patch_shared::api::agent::Package;

fn pkg(name: &str, version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        architecture: "noarch".into(),
        status: "installed".into(),
        summary: None,
        section: None,
        installed_size_kib: None,
        source: None,
        upgradable: None,
        candidate_version: None,
    }
}

fn installed() -> Vec<Package> {
    vec![
        pkg("pmtest-app", "1.0-1"),
        pkg("pmtest-hello", "1.1-1"),
        pkg("pmtest-lib", "1.0-1"),
    ]
}

fn spec(n: &str, v: Option<&str>) -> PackageSpec {
    PackageSpec {
        name: n.into(),
        version: v.map(str::to_string),
    }
}

fn args(op: Operation) -> Vec<String> {
    match plan(&op, &installed()) {
        Ok(Prepared::Run { args, .. }) => args,
        other => panic!("{op:?}: {other:?}"),
    }
}

fn refusal(op: Operation) -> String {
    match plan(&op, &installed()) {
        Err(RunError::Failed {
            exit_code: None,
            message,
            ..
        }) => message,
        other => panic!("{op:?}: want a refusal, got {other:?}"),
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn command_vectors() {
    assert_eq!(
        common_args(&s(&["--installroot=/r"])),
        s(&["--installroot=/r", "-y", "--setopt=color=never"])
    );
    assert_eq!(
        args(Operation::Install {
            packages: vec![
                spec("pmtest-new", None),
                spec("pmtest-tool:noarch", Some("1.0-1"))
            ]
        }),
        s(&["install", "--", "pmtest-new", "pmtest-tool-1.0-1.noarch"])
    );
    let update = |v: Option<&str>, down: bool| Operation::Update {
        package: spec("pmtest-hello", v),
        allow_downgrade: down,
    };
    assert_eq!(args(update(None, false)), s(&["upgrade", "--", "pmtest-hello"]));
    assert_eq!(
        args(update(Some("1.2"), false)),
        s(&["upgrade", "--", "pmtest-hello-1.2"])
    );
    assert_eq!(
        args(update(Some("1.0-1"), true)),
        s(&["downgrade", "--", "pmtest-hello-1.0-1"])
    );
    assert_eq!(
        plan(&update(Some("1.1"), false), &installed()),
        Ok(Prepared::Nothing(
            "pmtest-hello is already installed at 1.1-1".into()
        ))
    );
    assert_eq!(
        args(Operation::Remove {
            name: "pmtest-app".into(),
            purge: false
        }),
        s(&["remove", "--", "pmtest-app"])
    );
    match plan(
        &Operation::Remove {
            name: "pmtest-app:noarch".into(),
            purge: true,
        },
        &installed(),
    ) {
        Ok(Prepared::Run { args, notes }) => {
            assert_eq!(args, s(&["remove", "--", "pmtest-app.noarch"]));
            assert!(notes[0].contains("no separate purge"), "{notes:?}");
        }
        other => panic!("{other:?}"),
    }
    let upgrade = |p: &[&str], sec: bool| Operation::Upgrade {
        packages: s(p),
        security_only: sec,
    };
    assert_eq!(args(upgrade(&[], false)), s(&["upgrade"]));
    assert_eq!(args(upgrade(&[], true)), s(&["upgrade", "--security"]));
    assert_eq!(
        args(upgrade(&["pmtest-hello", "pmtest-lib"], false)),
        s(&["upgrade", "--", "pmtest-hello", "pmtest-lib"])
    );
    match plan(&upgrade(&["pmtest-lib", "pmtest-absent"], true), &installed()) {
        Ok(Prepared::Run { args, notes }) => {
            assert_eq!(args, s(&["upgrade", "--security", "--", "pmtest-lib"]));
            assert!(
                notes[0].starts_with("pmtest-absent is not installed"),
                "{notes:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        plan(&upgrade(&["pmtest-absent"], false), &installed()),
        Ok(Prepared::Nothing(_))
    ));
    assert!(matches!(
        plan(
            &Operation::Remove {
                name: "pmtest-absent".into(),
                purge: false
            },
            &installed()
        ),
        Ok(Prepared::Nothing(_))
    ));
    assert_eq!(
        plan(
            &Operation::Restore {
                install: vec![spec("pmtest-hello:noarch", Some("1.0-1"))],
                remove: s(&["pmtest-new:noarch"]),
                purge: false
            },
            &installed()
        ),
        Ok(Prepared::Restore {
            install: vec![spec("pmtest-hello:noarch", Some("1.0-1"))],
            remove: s(&["pmtest-new:noarch"])
        })
    );
}

#[test]
fn refusals() {
    assert!(refusal(Operation::Install {
        packages: vec![spec("-y", None)]
    })
    .contains("must start"));
    assert!(refusal(Operation::Install {
        packages: vec![spec("pmtest-hello", Some("1.0"))]
    })
    .contains("would downgrade the installed 1.1-1"));
    assert!(refusal(Operation::Update {
        package: spec("pmtest-hello", Some("1.0")),
        allow_downgrade: false
    })
    .contains("set allow_downgrade"));
    assert!(refusal(Operation::Update {
        package: spec("pmtest-new", None),
        allow_downgrade: false
    })
    .contains("not installed"));
    assert!(refusal(Operation::Update {
        package: spec("pmtest-hello", Some("1.0;x")),
        allow_downgrade: true
    })
    .contains("version"));
    assert!(refusal(Operation::Upgrade {
        packages: s(&["foo bar"]),
        security_only: false
    })
    .contains("contains"));
    assert!(refusal(Operation::Restore {
        install: vec![spec("pmtest-hello", None)],
        remove: vec![],
        purge: false
    })
    .contains("exact version"));
    assert!(refusal(Operation::Restore {
        install: vec![],
        remove: s(&["--all"]),
        purge: false
    })
    .contains("must start"));
}
