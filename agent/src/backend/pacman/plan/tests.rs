//! Unit tests of the operation plans against table facts (no pacman needed).

use super::{plan, Facts, Plan, Step};
use crate::backend::pacman::query::Target;
use crate::backend::{BackendError, Operation, PackageSpec, RunError};
use linux_patch_shared::api::agent::{Package, Patch};
use std::path::PathBuf;
use std::sync::Arc;

struct Table {
    installed: Vec<Package>,
    sync: Vec<(&'static str, &'static str)>,
    cache: Vec<(&'static str, &'static str)>,
    security: Vec<&'static str>,
    audit: bool,
}

fn pkg(name: &str, version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        architecture: "any".into(),
        status: "installed".into(),
        summary: None,
        section: None,
        installed_size_kib: None,
        source: None,
        upgradable: None,
        candidate_version: None,
    }
}

fn table() -> Table {
    Table {
        installed: vec![
            pkg("app", "1.0-1"),
            pkg("hello", "1.0-1"),
            pkg("lib", "1.0-1"),
            pkg("local-only", "2-1"),
        ],
        sync: vec![
            ("app", "1.0-1"),
            ("hello", "1.1-1"),
            ("lib", "1.0.1-1"),
            ("new", "1.0-1"),
        ],
        cache: vec![
            ("hello", "1.0-1"),
            ("hello", "0.9-1"),
            ("lib", "1.0-1"),
            ("gone", "3-1"),
        ],
        security: vec!["lib"],
        audit: true,
    }
}

impl Facts for Table {
    fn installed(&self) -> &[Package] {
        &self.installed
    }
    fn sync(&self, name: &str) -> Result<Option<Target>, String> {
        Ok(self.sync.iter().find(|(n, _)| *n == name).map(|(n, v)| Target {
            name: n.to_string(),
            version: v.to_string(),
            repository: "pmtest".into(),
            architecture: "any".into(),
        }))
    }
    fn cached(&self, name: &str, version: &str) -> Option<PathBuf> {
        self.cache
            .iter()
            .find(|(n, v)| *n == name && *v == version)
            .map(|(n, v)| PathBuf::from(format!("/c/{n}-{v}-any.pkg.tar.zst")))
    }
    fn upgrades(&self) -> Result<Arc<Vec<Patch>>, BackendError> {
        let patches = self
            .sync
            .iter()
            .filter_map(|(n, v)| {
                let have = self.installed.iter().find(|p| p.name == *n)?;
                (have.version != *v).then(|| Patch {
                    name: n.to_string(),
                    architecture: "any".into(),
                    installed_version: Some(have.version.clone()),
                    candidate_version: v.to_string(),
                    repository: "pmtest".into(),
                    origins: Vec::new(),
                    security: self.security.contains(n),
                    severity: None,
                    cves: Vec::new(),
                    security_source: "arch-audit".into(),
                    requires_reboot: false,
                })
            })
            .collect();
        Ok(Arc::new(patches))
    }
    fn audit_available(&self) -> bool {
        self.audit
    }
}

fn spec(name: &str, version: Option<&str>) -> PackageSpec {
    PackageSpec {
        name: name.into(),
        version: version.map(str::to_string),
    }
}

fn step(op: &[&str], operands: &[&str]) -> Step {
    Step {
        op: op.iter().map(|s| s.to_string()).collect(),
        operands: operands.iter().map(|s| s.to_string()).collect(),
    }
}

fn steps(op: Operation, t: &Table) -> Vec<Step> {
    plan(&op, t).unwrap_or_else(|e| panic!("{op:?}: {e}")).steps
}

fn refusal(op: Operation, t: &Table) -> String {
    match plan(&op, t) {
        Err(RunError::Failed {
            exit_code: None,
            message,
            ..
        }) => message,
        other => panic!("{op:?}: want a refusal, got {other:?}"),
    }
}

#[test]
fn install_splits_repository_names_and_cached_files() {
    let t = table();
    let op = Operation::Install {
        packages: vec![
            spec("new", None),
            spec("gone", Some("3-1")),
            spec("hello", Some("1.0-1")),
            spec("lib", Some("1.0.1")),
        ],
    };
    let p = plan(&op, &t).unwrap();
    assert_eq!(
        p.steps,
        vec![
            step(&["-U"], &["/c/gone-3-1-any.pkg.tar.zst"]),
            step(&["-S", "--needed"], &["new", "lib"])
        ]
    );
    assert_eq!(p.notes, vec!["hello 1.0-1 is already installed"]);
    let p = plan(
        &Operation::Install {
            packages: vec![spec("local-only", None), spec("app", None)],
        },
        &t,
    )
    .unwrap();
    assert_eq!(p.steps, vec![step(&["-S", "--needed"], &["app"])], "{p:?}");
    assert!(refusal(
        Operation::Install {
            packages: vec![spec("hello", Some("0.9-1"))]
        },
        &t
    )
    .contains("downgrade"));
    assert!(refusal(
        Operation::Install {
            packages: vec![spec("new", Some("7-1"))]
        },
        &t
    )
    .contains("cannot be obtained"));
    assert!(refusal(
        Operation::Install {
            packages: vec![spec("-Syu", None)]
        },
        &t
    )
    .contains("must not start"));
    assert!(refusal(
        Operation::Install {
            packages: vec![spec("x", Some("1;rm"))]
        },
        &t
    )
    .contains("pkgver"));
    assert_eq!(
        plan(&Operation::Install { packages: vec![] }, &t).unwrap(),
        Plan::default()
    );
}

#[test]
fn update_upgrades_downgrades_from_cache_and_refuses() {
    let t = table();
    let up = |name: &str, v: Option<&str>, allow: bool| Operation::Update {
        package: spec(name, v),
        allow_downgrade: allow,
    };
    assert_eq!(
        steps(up("hello", None, false), &t),
        vec![step(&["-S"], &["hello"])]
    );
    assert_eq!(
        steps(up("hello", Some("1.1-1"), false), &t),
        vec![step(&["-S"], &["hello"])]
    );
    assert_eq!(
        steps(up("hello", Some("0.9-1"), true), &t),
        vec![step(&["-U"], &["/c/hello-0.9-1-any.pkg.tar.zst"])]
    );
    assert!(refusal(up("hello", Some("0.9-1"), false), &t).contains("set allow_downgrade"));
    assert!(refusal(up("new", None, false), &t).contains("not installed"));
    assert!(refusal(up("local-only", None, false), &t).contains("no repository"));
    let p = plan(&up("app", None, false), &t).unwrap();
    assert!(p.steps.is_empty() && p.notes[0].contains("already"), "{p:?}");
}

#[test]
fn remove_purge_and_upgrades() {
    let t = table();
    assert_eq!(
        steps(
            Operation::Remove {
                name: "app".into(),
                purge: false
            },
            &t
        ),
        vec![step(&["-R"], &["app"])]
    );
    assert_eq!(
        steps(
            Operation::Remove {
                name: "app".into(),
                purge: true
            },
            &t
        ),
        vec![step(&["-Rn"], &["app"])]
    );
    assert!(refusal(
        Operation::Remove {
            name: "new".into(),
            purge: false
        },
        &t
    )
    .contains("not installed"));
    let all = Operation::Upgrade {
        packages: vec![],
        security_only: false,
    };
    assert_eq!(steps(all, &t), vec![step(&["-Su"], &[])]);
    let listed = Operation::Upgrade {
        packages: vec!["hello".into()],
        security_only: false,
    };
    assert_eq!(steps(listed, &t), vec![step(&["-S", "--needed"], &["hello"])]);
    let listed = Operation::Upgrade {
        packages: vec!["new".into()],
        security_only: false,
    };
    assert!(refusal(listed, &t).contains("not installed"));
}

#[test]
fn security_only_takes_the_flagged_updates_or_says_why_not() {
    let mut t = table();
    let sec = |packages: Vec<String>| Operation::Upgrade {
        packages,
        security_only: true,
    };
    assert_eq!(steps(sec(vec![]), &t), vec![step(&["-S", "--needed"], &["lib"])]);
    let p = plan(&sec(vec!["hello".into()]), &t).unwrap();
    assert!(p.steps.is_empty());
    assert!(p.notes[0].contains("arch-audit flags none"), "{p:?}");
    t.security.clear();
    t.audit = false;
    let p = plan(&sec(vec![]), &t).unwrap();
    assert!(
        p.steps.is_empty() && p.notes[0].contains("arch-audit is not installed"),
        "{p:?}"
    );
}

#[test]
fn restore_installs_files_first_then_removes() {
    let t = table();
    let op = Operation::Restore {
        install: vec![
            spec("hello", Some("0.9-1")),
            spec("lib", Some("1.0.1-1")),
            spec("app", Some("1.0-1")),
        ],
        remove: vec!["local-only".into(), "never-there".into()],
        purge: false,
    };
    let p = plan(&op, &t).unwrap();
    assert_eq!(
        p.steps,
        vec![
            step(&["-U"], &["/c/hello-0.9-1-any.pkg.tar.zst"]),
            step(&["-S"], &["lib"]),
            step(&["-R"], &["local-only"])
        ]
    );
    assert_eq!(
        p.notes,
        vec![
            "app 1.0-1 is already installed",
            "never-there is not installed; nothing to remove"
        ]
    );
    let unpinned = Operation::Restore {
        install: vec![spec("hello", None)],
        remove: vec![],
        purge: false,
    };
    assert!(refusal(unpinned, &t).contains("exact version"));
}
