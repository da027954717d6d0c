//! Output parsing on apk's recorded output (tests/fixtures/apk/SAMPLES.md; block numbers in the names).

use super::{failure_message, is_fetch_error, not_removed, update_failure, Tracker};

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).collect()
}

/// Block 2 (apk-tools 2.14.10).
const ADD_PINNED: &str = "\
(1/3) Installing pmtest-lib (1.0-r0)
(2/3) Installing pmtest-app (1.0-r0)
(3/3) Installing pmtest-hello (1.0-r0)
OK: 0 MiB in 3 packages
";

/// Block 13 (both versions), stderr.
const NO_SUCH: &str = "\
ERROR: unable to select packages:
  pmtest-nosuch (no such package):
    required by: world[pmtest-nosuch]
";

/// Block 14 (both versions), stderr.
const BREAKS: &str = "\
ERROR: unable to select packages:
  pmtest-hello-1.1-r0:
    breaks: world[pmtest-hello=9.9-r0]
";

/// Block 15 (apk-tools 3.0.6), stdout.
const DEL_NEEDED: &str = "\
World updated, but the following packages are not removed due to:
  pmtest-lib: pmtest-app

OK: 56 B in 3 packages
";

#[test]
fn progress_is_monotonic_across_commands_and_names_the_phase() {
    let mut t = Tracker::new(2);
    let mut seen = vec![t.start(0)];
    seen.extend(lines(ADD_PINNED).iter().filter_map(|l| t.observe(l)));
    seen.push(t.start(1));
    seen.extend(t.observe("(1/1) Upgrading pmtest-hello (1.0-r0 -> 1.1-r0)"));
    let got: Vec<(u8, &str)> = seen.iter().map(|(p, s)| (*p, s.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (0, "starting"),
            (0, "installing pmtest-lib"),
            (16, "installing pmtest-app"),
            (33, "installing pmtest-hello"),
            (49, "starting"),
            (49, "upgrading pmtest-hello"),
        ]
    );
    // A re-executed apk (self-upgrade) restarts its counter: the percentage does not go back.
    assert_eq!(t.observe("(1/9) Purging x (1)").map(|p| p.0), Some(49));
    for junk in [
        "OK: 0 MiB in 3 packages",
        "(0/1) x",
        "(2/1) x",
        "(a/b) x",
        "Executing busybox-1.36.1-r15.trigger",
    ] {
        assert_eq!(t.observe(junk), None, "{junk}");
    }
}

#[test]
fn failure_messages_keep_apks_explanation() {
    assert_eq!(
        failure_message(&lines(NO_SUCH)),
        "ERROR: unable to select packages: pmtest-nosuch (no such package): required by: world[pmtest-nosuch]"
    );
    assert_eq!(
        failure_message(&lines(BREAKS)),
        "ERROR: unable to select packages: pmtest-hello-1.1-r0: breaks: world[pmtest-hello=9.9-r0]"
    );
    assert_eq!(failure_message(&lines("a\n\nb\nc\nd\n")), "b | c | d");
    assert_eq!(failure_message(&[]), "no error message in the output");
    assert!(!is_fetch_error(&lines(NO_SUCH)) && !is_fetch_error(&lines(BREAKS)));
}

#[test]
fn fetch_errors_are_told_from_lock_errors() {
    // Not recorded (no network in the recordings): the wording of apk-tools 2.14's libfetch errors.
    assert!(is_fetch_error(&lines(
        "ERROR: pmtest-hello-1.1-r0: network error (check Internet connection and firewall)"
    )));
    assert!(is_fetch_error(&lines(
        "ERROR: https://example.invalid/x86_64/pmtest-hello-1.1-r0.apk: 404 Not Found"
    )));
    assert!(!is_fetch_error(&lines(
        "ERROR: Unable to lock database: temporary error (try again later)\n\
         ERROR: Failed to open apk database: temporary error (try again later)"
    )));
}

#[test]
fn del_of_a_needed_package_is_seen() {
    assert_eq!(
        not_removed(&lines(DEL_NEEDED)),
        vec![("pmtest-lib".to_string(), "pmtest-app".to_string())]
    );
    let block11 =
        "(1/2) Purging pmtest-app (1.0-r0)\n(2/2) Purging pmtest-lib (1.0-r0)\nOK: 0 MiB in 1 packages\n";
    assert!(not_removed(&lines(block11)).is_empty());
}

#[test]
fn update_warnings_are_failures() {
    let ok = lines("pmtest [$WORK/apk/repo]\nOK: 4 distinct packages available\n");
    assert_eq!(update_failure(&ok, &[], true), None, "block 1");
    let w2 = lines("WARNING: opening $WORK/apk/missing-repo: No such file or directory");
    assert_eq!(
        update_failure(&ok, &w2, true).unwrap(),
        "apk update could not read repository $WORK/apk/missing-repo: \
         WARNING: opening $WORK/apk/missing-repo: No such file or directory",
        "block 16, apk-tools 2.14.10"
    );
    let w3 =
        lines("WARNING: opening $WORK/apk/missing-repo/x86_64/APKINDEX.tar.gz: No such file or directory");
    assert!(
        update_failure(&ok, &w3, true).unwrap().starts_with(
            "apk update could not read repository $WORK/apk/missing-repo/x86_64/APKINDEX.tar.gz: "
        ),
        "block 16, apk-tools 3.0.6"
    );
    let old = lines("WARNING: This apk-tools is OLD! Some packages might not function properly.");
    assert_eq!(update_failure(&ok, &old, true), None);
    let summary = lines("1 unavailable, 0 stale; 4 distinct packages available");
    assert!(update_failure(&summary, &[], true)
        .unwrap()
        .contains("1 unavailable"));
    assert!(update_failure(&[], &lines("boom"), false)
        .unwrap()
        .contains("boom"));
}
