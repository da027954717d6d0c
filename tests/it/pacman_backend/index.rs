//! The index side: `-Syy` picks up a republished repository, an unreachable one is an error, a missing
//! package file is a fetch error, and whether a package (version) is obtainable.

use super::{backend, base, host_unchanged, spec, state, LIMITS};
use linux_patch_api::backend::{Operation, PackageBackend, RunError};
use linux_patch_tests::pacman::{pacman_sandbox, repos_dir};
use std::time::Duration;

#[test]
fn refresh_follows_the_repository_and_reports_an_unreachable_one() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        let b = backend(&sb);
        assert_eq!(b.upgrades().unwrap().len(), 3);
        // Republished "back" to the old set, built in the same second: only a forced -Syy notices.
        sb.set_server(&repos_dir().join("repo/old"));
        b.refresh_index(Duration::from_secs(60)).unwrap();
        assert!(
            b.upgrades().unwrap().is_empty(),
            "the old repository has exactly what is installed"
        );
        sb.set_server(&repos_dir().join("repo/new"));
        b.refresh_index(Duration::from_secs(60)).unwrap();
        assert_eq!(b.upgrades().unwrap().len(), 3);

        sb.set_server(&sb.scratch().join("no-such-repo"));
        let e = b.refresh_index(Duration::from_secs(60)).unwrap_err().to_string();
        assert!(e.contains("pacman -Syy failed") && e.contains("pmtest"), "{e}");
        assert!(!sb.dbpath().join("db.lck").exists());
    });
}

#[test]
fn a_missing_package_file_is_a_fetch_error() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        let b = backend(&sb);
        // A repository whose database lists packages whose files are gone (a mirror mid-update).
        let broken = sb.scratch().join("broken-repo");
        std::fs::create_dir_all(&broken).unwrap();
        std::fs::copy(repos_dir().join("repo/new/pmtest.db"), broken.join("pmtest.db")).unwrap();
        sb.set_server(&broken);
        b.refresh_index(Duration::from_secs(60)).unwrap();
        let op = Operation::Install {
            packages: vec![spec("pmtest-new", None)],
        };
        match b.execute(&op, &LIMITS, &mut super::Recorder::default()) {
            Err(RunError::Failed {
                exit_code: Some(1),
                message,
                fetch_error: true,
            }) => assert!(message.contains("failed retrieving file"), "{message}"),
            other => panic!("want a fetch error, got {other:?}"),
        }
        assert_eq!(state(&sb, &b), base());
    });
}

#[test]
fn obtainable_from_the_repository_or_the_cache() {
    host_unchanged(|| {
        let sb = pacman_sandbox();
        let b = backend(&sb);
        let ok = |n: &str, v: Option<&str>| b.check_obtainable(&spec(n, v));
        assert_eq!(ok("pmtest-new", None), Ok(()));
        assert_eq!(ok("pmtest-hello", None), Ok(()), "installed");
        assert_eq!(ok("pmtest-hello", Some("1.1-1")), Ok(()), "in the repository");
        assert_eq!(ok("pmtest-hello", Some("1.1")), Ok(()), "pkgrel left out");
        assert_eq!(
            ok("pmtest-hello", Some("1.0-1")),
            Ok(()),
            "installed at that version"
        );
        let e = ok("pmtest-nope", None).unwrap_err();
        assert!(e.contains("target not found"), "{e}");
        let e = ok("pmtest-hello", Some("0.5-1")).unwrap_err();
        assert!(
            e.contains("cannot be obtained") && e.contains("the repositories offer 1.1-1"),
            "{e}"
        );
        assert!(ok("-Syu", None).is_err() && ok("pmtest-hello", Some("1;x")).is_err());
        // After the upgrade, the old version is only in the cache: a -Up dry run vouches for it.
        sb.pacman(&["-S", "pmtest-lib"]);
        assert_eq!(ok("pmtest-lib", Some("1.0-1")), Ok(()));
        std::fs::remove_file(sb.cachedir().join("pmtest-lib-1.0-1-any.pkg.tar.zst")).unwrap();
        assert!(ok("pmtest-lib", Some("1.0-1")).is_err());
    });
}
