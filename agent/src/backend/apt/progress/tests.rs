//! Progress, failure and `apt-get update` parsing against transcripts recorded from apt 2.6 / dpkg 1.21.

use super::{failure_message, is_fetch_error, parse_plan, update_failure, Plan, Tracker};

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).collect()
}

const INSTALL: &str = "Reading package lists...
Building dependency tree...
Reading state information...
The following NEW packages will be installed:
  pmtest-dep pmtest-new
0 upgraded, 2 newly installed, 0 to remove and 2 not upgraded.
Need to get 0 B/1440 B of archives.
Get:1 file:/tmp/r/main ./ pmtest-dep 1.0 [710 B]
Get:2 file:/tmp/r/main ./ pmtest-new 1.0 [730 B]
Selecting previously unselected package pmtest-dep.
(Reading database ... 13 files and directories currently installed.)
Preparing to unpack .../pmtest-dep_1.0_all.deb ...
Unpacking pmtest-dep (1.0) ...
Selecting previously unselected package pmtest-new.
Preparing to unpack .../pmtest-new_1.0_all.deb ...
Unpacking pmtest-new (1.0) ...
Setting up pmtest-dep (1.0) ...
Setting up pmtest-new (1.0) ...";

#[test]
fn plan_lines_count_downloads_and_dpkg_steps() {
    assert_eq!(
        parse_plan("0 upgraded, 2 newly installed, 0 to remove and 2 not upgraded."),
        Some(Plan { fetches: 2, steps: 4 })
    );
    assert_eq!(
        parse_plan("0 upgraded, 0 newly installed, 1 downgraded, 1 to remove and 1 not upgraded."),
        Some(Plan { fetches: 1, steps: 3 })
    );
    assert_eq!(
        parse_plan("1 upgraded, 0 newly installed, 2 reinstalled, 0 to remove and 0 not upgraded."),
        Some(Plan { fetches: 3, steps: 6 })
    );
    assert_eq!(parse_plan("Reading package lists..."), None);
    assert_eq!(
        parse_plan("x upgraded, 0 newly installed, 0 to remove and 0 not upgraded."),
        None
    );
}

#[test]
fn install_transcript_gives_monotonic_percent_and_phases() {
    let mut t = Tracker::default();
    let got: Vec<(u8, String)> = lines(INSTALL).iter().filter_map(|l| t.observe(l)).collect();
    let pcts: Vec<u8> = got.iter().map(|g| g.0).collect();
    assert_eq!(pcts, vec![10, 20, 39, 59, 79, 99]);
    let phases: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
    assert_eq!(
        phases,
        vec![
            "downloading",
            "downloading",
            "unpacking pmtest-dep",
            "unpacking pmtest-new",
            "setting up pmtest-dep",
            "setting up pmtest-new"
        ]
    );
    assert_eq!(t.finish(), (100, "done"));
}

#[test]
fn purge_and_unknown_counts_never_go_backwards_or_reach_100() {
    // A purge prints two dpkg lines for one planned removal; a run without a plan line still moves.
    let mut t = Tracker::default();
    let mut seen = Vec::new();
    for l in [
        "0 upgraded, 0 newly installed, 1 to remove and 0 not upgraded.",
        "Removing pmtest-new (1.0) ...",
        "Purging configuration files for pmtest-new (1.0) ...",
        "Removing pmtest-dep (1.0) ...",
    ] {
        seen.extend(t.observe(l).map(|p| p.0));
    }
    assert_eq!(seen, vec![99, 99, 99]);
    let mut t = Tracker::default();
    let a = t.observe("Setting up pmtest-x (1.0) ...").unwrap();
    assert_eq!(a, (20, "setting up pmtest-x".to_string()));
    // A pending configure announced by apt adds a step.
    let mut t = Tracker::default();
    t.observe("0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.");
    t.observe("1 not fully installed or removed.");
    assert_eq!(t.observe("Unpacking pmtest-hello (1.0) ...").unwrap().0, 46);
}

#[test]
fn failures_keep_the_decisive_lines_and_spot_fetch_errors() {
    let out = lines(
        "Reading package lists...\n\
         E: Unable to locate package pmtest-nope\n\
         E: Version '9.9' for 'pmtest-hello' was not found\n\
         E: Unable to locate package pmtest-nope",
    );
    assert_eq!(
        failure_message(&out),
        "E: Unable to locate package pmtest-nope | E: Version '9.9' for 'pmtest-hello' was not found"
    );
    assert!(!is_fetch_error(&out));
    let dpkg = lines(
        "Setting up pmtest-bad (1.0) ...\n\
         dpkg: error processing package pmtest-bad (--configure):\n \
         installed pmtest-bad package post-installation script subprocess returned error exit status 1\n\
         E: Sub-process /usr/bin/dpkg returned an error code (1)",
    );
    assert_eq!(
        failure_message(&dpkg),
        "dpkg: error processing package pmtest-bad (--configure): | E: Sub-process /usr/bin/dpkg returned an error code (1)"
    );
    let fetch = lines(
        "Err:1 file:/tmp/r/main ./ pmtest-new 1.0\n  File not found - /tmp/r/main/./pmtest-new_1.0_all.deb\n\
         E: Failed to fetch file:/tmp/r/main/./pmtest-new_1.0_all.deb  File not found\n\
         E: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?",
    );
    assert!(is_fetch_error(&fetch));
    assert!(is_fetch_error(&lines(
        "Err:2 http://x/debian bookworm/main pkg 1.0\n  404  Not Found [IP: 1.2.3.4 80]"
    )));
    assert_eq!(
        failure_message(&lines("one\n\ntwo\nthree\nfour\n")),
        "two | three | four"
    );
    assert_eq!(failure_message(&[]), "no error message in the output");
}

#[test]
fn update_failures_name_the_repository_even_when_apt_exits_0() {
    let ok = lines(
        "Get:1 file:/tmp/r/main ./ InRelease\nIgn:1 file:/tmp/r/main ./ InRelease\n\
         Get:2 file:/tmp/r/main ./ Release [908 B]\nReading package lists...\n\
         W: Target Packages is configured multiple times in /etc/apt/sources.list:1",
    );
    assert_eq!(update_failure(&ok, true), None);
    let warn_only = lines(
        "Ign:4 http://127.0.0.1:9 ./ InRelease\nErr:4 http://127.0.0.1:9 ./ InRelease\n  \
         Could not connect to 127.0.0.1:9 (127.0.0.1). - connect (111: Connection refused)\n\
         Reading package lists...\n\
         W: Failed to fetch http://127.0.0.1:9/./InRelease  Could not connect to 127.0.0.1:9\n\
         W: Some index files failed to download. They have been ignored, or old ones used instead.",
    );
    let m = update_failure(&warn_only, true).unwrap();
    assert!(
        m.starts_with("apt-get update could not fetch repository http://127.0.0.1:9 ./: W: Failed to fetch"),
        "{m}"
    );
    assert!(m.contains("W: Some index files failed"), "{m}");
    let missing = lines(
        "Err:7 file:/tmp/pm-none ./ Packages\n  File not found - /tmp/pm-none/./Packages.gz\n\
         Err:7 file:/tmp/pm-none ./ Packages\n  File not found - /tmp/pm-none/./Packages\n\
         E: Failed to fetch file:/tmp/pm-none/./Packages  File not found\n\
         E: Some index files failed to download. They have been ignored, or old ones used instead.",
    );
    let m = update_failure(&missing, false).unwrap();
    assert!(m.contains("repository file:/tmp/pm-none ./: E: Failed"), "{m}");
    let no_err_lines = lines(
        "W: Failed to fetch http://a/x/InRelease  Temporary failure\nW: Failed to fetch http://b/y  404",
    );
    let m = update_failure(&no_err_lines, true).unwrap();
    assert!(m.contains("repository http://a/x/InRelease, http://b/y: "), "{m}");
    assert_eq!(
        update_failure(&lines("Segmentation fault"), false).unwrap(),
        "apt-get update could not fetch a repository: Segmentation fault"
    );
}
