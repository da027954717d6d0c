//! The exact apt-get argument vectors per operation, and the refusals decided before apt runs.

use super::{common_args, install_arg, plan, run_env, Prepared};
use crate::backend::{BackendError, Operation, PackageSpec, RunError};
use linux_patch_shared::api::agent::{Package, Patch};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

fn pkg(name: &str, version: &str, arch: &str, status: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        architecture: arch.into(),
        status: status.into(),
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
        pkg("pmtest-hello", "1.1", "all", "installed"),
        pkg("pmtest-lib", "1.0", "all", "installed"),
        pkg("libc6", "2.36-9", "amd64", "installed"),
        pkg("libc6", "2.36-9", "i386", "installed"),
        pkg("g++", "4:12.2.0-3", "amd64", "installed"),
        pkg("pmtest-gone", "1.0", "all", "config-files"),
    ]
}

fn patch(name: &str, arch: &str, cand: &str, security: bool) -> Patch {
    Patch {
        name: name.into(),
        architecture: arch.into(),
        installed_version: Some("1.0".into()),
        candidate_version: cand.into(),
        repository: String::new(),
        origins: Vec::new(),
        security,
        severity: None,
        cves: Vec::new(),
        security_source: "origin".into(),
        requires_reboot: false,
    }
}

fn spec(name: &str, version: Option<&str>) -> PackageSpec {
    PackageSpec {
        name: name.into(),
        version: version.map(str::to_string),
    }
}

fn no_upgrades() -> Result<Arc<Vec<Patch>>, BackendError> {
    panic!("upgrades must not be asked for this operation")
}

fn run(op: &Operation) -> Vec<String> {
    match plan(op, &installed(), &no_upgrades) {
        Ok(Prepared::Run(a)) => a,
        other => panic!("{op:?}: {other:?}"),
    }
}

fn refusal(op: &Operation) -> String {
    match plan(op, &installed(), &no_upgrades) {
        Err(RunError::Failed {
            exit_code: None,
            message,
            fetch_error: false,
        }) => message,
        other => panic!("{op:?}: want a refusal, got {other:?}"),
    }
}

#[test]
fn common_options_come_after_extra_args() {
    let extra = vec!["-o".to_string(), "Acquire::Retries=3".to_string()];
    assert_eq!(
        common_args(&extra, Duration::from_secs(120)),
        [
            "-o",
            "Acquire::Retries=3",
            "-y",
            "-q",
            "-o",
            "Dpkg::Use-Pty=false",
            "-o",
            "DPkg::Lock::Timeout=120",
            "-o",
            "Dpkg::Options::=--force-confdef",
            "-o",
            "Dpkg::Options::=--force-confold"
        ]
    );
    let env = run_env(&BTreeMap::from([
        ("DEBIAN_FRONTEND".to_string(), "dialog".to_string()),
        ("http_proxy".to_string(), "http://p:3128".to_string()),
    ]));
    assert_eq!(env["DEBIAN_FRONTEND"], "noninteractive", "ours wins");
    assert_eq!(env["http_proxy"], "http://p:3128");
    assert_eq!(env["UCF_FORCE_CONFFOLD"], "1");
}

#[test]
fn argument_vectors_per_operation() {
    let install = Operation::Install {
        packages: vec![
            spec("pmtest-hello", Some("1.0")),
            spec("pmtest-new", None),
            spec("g++", None),
        ],
    };
    assert_eq!(
        run(&install),
        ["install", "--", "pmtest-hello=1.0", "pmtest-new", "g++"]
    );
    let update = |v: Option<&str>, allow| Operation::Update {
        package: spec("pmtest-hello", v),
        allow_downgrade: allow,
    };
    assert_eq!(
        run(&update(None, false)),
        ["install", "--only-upgrade", "--", "pmtest-hello"]
    );
    assert_eq!(
        run(&update(Some("1.0"), true)),
        [
            "install",
            "--only-upgrade",
            "--allow-downgrades",
            "--",
            "pmtest-hello=1.0"
        ]
    );
    assert_eq!(
        run(&update(Some("1:1.0"), false)),
        ["install", "--only-upgrade", "--", "pmtest-hello=1:1.0"],
        "epoch 1 is newer than 1.1"
    );
    assert_eq!(
        run(&update(Some("1.1"), false)),
        ["install", "--only-upgrade", "--", "pmtest-hello=1.1"]
    );
    let remove = |n: &str, purge| Operation::Remove {
        name: n.into(),
        purge,
    };
    assert_eq!(run(&remove("pmtest-lib", false)), ["remove", "--", "pmtest-lib"]);
    assert_eq!(run(&remove("pmtest-lib", true)), ["purge", "--", "pmtest-lib"]);
    assert_eq!(
        run(&remove("g++", false)),
        ["remove", "--", "g++"],
        "installed: taken as the name"
    );
    let upgrade = |p: &[&str]| Operation::Upgrade {
        packages: p.iter().map(|s| s.to_string()).collect(),
        security_only: false,
    };
    assert_eq!(run(&upgrade(&[])), ["dist-upgrade"]);
    assert_eq!(
        run(&upgrade(&["pmtest-hello", "libc6:i386"])),
        ["install", "--only-upgrade", "--", "pmtest-hello", "libc6:i386"]
    );
    let restore = Operation::Restore {
        install: vec![spec("pmtest-hello", Some("1.0")), spec("pmtest-app", Some("1.0"))],
        remove: vec!["pmtest-new".into(), "pmtest-dep".into()],
        purge: false,
    };
    assert_eq!(
        run(&restore),
        [
            "install",
            "--allow-downgrades",
            "--",
            "pmtest-hello=1.0",
            "pmtest-app=1.0",
            "pmtest-new-",
            "pmtest-dep-"
        ]
    );
}

#[test]
fn security_only_installs_exactly_the_security_candidates() {
    let ups = || -> Result<Arc<Vec<Patch>>, BackendError> {
        Ok(Arc::new(vec![
            patch("pmtest-hello", "all", "1.1", false),
            patch("pmtest-lib", "all", "1.0.1", true),
            patch("libc6", "amd64", "2.36-9+deb12u4", true),
        ]))
    };
    let sec = |p: &[&str]| Operation::Upgrade {
        packages: p.iter().map(|s| s.to_string()).collect(),
        security_only: true,
    };
    let got = plan(&sec(&[]), &installed(), &ups).unwrap();
    assert_eq!(
        got,
        Prepared::Run(
            [
                "install",
                "--only-upgrade",
                "--",
                "pmtest-lib=1.0.1",
                "libc6:amd64=2.36-9+deb12u4"
            ]
            .map(String::from)
            .to_vec()
        )
    );
    let got = plan(&sec(&["pmtest-lib", "pmtest-hello"]), &installed(), &ups).unwrap();
    assert_eq!(
        got,
        Prepared::Run(
            ["install", "--only-upgrade", "--", "pmtest-lib=1.0.1"]
                .map(String::from)
                .to_vec()
        )
    );
    let got = plan(&sec(&["pmtest-hello"]), &installed(), &ups).unwrap();
    assert_eq!(got, Prepared::Nothing("no security updates pending".into()));
    let failing =
        || -> Result<Arc<Vec<Patch>>, BackendError> { Err(BackendError::Command("sim broke".into())) };
    assert_eq!(
        plan(&sec(&[]), &installed(), &failing),
        Err(RunError::Backend(BackendError::Command("sim broke".into())))
    );
}

#[test]
fn empty_operations_do_nothing() {
    for op in [
        Operation::Install { packages: vec![] },
        Operation::Restore {
            install: vec![],
            remove: vec![],
            purge: false,
        },
    ] {
        assert!(
            matches!(plan(&op, &installed(), &no_upgrades), Ok(Prepared::Nothing(_))),
            "{op:?}"
        );
    }
}

#[test]
fn refusals_before_apt_runs() {
    let m = refusal(&Operation::Update {
        package: spec("pmtest-hello", Some("1.0")),
        allow_downgrade: false,
    });
    assert!(
        m.contains("downgrade the installed 1.1") && m.contains("allow_downgrade"),
        "{m}"
    );
    let m = refusal(&Operation::Update {
        package: spec("pmtest-gone", None),
        allow_downgrade: false,
    });
    assert!(
        m.contains("not installed"),
        "config-files only is not installed: {m}"
    );
    let m = refusal(&Operation::Update {
        package: spec("libc6:arm64", None),
        allow_downgrade: true,
    });
    assert!(m.contains("not installed"), "{m}");
    let m = refusal(&Operation::Install {
        packages: vec![spec("pmtest-hello", None), spec("-oAPT::Get::Foo=1", None)],
    });
    assert!(m.contains("must start with a lowercase letter"), "{m}");
    let m = refusal(&Operation::Install {
        packages: vec![spec("pmtest-hello", Some("1.0;id"))],
    });
    assert!(m.contains("contains ';'"), "{m}");
    let m = refusal(&Operation::Install {
        packages: vec![spec("pmtest-app-", None)],
    });
    assert!(m.contains("trailing '-'"), "{m}");
    let m = refusal(&Operation::Remove {
        name: "pmtest-app+".into(),
        purge: false,
    });
    assert!(m.contains("not installed") && m.contains("'+'"), "{m}");
    let m = refusal(&Operation::Restore {
        install: vec![],
        remove: vec!["pmtest-x-".into()],
        purge: false,
    });
    assert!(m.contains("'-'"), "{m}");
    let m = refusal(&Operation::Upgrade {
        packages: vec!["foo bar".into()],
        security_only: false,
    });
    assert!(m.contains("contains ' '"), "{m}");
    assert_eq!(
        install_arg(&spec("pmtest-app-", Some("1.0"))),
        Ok("pmtest-app-=1.0".into())
    );
}
