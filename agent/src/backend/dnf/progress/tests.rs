//! Progress, failure and refresh parsing on output recorded from dnf 4.14.

use super::{failure_message, is_fetch_error, makecache_failure, Tracker};

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

const INSTALL: &str = "\
pmtest local test repo                          3.4 MB/s | 3.4 kB     00:00
Dependencies resolved.
Transaction Summary
Install  3 Packages
Downloading Packages:
(1/2): pmtest-app-1.0-1.noarch.rpm              1.0 MB/s | 6.0 kB     00:00
(2/2): pmtest-lib-1.0-1.noarch.rpm              1.0 MB/s | 6.0 kB     00:00
Running transaction check
Transaction check succeeded.
Running transaction
  Preparing        :                                                        1/1
  Installing       : pmtest-lib-1.0-1.noarch                                1/3
  Running scriptlet: pmtest-app-1.0-1.noarch                                2/3
  Installing       : pmtest-app-1.0-1.noarch                                2/3
  Upgrading        : pmtest-hello-1.1-1.noarch                              3/4
  Cleanup          : pmtest-hello-1.0-1.noarch                              4/4
  Verifying        : pmtest-app-1.0-1.noarch                                1/3
  Verifying        : pmtest-hello-1.0-1.noarch                              3/3
Total size: 18 k
Complete!";

#[test]
fn percent_is_monotonic_below_100_until_finished() {
    let mut t = Tracker::default();
    let got: Vec<(u8, String)> = lines(INSTALL).iter().filter_map(|l| t.observe(l)).collect();
    let pcts: Vec<u8> = got.iter().map(|g| g.0).collect();
    assert!(pcts.windows(2).all(|w| w[0] <= w[1]), "{pcts:?}");
    assert!(pcts.iter().all(|p| *p < 100), "{pcts:?}");
    assert_eq!(pcts.first(), Some(&5));
    assert_eq!(pcts.last(), Some(&99));
    let phases: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
    for want in [
        "resolving dependencies",
        "downloading",
        "running transaction",
        "installing pmtest-lib-1.0-1.noarch",
        "running scriptlet pmtest-app-1.0-1.noarch",
        "upgrading pmtest-hello-1.1-1.noarch",
        "cleanup pmtest-hello-1.0-1.noarch",
        "verifying pmtest-app-1.0-1.noarch",
    ] {
        assert!(phases.contains(&want), "{want} not in {phases:?}");
    }
    assert!(
        !phases
            .iter()
            .any(|p| p.contains("preparing") || p.contains("total")),
        "{phases:?}"
    );
    assert_eq!(t.finish(), (100, "done"));
}

#[test]
fn decisive_error_lines() {
    let out = lines(
        "pmtest local test repo  3.4 MB/s | 3.4 kB     00:00\n\
         No match for argument: pmtest-nope\n\
         Error: Unable to find a match: pmtest-nope\n\
         Error: Unable to find a match: pmtest-nope",
    );
    assert_eq!(
        failure_message(&out),
        "No match for argument: pmtest-nope | Error: Unable to find a match: pmtest-nope"
    );
    let solver = lines(
        "Error: \n Problem: package pmtest-app-1.0-1.noarch requires pmtest-lib >= 1.0, but none of the providers can be installed\n  - conflicting requests",
    );
    assert!(
        failure_message(&solver).contains("Problem: package pmtest-app"),
        "{}",
        failure_message(&solver)
    );
    assert!(failure_message(&solver).contains("- conflicting requests"));
    assert_eq!(failure_message(&lines("a\nb\nc\nd")), "b | c | d");
    assert_eq!(failure_message(&[]), "no error message in the output");
    assert!(!is_fetch_error(&out));
    assert!(is_fetch_error(&lines(
        "Error: Error downloading packages:\n  Curl error (37): Couldn't read a file:// file"
    )));
}

#[test]
fn makecache_failures_name_the_repository() {
    let failed = lines(
        "broken                                          0.0  B/s |   0  B     00:00\n\
         Errors during downloading metadata for repository 'broken':\n\
         \x20 - Curl error (37): Couldn't read a file:// file for file:///nonexistent/repo/repodata/repomd.xml\n\
         Error: Failed to download metadata for repo 'broken': Cannot download repomd.xml: All mirrors were tried",
    );
    let m = makecache_failure(&failed, false).unwrap();
    assert!(
        m.starts_with("makecache could not fetch repository broken: "),
        "{m}"
    );
    assert!(m.contains("Failed to download metadata"), "{m}");
    let skipped = lines("Ignoring repositories: broken, other\nMetadata cache created.");
    let m = makecache_failure(&skipped, true).unwrap();
    assert!(m.contains("repository broken, other"), "{m}");
    assert_eq!(makecache_failure(&lines("Metadata cache created."), true), None);
    assert!(makecache_failure(&lines("Error: something"), false).is_some());
}
