//! Index-side calls and fetch failures: check_obtainable, version validation, refresh_index (success,
//! cache invalidation, a broken repository named), and a missing archive reported as a fetch error.

use super::{backend, host_status, s, spec, state, Recorder, BASE, LIMITS};
use linux_patch_api::backend::{BackendError, Operation, PackageBackend, RunError};
use linux_patch_tests::apt::{apt_sandbox, repos_dir};
use std::path::Path;
use std::time::Duration;

#[test]
fn check_obtainable_and_validation_answer_in_apts_words() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    for ok in [
        spec("pmtest-hello", None),
        spec("pmtest-hello", Some("1.0")),
        spec("pmtest-hello", Some("1.1")),
        spec("pmtest-new", None),
    ] {
        assert_eq!(b.check_obtainable(&ok), Ok(()), "{ok:?}");
    }
    let e = b.check_obtainable(&spec("pmtest-nope", None)).unwrap_err();
    assert_eq!(e, "Unable to locate package pmtest-nope");
    let e = b
        .check_obtainable(&spec("pmtest-hello", Some("9.9")))
        .unwrap_err();
    assert_eq!(e, "Version '9.9' for 'pmtest-hello' was not found");
    let e = b.check_obtainable(&spec("-oAPT::Get::Foo", None)).unwrap_err();
    assert!(e.contains("must start"), "{e}");
    let e = b.check_obtainable(&spec("pmtest-app-", None)).unwrap_err();
    assert!(e.contains("trailing '-'"), "removal disguised as an install: {e}");
    assert_eq!(b.validate_version("1:1.0.1-2+deb12u1"), Ok(()));
    assert!(b.validate_version("-1.0").is_err());
    assert_eq!(state(&sb, &b), s(&BASE), "simulation only");
    assert_eq!(host_status(), host);
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file() && e.file_name() != "lock")
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn refresh_index_refetches_lists_and_names_a_broken_repository() {
    let host = host_status();
    let sb = apt_sandbox();
    let b = backend(&sb);
    assert_eq!(b.upgrades().unwrap().len(), 2);
    let lists = sb.root().join("var/lib/apt/lists");
    let fetched = files_in(&lists);
    assert!(fetched.iter().any(|f| f.ends_with("_Packages")), "{fetched:?}");
    for f in &fetched {
        std::fs::remove_file(lists.join(f)).unwrap();
    }
    assert!(
        b.upgrades().unwrap().is_empty(),
        "no indexes, no candidates (cache keyed on the lists)"
    );
    b.refresh_index(Duration::from_secs(60)).unwrap();
    assert_eq!(files_in(&lists), fetched, "the lists are back");
    assert_eq!(b.upgrades().unwrap().len(), 2, "and the upgrade cache saw it");

    let missing = sb.root().join("no-such-repo");
    std::fs::write(
        sb.root().join("etc/apt/sources.list.d/broken.list"),
        format!("deb [trusted=yes] file:{} ./\n", missing.display()),
    )
    .unwrap();
    match b.refresh_index(Duration::from_secs(60)) {
        Err(BackendError::Command(m)) => {
            assert!(
                m.contains(&format!("file:{} ./", missing.display())),
                "names the repository: {m}"
            )
        }
        other => panic!("want an error naming the repository, got {other:?}"),
    }
    assert_eq!(host_status(), host);
}

#[test]
fn missing_archive_is_a_fetch_error() {
    let host = host_status();
    let sb = apt_sandbox();
    // A private copy of `main` whose pmtest-new .deb disappears after the index was fetched.
    let mirror = sb.root().join("mirror");
    std::fs::create_dir(&mirror).unwrap();
    for e in std::fs::read_dir(repos_dir().join("repo/main")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), mirror.join(e.file_name())).unwrap();
    }
    std::fs::write(
        sb.root().join("etc/apt/sources.list"),
        format!(
            "deb [trusted=yes] file:{} ./\ndeb [trusted=yes] file:{}/repo/security ./\n",
            mirror.display(),
            repos_dir().display()
        ),
    )
    .unwrap();
    sb.apt_get(&["update"]);
    std::fs::remove_file(mirror.join("pmtest-new_1.0_all.deb")).unwrap();
    let b = backend(&sb);
    let mut rec = Recorder::default();
    match b.execute(
        &Operation::Install {
            packages: vec![spec("pmtest-new", None)],
        },
        &LIMITS,
        &mut rec,
    ) {
        Err(RunError::Failed {
            exit_code: Some(100),
            message,
            fetch_error: true,
        }) => {
            assert!(
                message.contains("E: Failed to fetch") || message.contains("Unable to fetch"),
                "{message}"
            )
        }
        other => panic!("want a fetch error, got {other:?}\n{:#?}", rec.lines),
    }
    assert!(
        rec.percents.iter().all(|p| p.0 < 100),
        "no 100 on failure: {:?}",
        rec.percents
    );
    assert_eq!(state(&sb, &b), s(&BASE));
    assert_eq!(host_status(), host);
}
