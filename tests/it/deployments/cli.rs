//! `linux-patch-manager window add` and `deployment create|list` against a prepared manager's database:
//! the same services as the console (audited as `cli`), clear refusals with nothing created.

use linux_patch_manager::db::models::Host;
use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::manager::{cli, ManagerProc};

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn windows_and_deployments_from_the_command_line() {
    let m = ManagerProc::prepare_configured("");
    let now = SystemClock.now();
    for (name, ip) in [("a.test", "10.9.0.1"), ("b.test", "10.9.0.2")] {
        Host::insert(&mut m.db().conn(), name, ip, 12443, now).unwrap();
    }
    let p = m.prefix();
    let spec = r#"{"kind":{"type":"daily"},"start":"02:00","duration_minutes":120,"time_zone":"UTC"}"#;
    let o = cli(
        p,
        &[
            "window", "add", "--hosts", "all", "--spec", spec, "--name", "nightly",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("window added to 2 hosts"), "{}", text(&o));

    let o = cli(
        p,
        &[
            "deployment",
            "create",
            "--hosts",
            "a.test",
            "--operation",
            "security_only",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("each host starts at its next window"),
        "{}",
        text(&o)
    );
    let o = cli(p, &["deployment", "list"]);
    assert!(
        text(&o).contains("security_only") && text(&o).contains("waiting_window 1"),
        "{}",
        text(&o)
    );

    // Refusals: exit 5 with the reason, nothing created.
    for (args, says) in [
        (
            vec!["deployment", "create", "--hosts", "nope.test"],
            "no host named",
        ),
        (
            vec![
                "deployment",
                "create",
                "--hosts",
                "all",
                "--operation",
                "format_disk",
            ],
            "operation",
        ),
        (
            vec![
                "window",
                "add",
                "--hosts",
                "all",
                "--spec",
                r#"{"kind":{"type":"weekly","weekdays":[]},"start":"02:00","duration_minutes":60}"#,
            ],
            "weekdays",
        ),
    ] {
        let o = cli(p, &args);
        assert_eq!(o.status.code(), Some(5), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    }
    let o = cli(p, &["deployment", "list"]);
    assert_eq!(text(&o).lines().count(), 1, "{}", text(&o));
    let audit = linux_patch_manager::audit::recent(&mut m.db().conn(), None, 20).unwrap();
    assert!(audit
        .iter()
        .any(|a| a.action == "deployment.create" && a.actor == "cli"));
    assert!(audit
        .iter()
        .any(|a| a.action == "window.create" && a.actor == "cli"));
}
