//! The watcher actor against real files: explicit reloads, refusals keeping the old state, and a change
//! picked up through inotify and the debounce.

use super::*;
use crate::reload::candidate::tests::valid_prefix;
use linux_patch_shared::clock::SystemClock;
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn started(paths: &Paths) -> (Arc<EdgeState>, Addr<ConfigWatcher>) {
    let c = reload::load(paths).unwrap();
    let clock: SharedClock = Arc::new(SystemClock);
    let auditor = Auditor::new(clock.clone());
    let edge = Arc::new(EdgeState::new(
        c.cfg.allow.clone(),
        c.tls,
        auditor.clone(),
        clock.clone(),
    ));
    let addr = start(Setup {
        paths: paths.clone(),
        started: c.cfg,
        edge: edge.clone(),
        log: None,
        auditor,
        clock,
    })
    .unwrap();
    (edge, addr)
}

#[actix_rt::test]
async fn valid_changes_apply_and_invalid_ones_keep_the_running_state() {
    let (_d, paths) = valid_prefix();
    let (edge, addr) = started(&paths);
    assert_eq!(
        reload_now(&addr).await.unwrap(),
        ReloadReport::default(),
        "nothing changed yet"
    );

    std::fs::write(&paths.whitelist_file, "allow: [127.0.0.2]\n").unwrap();
    let report = reload_now(&addr).await.unwrap();
    assert_eq!(report.changed, ["allow"]);
    assert!(!edge.allows(ip("127.0.0.1")) && edge.allows(ip("127.0.0.2")));

    std::fs::write(&paths.whitelist_file, "allow:\n  - 127.0.0.1\n  - \"::1\"\n").unwrap();
    let refusal = reload_now(&addr).await.unwrap_err();
    assert_eq!(refusal.field.as_deref(), Some("allow[1]"), "{refusal}");
    assert_eq!(refusal.line, Some(3), "{refusal}");
    assert!(!edge.allows(ip("127.0.0.1")), "the refused list was not applied");
    assert!(edge.allows(ip("127.0.0.2")), "the old list still is");

    std::fs::write(&paths.whitelist_file, "allow: [127.0.0.2]\n").unwrap();
    std::fs::write(&paths.config_file, "server: { port: 4444 }\n").unwrap();
    let report = reload_now(&addr).await.unwrap();
    assert_eq!(report.changed, ["server.port"]);
    assert_eq!(report.restart_required, ["server.port"]);

    let s = status(&addr).await.unwrap();
    assert_eq!(
        (s.applied, s.refused),
        (4, 1),
        "start-up reconcile + 3 explicit reloads, 1 refused"
    );
    assert!(s.last.is_some_and(|l| l.outcome.is_ok()));
    assert!(s.watching.contains(&paths.config_dir), "{:?}", s.watching);
    assert!(
        s.watching.contains(&paths.config_dir.join("certs")),
        "{:?}",
        s.watching
    );
}

#[actix_rt::test]
async fn a_written_file_is_picked_up_through_inotify() {
    let (_d, paths) = valid_prefix();
    let (edge, addr) = started(&paths);
    reload_now(&addr).await.unwrap(); // the start-up reconcile is done: only inotify can notice what follows
    let before = Instant::now();
    // Like an editor: write a temporary file, then rename it over the allow-list.
    let tmp = paths.config_dir.join(".whitelist.yaml.swp");
    std::fs::write(&tmp, "allow: [127.0.0.3]\n").unwrap();
    std::fs::rename(&tmp, &paths.whitelist_file).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !edge.allows(ip("127.0.0.3")) {
        assert!(Instant::now() < deadline, "the change was not picked up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        before.elapsed() >= DEBOUNCE,
        "reloaded before the debounce expired"
    );
    assert!(!edge.allows(ip("127.0.0.1")));
    let s = status(&addr).await.unwrap();
    let last = s.last.unwrap().outcome.unwrap();
    assert_eq!(last.changed, ["allow"]);
}
