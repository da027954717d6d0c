//! The four deployment pages in Chromium against the real `serve` on a seeded fleet (hosts with pending
//! security updates, maintenance windows in three zones, a finished deployment with mixed target states and
//! one waiting for its window): each page shows the seed, screenshots light and dark into
//! `target/screenshots/` (or `docs/screenshots/` with `LPM_UPDATE_SCREENSHOTS=1`).

use chrono::{DateTime, Duration, Utc};
use diesel::RunQueryDsl;
use linux_patch_manager::db::models::{Group, Host};
use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::pg::TestDb;

fn exec(c: &mut diesel::PgConnection, q: &str) {
    diesel::sql_query(q)
        .execute(c)
        .unwrap_or_else(|e| panic!("{q}: {e}"));
}

fn one_id(c: &mut diesel::PgConnection, q: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    diesel::sql_query(q).get_result::<Id>(c).unwrap().id
}

/// A pending update: name, installed, candidate, security, severity (SQL), CVEs, on hosts (indexes).
type PatchSeed<'a> = (&'a str, &'a str, &'a str, bool, &'a str, &'a str, &'a [usize]);

/// What the pages are checked against.
struct Seeded {
    /// Hosts of group `web` (the review page's selection).
    web: Vec<i64>,
    /// The finished deployment.
    finished: i64,
    /// The one waiting for its window.
    queued: i64,
}

/// Six hosts as the poller leaves them, their pending updates, windows, and two deployments by `admin`.
fn seed(db: &TestDb, now: DateTime<Utc>, admin: &str) -> Seeded {
    let mut c = db.conn();
    let web_g = Group::insert(&mut c, "web", now).unwrap().id;
    let db_g = Group::insert(&mut c, "db", now).unwrap().id;
    // name, ip, os, pending total, pending security, group
    let hosts = [
        ("web-01.lan", "10.0.0.11", "Debian 12", 4, 2, Some(web_g)),
        ("web-02.lan", "10.0.0.12", "Debian 12", 3, 2, Some(web_g)),
        ("web-03.lan", "10.0.0.13", "Debian 12", 2, 1, Some(web_g)),
        ("db-01.lan", "10.0.1.21", "Rocky 9", 2, 1, Some(db_g)),
        ("db-02.lan", "10.0.1.22", "Rocky 9", 1, 0, Some(db_g)),
        ("edge-01.lan", "10.0.2.31", "Alpine 3.20", 1, 1, None),
    ];
    let mut ids = Vec::new();
    for (name, ip, os, total, sec, group) in hosts {
        let h = Host::insert(&mut c, name, ip, 12443, now - Duration::days(40)).unwrap();
        exec(
            &mut c,
            &format!(
                "UPDATE hosts SET os = '{os}', state = 'healthy', pending_total = {total}, pending_security = {sec}, \
                 reboot_required = 'no', agent_version = '0.6.0', kernel = '6.1.0-test', backend = 'apt', \
                 machine_id = 'm-{id}', last_seen_at = '{seen}', patches_checked_at = '{seen}' WHERE id = {id}",
                seen = (now - Duration::minutes(5)).to_rfc3339(),
                id = h.id
            ),
        );
        if let Some(g) = group {
            Host::set_groups(&mut c, h.id, &[g]).unwrap();
        }
        ids.push(h.id);
    }
    // name, (installed, candidate), security, severity, CVEs, on hosts (indexes)
    let patches: [PatchSeed; 6] = [
        (
            "openssl",
            "3.0.15-1",
            "3.0.16-1",
            true,
            "'critical'",
            r#"["CVE-2026-0001","CVE-2026-0002"]"#,
            &[0, 1, 2, 3],
        ),
        (
            "libc6",
            "2.36-9",
            "2.36-9+deb12u9",
            true,
            "'important'",
            r#"["CVE-2026-0003"]"#,
            &[0, 1, 5],
        ),
        (
            "curl",
            "7.88.1-10",
            "7.88.1-10+deb12u8",
            false,
            "NULL",
            "[]",
            &[0, 2],
        ),
        (
            "vim",
            "9.0.1378-2",
            "9.0.1378-2+deb12u1",
            false,
            "NULL",
            "[]",
            &[0, 1],
        ),
        ("tzdata", "2025a-0", "2025b-0", false, "NULL", "[]", &[1, 3, 4]),
        ("less", "590-2", "590-2.1", false, "NULL", "[]", &[]),
    ];
    for (name, from, to, sec, sev, cves, on) in patches {
        for i in on {
            exec(
                &mut c,
                &format!(
                    "INSERT INTO host_patches (host_id, name, architecture, installed_version, candidate_version, \
                     repository, security, severity, cves, security_source) VALUES ({}, '{name}', 'amd64', '{from}', \
                     '{to}', 'main', {sec}, {sev}, '{cves}', 'debsecan')",
                    ids[*i]
                ),
            );
        }
    }
    // Windows: web weekly in Berlin, db the 2nd Sunday in New York, edge daily across midnight in UTC.
    let window = |c: &mut diesel::PgConnection, host: i64, name: &str, spec: &str| {
        exec(
            c,
            &format!(
                "INSERT INTO maintenance_windows (host_id, name, spec, created_by, created_at) VALUES \
                 ({host}, '{name}', '{spec}', '{admin}', '{}')",
                (now - Duration::days(3)).to_rfc3339()
            ),
        );
    };
    for h in &ids[..3] {
        window(
            &mut c,
            *h,
            "web nights",
            r#"{"kind":{"type":"weekly","weekdays":["Tue","Thu"]},"start":"02:00","duration_minutes":120,"time_zone":"Europe/Berlin","cutoff_minutes":15}"#,
        );
    }
    for h in &ids[3..5] {
        window(
            &mut c,
            *h,
            "db monthly",
            r#"{"kind":{"type":"monthly_weekday","nth":2,"weekday":"Sun"},"start":"01:00","duration_minutes":180,"time_zone":"America/New_York","cutoff_minutes":30}"#,
        );
    }
    window(
        &mut c,
        ids[5],
        "edge daily",
        r#"{"kind":{"type":"daily"},"start":"23:30","duration_minutes":90,"time_zone":"UTC","cutoff_minutes":15}"#,
    );

    // A finished security-only deployment to all six: four succeeded, one failed after its retry, one missed
    // its window.
    let t = |m: i64| (now - Duration::days(1) + Duration::minutes(m)).to_rfc3339();
    let finished = one_id(
        &mut c,
        &format!(
            "INSERT INTO deployments (created_by, created_at, operation, mode, reboot, stop_failed_pct, status, \
             group_ids, finished_at) VALUES ('{admin}', '{}', 'security_only', 'next_window', 'if_required', 50, \
             'finished', '[{web_g},{db_g}]', '{}') RETURNING id",
            t(0),
            t(42)
        ),
    );
    let upgraded = |pkgs: &[(&str, &str, &str)]| {
        let list: Vec<String> = pkgs
            .iter()
            .map(|(n, f, to)| format!(r#"{{"name":"{n}","architecture":"amd64","from":"{f}","to":"{to}"}}"#))
            .collect();
        format!(
            r#"'{{"installed":[],"removed":[],"upgraded":[{}],"downgraded":[]}}'"#,
            list.join(",")
        )
    };
    let ok_tail = r#"'["Reading package lists...","Preparing to unpack .../openssl_3.0.16-1_amd64.deb ...","Unpacking openssl (3.0.16-1) over (3.0.15-1) ...","Setting up openssl (3.0.16-1) ...","Processing triggers for libc-bin (2.36-9+deb12u9) ..."]'"#;
    let openssl = ("openssl", "3.0.15-1", "3.0.16-1");
    let libc = ("libc6", "2.36-9", "2.36-9+deb12u9");
    let names = [
        "web-01.lan",
        "web-02.lan",
        "web-03.lan",
        "db-01.lan",
        "db-02.lan",
        "edge-01.lan",
    ];
    // host index, state, attempts, agent status, error, change set, output tail, started, finished (minutes)
    let rows = [
        (0, "succeeded", 1, "succeeded", "", upgraded(&[openssl, libc]), ok_tail.to_owned(), 1, 4),
        (1, "succeeded", 1, "succeeded", "", upgraded(&[openssl, libc]), ok_tail.to_owned(), 1, 5),
        (
            2,
            "failed",
            2,
            "failed",
            "the job failed: apt-get install exited with 100 (E: Sub-process /usr/bin/dpkg returned an error code (1))",
            "NULL".to_owned(),
            r#"'["Reading package lists...","Setting up openssl (3.0.16-1) ...","dpkg: error processing package openssl (--configure):","E: Sub-process /usr/bin/dpkg returned an error code (1)"]'"#.to_owned(),
            1,
            21,
        ),
        (3, "succeeded", 1, "succeeded", "", upgraded(&[openssl]), ok_tail.to_owned(), 30, 33),
        (
            4,
            "missed_window",
            0,
            "",
            "its maintenance window reached its cut-off before the job could start",
            "NULL".to_owned(),
            "'[]'".to_owned(),
            40,
            40,
        ),
        (5, "succeeded", 1, "succeeded", "", upgraded(&[libc]), ok_tail.to_owned(), 10, 12),
    ];
    for (i, state, attempts, status, error, cs, tail, s, f) in rows {
        let job = if attempts > 0 {
            format!("'01JF{:022}'", ids[i])
        } else {
            "NULL".to_owned()
        };
        let started = if attempts > 0 {
            format!("'{}'", t(s))
        } else {
            "NULL".to_owned()
        };
        exec(
            &mut c,
            &format!(
                "INSERT INTO deployment_targets (deployment_id, host_id, hostname, state, attempts, agent_job_id, \
                 agent_status, error, change_set, output_tail, started_at, finished_at, updated_at) VALUES \
                 ({finished}, {}, '{}', '{state}', {attempts}, {job}, '{status}', '{error}', {cs}, {tail}, \
                 {started}, '{}', '{}')",
                ids[i],
                names[i],
                t(f),
                t(f)
            ),
        );
    }
    // Apply-all queued for the web hosts' next window (next Tuesday or Thursday, far enough not to open now).
    let queued = one_id(
        &mut c,
        &format!(
            "INSERT INTO deployments (created_by, created_at, operation, mode, reboot, status, group_ids) VALUES \
             ('{admin}', '{}', 'apply_all', 'next_window', 'never', 'active', '[{web_g}]') RETURNING id",
            (now - Duration::minutes(20)).to_rfc3339()
        ),
    );
    let due = now + Duration::days(2);
    for i in 0..3 {
        exec(
            &mut c,
            &format!(
                "INSERT INTO deployment_targets (deployment_id, host_id, hostname, state, due_at, dispatch_until, \
                 updated_at) VALUES ({queued}, {}, '{}', 'waiting_window', '{}', '{}', '{}')",
                ids[i],
                names[i],
                due.to_rfc3339(),
                (due + Duration::minutes(105)).to_rfc3339(),
                now.to_rfc3339()
            ),
        );
    }
    Seeded {
        web: ids[..3].to_vec(),
        finished,
        queued,
    }
}

/// Patch Deployment review, Jobs, Deployment detail and Maintenance Windows in Chromium, light and dark.
#[test]
fn deployment_pages_in_a_real_browser() {
    use linux_patch_tests::browser::{try_run_script, SCRIPT_TIMEOUT};
    use linux_patch_tests::manager::ManagerProc;
    let mut m = ManagerProc::prepare_configured(
        "poller: { health_interval_secs: 86400, patch_interval_secs: 86400, timeout_secs: 2 }\n",
    );
    let admin = m.admin.clone();
    let s = seed(m.db(), SystemClock.now(), &admin);
    exec(
        &mut m.db().conn(),
        "UPDATE hosts SET retry_at = now() + interval '1 day', health_checked_at = now()",
    );
    m.launch();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shots = linux_patch_tests::browser::screenshot_dir();
    let out = root.join("target/browser-artefacts/deploy_pages");
    std::fs::create_dir_all(&out).unwrap();
    let ca = m.ca_pem.to_string_lossy().into_owned();
    let review_qs: Vec<String> = s.web.iter().map(|h| format!("host={h}")).collect();
    let review_qs = review_qs.join("&");
    let finished = s.finished.to_string();
    let env = [
        ("BASE_URL", m.url.as_str()),
        ("CA_PEM", ca.as_str()),
        ("USERNAME", m.admin.as_str()),
        ("PASSWORD", m.admin_password.as_str()),
        ("OUT_DIR", out.to_str().unwrap()),
        ("SCREENSHOT_DIR", shots.to_str().unwrap()),
        ("REVIEW_QUERY", review_qs.as_str()),
        ("DEPLOYMENT_ID", finished.as_str()),
    ];
    let v = try_run_script("deploy_pages.mjs", &env, SCRIPT_TIMEOUT)
        .unwrap_or_else(|report| panic!("{report}\n--- manager stderr ---\n{}", m.stderr()));
    eprintln!("deploy_pages.mjs: {v}");
    // Review: openssl on the three web hosts, security; libc6 on two of them.
    assert_eq!(v["review"]["openssl"], "3", "{v}");
    assert_eq!(v["review"]["libc6"], "2", "{v}");
    // Jobs: both deployments with their status.
    assert_eq!(
        v["jobs"],
        serde_json::json!([[s.queued.to_string(), "active"], [finished, "finished"]]),
        "{v}"
    );
    // Detail: every target with its state.
    let mut states: Vec<String> = v["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    states.sort();
    assert_eq!(
        states,
        [
            "failed",
            "missed_window",
            "succeeded",
            "succeeded",
            "succeeded",
            "succeeded"
        ],
        "{v}"
    );
    // Windows: one row per host window (six).
    assert_eq!(v["windows"], 6, "{v}");
    for name in ["deploy_new", "jobs", "deployment", "windows"] {
        for scheme in ["light", "dark"] {
            let png = std::fs::read(shots.join(format!("{name}-{scheme}.png"))).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        }
    }
}
