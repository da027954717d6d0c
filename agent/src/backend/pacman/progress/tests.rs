//! Unit tests of progress, failure and fetch-error parsing on recorded pacman 6.0 output.

use super::{failure_message, is_fetch_error, Tracker};

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

/// `pacman -S --noconfirm --noprogressbar --color never -- pmtest-hello pmtest-app linux` in a sandbox.
const INSTALL: &str = "resolving dependencies...
looking for conflicting packages...

Packages (4) pmtest-lib-1.0-1  linux-6.1.0.arch1-1  pmtest-app-1.0-1  pmtest-hello-1.0-1

Total Download Size:   0.00 MiB
Total Installed Size:  0.00 MiB

:: Proceed with installation? [Y/n] 
:: Retrieving packages...
 linux-6.1.0.arch1-1-any downloading...
 pmtest-app-1.0-1-any downloading...
 pmtest-hello-1.0-1-any downloading...
 pmtest-lib-1.0-1-any downloading...
checking keyring...
checking package integrity...
loading package files...
checking for file conflicts...
:: Processing package changes...
installing pmtest-hello...
installing pmtest-lib...
installing pmtest-app...
installing linux...";

#[test]
fn percent_rises_monotonically_through_one_run() {
    let mut t = Tracker::default();
    t.start_run(0, 1);
    let seen: Vec<(u8, String)> = lines(INSTALL).iter().filter_map(|l| t.observe(l)).collect();
    let pcts: Vec<u8> = seen.iter().map(|s| s.0).collect();
    assert!(pcts.windows(2).all(|w| w[0] <= w[1]), "{pcts:?}");
    assert_eq!(seen.first().map(|s| s.1.as_str()), Some("downloading"));
    assert_eq!(seen.last(), Some(&(99, "installing linux".to_string())));
    assert!(
        seen.iter()
            .any(|s| s.1 == "installing pmtest-app" && (50..99).contains(&s.0)),
        "{seen:?}"
    );
    assert_eq!(t.finish(), (100, "done"));
}

#[test]
fn several_runs_share_the_bar() {
    let mut t = Tracker::default();
    t.start_run(0, 2);
    t.observe("Packages (1) pmtest-hello-1.0-1");
    assert_eq!(
        t.observe("downgrading pmtest-hello..."),
        Some((49, "downgrading pmtest-hello".into()))
    );
    t.start_run(1, 2);
    t.observe("Packages (2) pmtest-app-1.0-1  pmtest-lib-1.0-1");
    assert_eq!(
        t.observe("removing pmtest-app...").map(|p| p.0),
        Some(79),
        "never below the first run"
    );
    assert_eq!(t.observe("removing pmtest-lib...").map(|p| p.0), Some(99));
    assert_eq!(t.observe("removing two words..."), None);
    assert_eq!(t.observe(":: Processing package changes..."), None);
}

#[test]
fn failures_name_the_decisive_lines() {
    let out = lines(
        "checking dependencies...\n:: removing pmtest-lib breaks dependency 'pmtest-lib>=1.0' required by pmtest-app\n\
         error: failed to prepare transaction (could not satisfy dependencies)\n",
    );
    assert_eq!(
        failure_message(&out),
        ":: removing pmtest-lib breaks dependency 'pmtest-lib>=1.0' required by pmtest-app | \
         error: failed to prepare transaction (could not satisfy dependencies)"
    );
    assert!(!is_fetch_error(&out));
    assert_eq!(failure_message(&lines("a\nb\nc\nd\n")), "b | c | d");
    assert_eq!(failure_message(&[]), "no error message in the output");
    let fetch = lines(
        "error: failed retrieving file 'pmtest-hello-1.1-1-any.pkg.tar.zst' from x : The requested URL returned error: 404\n\
         warning: failed to retrieve some files\nerror: failed to commit transaction (failed to retrieve some files)",
    );
    assert!(is_fetch_error(&fetch));
}
