//! The apk argument vectors of every operation, and the refusals before anything runs.

use super::{plan, Prepared, Step};
use crate::backend::{BackendError, Operation, PackageSpec, RunError};
use linux_patch_shared::api::agent::Package;

fn pkg(name: &str, version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        architecture: "x86_64".into(),
        status: "installed".into(),
        summary: None,
        section: None,
        installed_size_kib: None,
        source: None,
        upgradable: None,
        candidate_version: None,
    }
}

/// The state after SAMPLES.md block 2.
fn installed() -> Vec<Package> {
    vec![
        pkg("pmtest-app", "1.0-r0"),
        pkg("pmtest-hello", "1.0-r0"),
        pkg("pmtest-lib", "1.0-r0"),
    ]
}

fn spec(name: &str, version: Option<&str>) -> PackageSpec {
    PackageSpec {
        name: name.into(),
        version: version.map(str::to_string),
    }
}

fn no_security() -> Result<Vec<String>, BackendError> {
    panic!("security data must not be asked for")
}

/// Each step as `args` joined by spaces, `del` steps marked with what must be gone.
fn vectors(op: &Operation) -> Vec<String> {
    match plan(op, &installed(), &no_security) {
        Ok(Prepared::Run(steps)) => steps.iter().map(show).collect(),
        other => panic!("{op:?}: {other:?}"),
    }
}

fn show(s: &Step) -> String {
    if s.removes.is_empty() {
        s.args.join(" ")
    } else {
        format!("{} [must remove {}]", s.args.join(" "), s.removes.join(","))
    }
}

fn refusal(op: &Operation) -> String {
    match plan(op, &installed(), &no_security) {
        Err(RunError::Failed {
            exit_code: None,
            message,
            fetch_error: false,
        }) => message,
        other => panic!("{op:?}: want a refusal, got {other:?}"),
    }
}

#[test]
fn install_pins_then_unpins() {
    let op = Operation::Install {
        packages: vec![spec("pmtest-hello", Some("1.0-r0")), spec("pmtest-new", None)],
    };
    assert_eq!(
        vectors(&op),
        ["add -- pmtest-hello=1.0-r0 pmtest-new", "add -- pmtest-hello"]
    );
    let op = Operation::Install {
        packages: vec![spec("pmtest-new", None)],
    };
    assert_eq!(
        vectors(&op),
        ["add -- pmtest-new"],
        "nothing pinned, nothing to unpin"
    );
    assert_eq!(
        plan(
            &Operation::Install { packages: vec![] },
            &installed(),
            &no_security
        ),
        Ok(Prepared::Nothing("nothing to install".into()))
    );
}

#[test]
fn update_upgrades_and_downgrades_only_when_allowed() {
    let up = |v: Option<&str>, allow_downgrade| Operation::Update {
        package: spec("pmtest-hello", v),
        allow_downgrade,
    };
    assert_eq!(vectors(&up(None, false)), ["add -u -- pmtest-hello"]);
    assert_eq!(
        vectors(&up(Some("1.1-r0"), false)),
        ["add -u -- pmtest-hello=1.1-r0", "add -- pmtest-hello"]
    );
    assert_eq!(
        vectors(&up(Some("0.9-r0"), true)),
        ["add -u -- pmtest-hello=0.9-r0", "add -- pmtest-hello"]
    );
    assert!(refusal(&up(Some("0.9-r0"), false)).contains("would downgrade the installed 1.0-r0"));
    let missing = Operation::Update {
        package: spec("pmtest-new", None),
        allow_downgrade: false,
    };
    assert!(refusal(&missing).contains("pmtest-new is not installed"));
}

#[test]
fn remove_checks_what_apk_del_kept() {
    let rm = |name: &str, purge| Operation::Remove {
        name: name.into(),
        purge,
    };
    assert_eq!(
        vectors(&rm("pmtest-app", false)),
        ["del -- pmtest-app [must remove pmtest-app]"]
    );
    assert_eq!(
        vectors(&rm("pmtest-lib", true)),
        ["del --purge -- pmtest-lib [must remove pmtest-lib]"]
    );
    assert!(refusal(&rm("pmtest-new", false)).contains("pmtest-new is not installed"));
}

#[test]
fn upgrades_all_listed_and_security_only() {
    let all = Operation::Upgrade {
        packages: vec![],
        security_only: false,
    };
    assert_eq!(vectors(&all), ["upgrade"]);
    let listed = Operation::Upgrade {
        packages: vec!["pmtest-hello".into(), "pmtest-lib".into(), "pmtest-hello".into()],
        security_only: false,
    };
    assert_eq!(vectors(&listed), ["add -u -- pmtest-hello pmtest-lib"]);
    let not_installed = Operation::Upgrade {
        packages: vec!["pmtest-new".into()],
        security_only: false,
    };
    assert!(refusal(&not_installed).contains("pmtest-new is not installed"));

    let flagged = || Ok(vec!["pmtest-hello".to_string(), "pmtest-lib".to_string()]);
    let sec = |packages: Vec<String>| Operation::Upgrade {
        packages,
        security_only: true,
    };
    let run =
        |op: &Operation, f: &dyn Fn() -> Result<Vec<String>, BackendError>| match plan(op, &installed(), f) {
            Ok(Prepared::Run(steps)) => steps.iter().map(show).collect::<Vec<_>>(),
            Ok(Prepared::Nothing(why)) => vec![format!("nothing: {why}")],
            Err(e) => vec![format!("error: {e}")],
        };
    assert_eq!(run(&sec(vec![]), &flagged), ["add -u -- pmtest-hello pmtest-lib"]);
    assert_eq!(
        run(&sec(vec!["pmtest-lib".into()]), &flagged),
        ["add -u -- pmtest-lib"]
    );
    assert_eq!(
        run(&sec(vec![]), &|| Ok(vec![])),
        ["nothing: no security updates pending"]
    );
    assert!(run(&sec(vec![]), &|| Err(BackendError::Command("x".into())))[0].contains("x"));
}

#[test]
fn restore_adds_pinned_unpins_and_removes_additions() {
    let op = Operation::Restore {
        install: vec![spec("pmtest-hello", Some("1.0-r0"))],
        remove: vec!["pmtest-lib".into(), "pmtest-gone".into()],
        purge: false,
    };
    assert_eq!(
        vectors(&op),
        [
            "add -- pmtest-hello=1.0-r0",
            "add -- pmtest-hello",
            "del -- pmtest-lib [must remove pmtest-lib]"
        ],
        "a package already gone is not removed again"
    );
    let only_gone = Operation::Restore {
        install: vec![],
        remove: vec!["pmtest-gone".into()],
        purge: false,
    };
    assert!(matches!(
        plan(&only_gone, &installed(), &no_security),
        Ok(Prepared::Nothing(_))
    ));
}

#[test]
fn bad_names_and_versions_are_refused_before_anything_runs() {
    for op in [
        Operation::Install {
            packages: vec![spec("--root=/", None)],
        },
        Operation::Install {
            packages: vec![spec("pmtest-hello", Some("1.0;id"))],
        },
        Operation::Install {
            packages: vec![spec("pmtest-hello", Some("-u"))],
        },
        Operation::Remove {
            name: "pmtest-hello=1.0-r0".into(),
            purge: false,
        },
        Operation::Upgrade {
            packages: vec!["!pmtest-hello".into()],
            security_only: true,
        },
        Operation::Restore {
            install: vec![],
            remove: vec!["a b".into()],
            purge: false,
        },
    ] {
        let m = refusal(&op);
        assert!(!m.is_empty(), "{op:?}");
    }
}
