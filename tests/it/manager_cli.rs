//! The real `linux-patch-manager` binary: help, check-config, the embedded database across runs, and
//! `audit verify` catching an edited row.

use diesel::RunQueryDsl;
use linux_patch_tests::agent::workspace_bin;
use linux_patch_tests::pg::{postgres_processes_under, TestDb};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

fn manager(args: &[&str]) -> Output {
    Command::new(workspace_bin("linux-patch-manager"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A prefix with `config.yaml` = `body`; traversable so the cluster's unprivileged user reaches data_dir.
fn prefix(body: &str) -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let etc = d.path().join("etc/linux_patch_manager");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(etc.join("config.yaml"), body).unwrap();
    let p = d.path().to_str().unwrap().to_owned();
    (d, p)
}

#[test]
fn version_and_help() {
    let v = manager(&["--version"]);
    assert_eq!(v.status.code(), Some(0));
    assert!(text(&v.stdout).contains(env!("CARGO_PKG_VERSION")));
    let h = manager(&["--help"]);
    assert_eq!(h.status.code(), Some(0));
    let out = text(&h.stdout);
    for needle in [
        "migrate",
        "user",
        "audit",
        "check-config",
        "--prefix",
        "--config",
        "Exit codes",
        "config.yaml",
    ] {
        assert!(out.contains(needle), "--help lacks {needle}: {out}");
    }
    assert_eq!(manager(&["--no-such-flag"]).status.code(), Some(2));
    assert_eq!(manager(&["user", "create"]).status.code(), Some(2));
}

#[test]
fn check_config_names_file_line_and_field() {
    let (d, p) = prefix("listen: 127.0.0.1:8443\ndatabase:\n  url: null\n  pool_size: 4\n");
    let o = manager(&["--prefix", &p, "check-config"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let e = text(&o.stderr);
    let cfg = d.path().join("etc/linux_patch_manager/config.yaml");
    assert!(e.contains(&format!("{}:4", cfg.display())), "{e}");
    assert!(e.contains("database.pool_size"), "{e}");

    std::fs::write(&cfg, "listen: 127.0.0.1:8443\naudit: { retention_days: 30 }\n").unwrap();
    let o = manager(&["--prefix", &p, "check-config"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("configuration OK"));
}

#[test]
fn embedded_database_initialises_survives_restarts_and_stops() {
    let (d, p) = prefix("listen: 127.0.0.1:8443\n");
    let data = d.path().join("var/lib/linux_patch_manager");
    let m = manager(&["--prefix", &p, "migrate"]);
    assert_eq!(m.status.code(), Some(0), "{}", text(&m.stderr));
    assert!(
        text(&m.stdout).contains("applied migrations"),
        "{}",
        text(&m.stdout)
    );
    assert!(data.join("postgres/PG_VERSION").is_file(), "initdb did not run");
    assert!(
        !data.join("postgres/postmaster.pid").exists(),
        "postgres still running"
    );

    let c = manager(&["--prefix", &p, "user", "create", "--admin", "alice"]);
    assert_eq!(c.status.code(), Some(0), "{}", text(&c.stderr));
    let out = text(&c.stdout);
    let pw: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("one-time password: "))
        .collect();
    assert_eq!(pw.len(), 1, "{out}");
    assert_eq!(pw[0].len(), 20);
    assert_eq!(out.matches(pw[0]).count(), 1, "printed once");
    assert!(out.contains("changed at first login"), "{out}");

    // A restart of the cluster keeps the account: the same name is refused, nothing changes.
    let again = manager(&["--prefix", &p, "user", "create", "--admin", "alice"]);
    assert_eq!(again.status.code(), Some(5), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("user `alice` already exists"),
        "{}",
        text(&again.stderr)
    );
    let bad = manager(&["--prefix", &p, "user", "create", "--admin", "Al;ice"]);
    assert_eq!(bad.status.code(), Some(5));

    let v = manager(&["--prefix", &p, "audit", "verify"]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stderr));
    assert!(
        text(&v.stdout).contains("audit chain OK: 1 rows"),
        "{}",
        text(&v.stdout)
    );
    let m2 = manager(&["--prefix", &p, "migrate"]);
    assert!(text(&m2.stdout).contains("up to date"), "{}", text(&m2.stdout));

    assert!(
        !data.join("postgres/postmaster.pid").exists(),
        "postgres still running"
    );
    assert_eq!(postgres_processes_under(&data), Vec::<String>::new());
    let conf = std::fs::read_to_string(data.join("postgres/manager.conf")).unwrap();
    assert!(conf.contains("listen_addresses = ''"), "{conf}");
}

#[test]
fn audit_verify_names_an_edited_row() {
    let db = TestDb::new();
    let (_d, p) = prefix(&format!(
        "listen: 127.0.0.1:8443\ndatabase: {{ url: \"{}\" }}\n",
        db.url()
    ));
    for name in ["bob", "carol", "dave"] {
        let c = manager(&["--prefix", &p, "user", "create", "--admin", name]);
        assert_eq!(c.status.code(), Some(0), "{}", text(&c.stderr));
    }
    let v = manager(&["--prefix", &p, "audit", "verify"]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stderr));
    assert!(text(&v.stdout).contains("3 rows"), "{}", text(&v.stdout));

    let mut conn = db.conn();
    let id: Vec<i64> =
        diesel::sql_query("UPDATE audit_log SET actor = 'mallory' WHERE target = 'user:carol' RETURNING id")
            .load::<IdRow>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
    assert_eq!(id.len(), 1);
    let v = manager(&["--prefix", &p, "audit", "verify"]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v.stdout));
    let e = text(&v.stderr);
    assert!(e.contains(&format!("BROKEN at row {}:", id[0])), "{e}");
    assert!(e.contains("does not match its content"), "{e}");
}

#[derive(diesel::QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}
