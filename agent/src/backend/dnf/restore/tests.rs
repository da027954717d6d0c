//! Restore resolution, the undo match on recorded `history info` output, and the replay transaction.

use super::{exact, parse_history_info, pick, replay_file, undo_matches, Nevra};
use crate::backend::PackageSpec;
use linux_patch_shared::api::agent::Package;

fn pkg(name: &str, version: &str, arch: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        architecture: arch.into(),
        status: "installed".into(),
        summary: None,
        section: None,
        installed_size_kib: None,
        source: None,
        upgradable: None,
        candidate_version: None,
    }
}

fn n(s: &str) -> Nevra {
    Nevra::parse(s).unwrap()
}

fn spec(name: &str, v: &str) -> PackageSpec {
    PackageSpec {
        name: name.into(),
        version: Some(v.into()),
    }
}

fn lines(t: &str) -> Vec<String> {
    t.lines().map(str::to_string).collect()
}

const UPGRADE: &str = "\
Transaction ID : 7
Begin time     : Mon Nov 23 18:28:43 2026
Return-Code    : Success
Releasever     : 1
Command Line   : --installroot=/r -y upgrade
Comment        : 
Packages Altered:
    Install  pmtest-dep-1.0-1.noarch   @pmtest
    Upgrade  pmtest-hello-1.1-1.noarch @pmtest
    Upgraded pmtest-hello-1.0-1.noarch @@System
    Reason Change pmtest-lib-1.0-1.noarch @pmtest
Scriptlet output:
   1 hello";

#[test]
fn resolution() {
    let installed = [
        pkg("pmtest-hello", "1.1-1", "noarch"),
        pkg("glibc", "2.34-1", "x86_64"),
        pkg("glibc", "2.34-1", "i686"),
    ];
    assert_eq!(
        exact(&spec("pmtest-hello", "1.0-1"), &installed),
        Some(n("pmtest-hello-1.0-1.noarch"))
    );
    assert_eq!(
        exact(&spec("pmtest-new:noarch", "1:1.0-1"), &installed),
        Some(n("pmtest-new-1:1.0-1.noarch"))
    );
    assert_eq!(
        exact(&spec("pmtest-hello", "1.0"), &installed),
        None,
        "no release"
    );
    assert_eq!(
        exact(&spec("pmtest-new", "1.0-1"), &installed),
        None,
        "arch unknown"
    );
    assert_eq!(
        exact(&spec("glibc", "2.33-1"), &installed),
        None,
        "two arches installed"
    );

    let known = [
        n("pmtest-hello-1.0-1.noarch"),
        n("pmtest-hello-1.0-2.noarch"),
        n("pmtest-hello-1.1-1.noarch"),
        n("glibc-2.33-1.x86_64"),
        n("glibc-2.33-1.i686"),
        n("pmtest-new-1.0-1.x86_64"),
        n("pmtest-new-1.0-1.noarch"),
    ];
    assert_eq!(
        pick(&spec("pmtest-hello", "1.0"), &known, &installed),
        Some(n("pmtest-hello-1.0-2.noarch"))
    );
    assert_eq!(
        pick(&spec("glibc:i686", "2.33"), &known, &installed),
        Some(n("glibc-2.33-1.i686"))
    );
    assert_eq!(
        pick(&spec("pmtest-new", "1.0-1"), &known, &installed),
        Some(n("pmtest-new-1.0-1.noarch"))
    );
    assert_eq!(pick(&spec("pmtest-hello", "0.9"), &known, &installed), None);
}

#[test]
fn undo_only_when_the_last_transaction_is_exactly_the_inverse() {
    let rec = parse_history_info(&lines(UPGRADE)).unwrap();
    assert_eq!(rec.id, "7");
    assert!(rec.succeeded);
    assert_eq!(rec.items.len(), 4);
    assert_eq!(rec.items[3].0, "Reason Change");
    let now = [
        pkg("pmtest-dep", "1.0-1", "noarch"),
        pkg("pmtest-hello", "1.1-1", "noarch"),
        pkg("pmtest-lib", "1.0-1", "noarch"),
    ];
    let back = [n("pmtest-hello-1.0-1.noarch")];
    let rm = ["pmtest-dep:noarch".to_string()];
    assert!(undo_matches(&rec, &back, &rm, &now));
    assert!(undo_matches(&rec, &back, &["pmtest-dep".to_string()], &now));
    assert!(
        !undo_matches(&rec, &back, &[], &now),
        "the undo would also remove pmtest-dep"
    );
    assert!(!undo_matches(&rec, &[n("pmtest-hello-0.9-1.noarch")], &rm, &now));
    let moved_on = [
        pkg("pmtest-dep", "1.0-1", "noarch"),
        pkg("pmtest-hello", "1.2-1", "noarch"),
    ];
    assert!(!undo_matches(&rec, &back, &rm, &moved_on), "changed since");

    let failed = UPGRADE.replace("Return-Code    : Success", "Return-Code    : Failure: 1");
    assert!(!undo_matches(
        &parse_history_info(&lines(&failed)).unwrap(),
        &back,
        &rm,
        &now
    ));
    let partial = UPGRADE.replace("    Upgraded", " ** Upgraded");
    let rec = parse_history_info(&lines(&partial)).unwrap();
    assert!(!rec.items[2].2);
    assert!(!undo_matches(&rec, &back, &rm, &now));
    let obsolete = UPGRADE.replace("    Install ", "    Obsoleted");
    assert!(!undo_matches(
        &parse_history_info(&lines(&obsolete)).unwrap(),
        &back,
        &[],
        &now
    ));
    assert_eq!(
        parse_history_info(&lines("No transaction which manipulates package found.")),
        None
    );
}

#[test]
fn replay_transaction() {
    let now = [
        pkg("pmtest-hello", "1.1-1", "noarch"),
        pkg("pmtest-lib", "1.0-1", "noarch"),
        pkg("pmtest-new", "1.0-1", "noarch"),
        pkg("kernel", "5.14-2", "x86_64"),
        pkg("kernel", "5.14-3", "x86_64"),
    ];
    let (file, notes) = replay_file(
        &[
            n("pmtest-hello-1.0-1.noarch"),
            n("pmtest-lib-1.0.1-1.noarch"),
            n("pmtest-app-1.0-1.noarch"),
            n("kernel-5.14-1.x86_64"),
            n("kernel-5.14-2.x86_64"),
        ],
        &["pmtest-new:noarch".to_string(), "pmtest-gone".to_string()],
        &now,
    );
    let file = file.unwrap();
    assert_eq!(file["version"], "0.0");
    let rpms: Vec<(String, String)> = file["rpms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(
                (r["reason"].as_str(), r["repo_id"].as_str()),
                (Some("user"), Some(""))
            );
            (
                r["action"].as_str().unwrap().to_string(),
                r["nevra"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("Downgrade", "pmtest-hello-1.0-1.noarch"),
        ("Downgraded", "pmtest-hello-1.1-1.noarch"),
        ("Upgrade", "pmtest-lib-1.0.1-1.noarch"),
        ("Upgraded", "pmtest-lib-1.0-1.noarch"),
        ("Install", "pmtest-app-1.0-1.noarch"),
        ("Install", "kernel-5.14-1.x86_64"),
        ("Removed", "pmtest-new-1.0-1.noarch"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(rpms, want);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[1].contains("pmtest-gone is not installed"), "{notes:?}");
    let (none, notes) = replay_file(&[n("pmtest-hello-1.1-1.noarch")], &[], &now);
    assert_eq!((none, notes.len()), (None, 1));
}
