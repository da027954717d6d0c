//! The index and the time limit: `makecache` (and its failure on an unreachable repository), whether a
//! package version is obtainable, and an install that hangs killed with its process group.

use super::{backend, base_with, exec, spec, Recorder};
use linux_patch_api::backend::{Operation, PackageBackend, RunError, RunLimits};
use linux_patch_tests::dnf::{dnf_sandbox, host_rpm_fingerprint};
use std::time::{Duration, Instant};

#[test]
fn refresh_obtainable_and_time_limit() {
    let host = host_rpm_fingerprint();
    let sb = dnf_sandbox();
    let b = backend(&sb);

    b.refresh_index(Duration::from_secs(60)).unwrap();
    for ok in [
        spec("pmtest-hello", None),
        spec("pmtest-hello", Some("1.0")),
        spec("pmtest-hello:noarch", Some("1.1-1")),
        spec("pmtest-epoch", Some("1:1.1-1")),
        spec("pmtest-tool", Some("2.0-1")),
    ] {
        assert_eq!(b.check_obtainable(&ok), Ok(()), "{ok:?}");
    }
    for bad in [
        spec("pmtest-nope", None),
        spec("pmtest-hello", Some("9.9")),
        spec("-x", None),
    ] {
        assert!(b.check_obtainable(&bad).is_err(), "{bad:?}");
    }

    sb.add_repo("pmtest-broken", "file:///nonexistent/linux-patch-dnf-repo");
    let e = b.refresh_index(Duration::from_secs(60)).unwrap_err().to_string();
    assert!(e.contains("pmtest-broken"), "{e}");
    sb.remove_repo("pmtest-broken");
    b.refresh_index(Duration::from_secs(60)).unwrap();

    // pmtest-stuck's package file is a FIFO: dnf blocks reading it until the time limit kills it.
    let limits = RunLimits {
        timeout: Duration::from_secs(3),
        lock_timeout: Duration::from_secs(10),
    };
    let mut rec = Recorder::default();
    let t = Instant::now();
    let r = b.execute(
        &Operation::Install {
            packages: vec![spec("pmtest-stuck", None)],
        },
        &limits,
        &mut rec,
    );
    assert_eq!(r, Err(RunError::TimedOut), "{:#?}", rec.lines);
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    assert!(rec.has("killed after 3 s"), "{:#?}", rec.lines);
    assert_eq!(sb.rpm_qa(), base_with(&[]));
    // The root stays usable.
    exec(
        &b,
        Operation::Install {
            packages: vec![spec("pmtest-dep", None)],
        },
    );
    assert_eq!(sb.rpm_qa(), base_with(&["pmtest-dep=1.0-1"]));
    sb.close().unwrap();
    assert_eq!(
        host_rpm_fingerprint(),
        host,
        "the host's rpm/dnf state must not change"
    );
}
