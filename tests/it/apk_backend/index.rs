//! `refresh_index` (apk update, whose unreadable-repository failure is only a WARNING) and
//! `check_obtainable` (apk add --simulate) on the fake, with their exact command lines.

use super::{backend, read_argv, spec};
use linux_patch_api::backend::PackageBackend;
use linux_patch_tests::apk::{apk_sandbox, ApkVersion};
use std::time::Duration;

#[test]
fn refresh_fails_on_an_unreadable_repository_although_apk_exits_0() {
    for version in [ApkVersion::V2, ApkVersion::V3] {
        let f = apk_sandbox(version);
        let b = backend(&f);
        b.refresh_index(Duration::from_secs(30)).unwrap();
        f.add_missing_repository();
        let e = b.refresh_index(Duration::from_secs(30)).unwrap_err().to_string();
        let missing = f.work().join("apk/missing-repo").display().to_string();
        assert!(
            e.contains("apk update could not read repository") && e.contains(&missing),
            "{e}"
        );
        assert!(e.contains("No such file or directory"), "{e}");
        assert_eq!(f.take_argv(), [read_argv(&["update"]), read_argv(&["update"])]);
        f.remove_missing_repository();
        b.refresh_index(Duration::from_secs(30)).unwrap();
    }
}

#[test]
fn obtainable_is_decided_by_apks_simulation() {
    let f = apk_sandbox(ApkVersion::V2);
    let b = backend(&f);
    let before = f.installed();
    assert_eq!(b.check_obtainable(&spec("pmtest-hello", Some("1.1-r0"))), Ok(()));
    assert_eq!(b.check_obtainable(&spec("pmtest-hello", None)), Ok(()));
    assert_eq!(
        b.check_obtainable(&spec("pmtest-nosuch", None)),
        Err(
            "ERROR: unable to select packages: pmtest-nosuch (no such package): \
             required by: world[pmtest-nosuch]"
                .to_string()
        ),
        "SAMPLES.md block 13"
    );
    assert_eq!(
        b.check_obtainable(&spec("pmtest-hello", Some("9.9-r0"))),
        Err("ERROR: unable to select packages: pmtest-hello-1.0-r0: \
             breaks: world[pmtest-hello=9.9-r0]"
            .to_string()),
        "block 14's message (with the version installed here)"
    );
    assert!(b.check_obtainable(&spec("-u", None)).is_err());
    assert!(b.check_obtainable(&spec("pmtest-hello", Some("1.0;id"))).is_err());
    assert_eq!(
        f.take_argv(),
        [
            read_argv(&["add", "--simulate", "--", "pmtest-hello=1.1-r0"]),
            read_argv(&["add", "--simulate", "--", "pmtest-hello"]),
            read_argv(&["add", "--simulate", "--", "pmtest-nosuch"]),
            read_argv(&["add", "--simulate", "--", "pmtest-hello=9.9-r0"]),
        ],
        "invalid names and versions never reach apk"
    );
    assert_eq!(f.installed(), before, "simulation changes nothing");
}
