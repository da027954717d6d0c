//! The worked script of `docs/manager.md` ("A worked script"), curl and Python `requests` exactly as written
//! there, against a real manager (real PostgreSQL, real TLS): token created, hosts paged, deployment queued, compliance CSV read.

use diesel::prelude::*;
use linux_patch_manager::auth::totp;
use linux_patch_manager::db::models::{Host, Role};
use linux_patch_manager::db::schema::{audit_log, deployments};
use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::manager::ManagerProc;
use linux_patch_tests::signin::{ready_user, PASSWORD};
use std::path::Path;
use std::process::Command;

/// The fenced block after `<!-- script-example: NAME -->` in docs/manager.md.
fn example(name: &str) -> String {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/manager.md")).unwrap();
    let marker = format!("<!-- script-example: {name} -->");
    let after = &doc[doc.find(&marker).unwrap_or_else(|| panic!("{marker} missing")) + marker.len()..];
    let body = &after[after.find("```").unwrap()..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("\n```").unwrap()].to_owned()
}

/// Runs `program` on `script` in a fresh directory with the example's environment; its standard output.
fn run(m: &ManagerProc, user: &str, secret: &str, program: &str, script: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemClock.now();
    let out = Command::new(program)
        .args(["-c", script])
        .current_dir(dir.path())
        .env("LPM", &m.url)
        .env("CA", &m.ca_pem)
        .env("LPM_USER", user)
        .env("LPM_PASSWORD", PASSWORD)
        .env("TOTP_1", totp::code_at(secret, now).unwrap())
        .env(
            "TOTP_2",
            totp::code_at(secret, now + chrono::Duration::seconds(30)).unwrap(),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} example failed:\n{stdout}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        m.stderr()
    );
    stdout
}

fn check(out: &str, hosts: &[(i64, &str)], deployments_before: i64, m: &ManagerProc) {
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("token lpmt_") && lines[0].ends_with("...") && lines[0].len() == 22,
        "{out}"
    );
    let listed: Vec<String> = lines
        .iter()
        .filter(|l| l.starts_with("host "))
        .map(|l| l.to_string())
        .collect();
    let expected: Vec<String> = hosts.iter().map(|(id, n)| format!("host {id} {n}")).collect();
    assert_eq!(
        listed, expected,
        "every host, in name order, across pages of two:\n{out}"
    );
    assert_eq!(
        lines.last().copied(),
        Some(format!("report {} hosts", hosts.len()).as_str()),
        "the compliance CSV has a row per host:\n{out}"
    );
    let queued = lines
        .iter()
        .find(|l| l.starts_with("deployment "))
        .unwrap_or_else(|| panic!("{out}"));
    let id: i64 = queued
        .strip_prefix("deployment ")
        .and_then(|r| r.strip_suffix(": 1 target(s)"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    let n: i64 = deployments::table.count().get_result(&mut m.db().conn()).unwrap();
    assert_eq!(n, deployments_before + 1);
    let made: i64 = deployments::table
        .filter(deployments::id.eq(id))
        .count()
        .get_result(&mut m.db().conn())
        .unwrap();
    assert_eq!(made, 1);
}

#[test]
fn the_documented_curl_and_python_scripts_run_against_a_real_manager() {
    let m = ManagerProc::start();
    let (curl_user, python_user) = ("scripter", "scripter-py");
    let (_, curl_secret) = ready_user(&mut m.db().conn(), curl_user, Role::Admin);
    let (_, py_secret) = ready_user(&mut m.db().conn(), python_user, Role::Admin);
    let mut hosts = Vec::new();
    for (i, name) in ["alpha.lan", "bravo.lan", "charlie.lan", "delta.lan", "echo.lan"]
        .into_iter()
        .enumerate()
    {
        // Closed local ports: a dispatch of the queued deployment fails fast and harmlessly.
        let port = u16::try_from(i + 1).unwrap();
        let h = Host::insert(&mut m.db().conn(), name, "127.0.0.1", port, SystemClock.now()).unwrap();
        hosts.push((h.id, name));
    }

    let out = run(&m, curl_user, &curl_secret, "bash", &example("curl"));
    check(&out, &hosts, 0, &m);
    let out = run(&m, python_user, &py_secret, "python3", &example("python"));
    check(&out, &hosts, 1, &m);

    // Each run's token was used 5 times: 3 pages of hosts (2 per page), the deployment, the CSV report.
    let uses: Vec<String> = audit_log::table
        .filter(audit_log::action.eq("token.use"))
        .select(audit_log::target)
        .load(&mut m.db().conn())
        .unwrap();
    assert_eq!(
        uses.iter().filter(|t| *t == "token:nightly").count(),
        5,
        "{uses:?}"
    );
    assert_eq!(
        uses.iter().filter(|t| *t == "token:nightly-py").count(),
        5,
        "{uses:?}"
    );
}
