//! The failures apk does not report by its exit code (`apk del` keeping a needed package) and the time
//! limit, on the fake.

use super::{backend, backend_with, change_argv, exec_err, spec, Recorder, LIMITS};
use linux_patch_api::backend::{Operation, PackageBackend, RunError, RunLimits};
use linux_patch_tests::agent::wait_a_little;
use linux_patch_tests::apk::{apk_sandbox, ApkVersion};
use std::time::{Duration, Instant};

const BASE: [&str; 3] = ["pmtest-app=1.0-r0", "pmtest-hello=1.0-r0", "pmtest-lib=1.0-r0"];

#[test]
fn del_of_a_needed_package_is_a_failure_and_the_world_is_put_back() {
    for version in [ApkVersion::V2, ApkVersion::V3] {
        let f = apk_sandbox(version);
        let b = backend(&f);
        // Not in world (only pmtest-app needs it): block 15.
        let (e, rec) = exec_err(
            &b,
            Operation::Remove {
                name: "pmtest-lib".into(),
                purge: false,
            },
        );
        match &e {
            RunError::Failed {
                exit_code: Some(0),
                message,
                fetch_error: false,
            } => {
                assert_eq!(
                    message,
                    "apk del did not remove pmtest-lib (still needed by pmtest-app)"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(rec.has("World updated, but the following packages are not removed due to:"));
        assert_eq!(f.take_argv(), [change_argv(&["del", "--", "pmtest-lib"])]);
        assert_eq!(f.installed(), BASE);

        // In world too: apk del drops the world entry although it keeps the package; it is put back.
        f.apk_ok(&["add", "pmtest-lib"]);
        let world = f.world();
        assert!(world.contains(&"pmtest-lib".to_string()));
        let (e, _) = exec_err(
            &b,
            Operation::Remove {
                name: "pmtest-lib".into(),
                purge: false,
            },
        );
        assert!(e.to_string().contains("world entry pmtest-lib put back"), "{e}");
        assert_eq!(
            f.take_argv(),
            [
                change_argv(&["del", "--", "pmtest-lib"]),
                change_argv(&["add", "--", "pmtest-lib"])
            ]
        );
        assert_eq!(f.world(), world);
        assert_eq!(f.installed(), BASE);
    }
}

#[test]
fn time_limit_kills_apk_and_everything_it_started() {
    let f = apk_sandbox(ApkVersion::V2);
    let pidfile = f.work().join("hang.pid");
    let b = backend_with(
        &f,
        &[
            ("FAKE_APK_HANG", "add"),
            ("FAKE_APK_HANG_PIDFILE", &pidfile.display().to_string()),
        ],
    );
    let limits = RunLimits {
        timeout: Duration::from_secs(2),
        ..LIMITS
    };
    let t = Instant::now();
    let mut rec = Recorder::default();
    let r = b.execute(
        &Operation::Install {
            packages: vec![spec("pmtest-new", None)],
        },
        &limits,
        &mut rec,
    );
    assert_eq!(r, Err(RunError::TimedOut));
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    assert!(
        rec.has("linux-patch-api: apk was killed after 2 s (time limit)"),
        "{:?}",
        rec.lines
    );
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    // A killed process shows as running for a moment while it exits: poll until gone or a zombie.
    let until = Instant::now() + Duration::from_secs(5);
    let survivor = loop {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").trim_start();
        let alive = !stat.is_empty() && !state.starts_with('Z');
        if !alive || Instant::now() >= until {
            break alive.then_some(stat);
        }
        wait_a_little();
    };
    assert_eq!(survivor, None, "the sleep apk started survived the group kill");
    assert_eq!(f.installed(), BASE);
}
