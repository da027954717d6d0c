//! Dashboard, Hosts and Host detail through the real handlers on real PostgreSQL (seeded fleet rows, as the
//! poller writes them): the numbers equal the seed, filters select exactly the expected hosts and refuse
//! injection-shaped values, operators see only their groups and ungrouped hosts (everything else 404 and
//! absent from counts), bulk add-to-group, the JSON twins agree with the pages, and both page through every
//! match (keyset cursors, bad ones refused).

mod browser;
mod dashboard;
mod dashboard_lists;
mod detail;
mod filters;
mod paging;
mod scope;
mod walk;

use actix_web::test::TestRequest;
use chrono::{DateTime, Duration, Utc};
use diesel::RunQueryDsl;
use linux_patch_manager::db::models::fleet_view::{self, Dashboard, FilterQuery, PageSpec};
use linux_patch_manager::db::models::scope::Scope;
use linux_patch_manager::db::models::{Group, Host, Role, User};
use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::console::{app, form, resp, send, state, Jar, Resp};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, sign_in};
use serde_json::Value;
use walk::{get_h, href_of, unescaped, walk_api, walk_pages};

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

/// The seeded fleet: host ids by name, and group ids.
struct Fleet {
    ids: std::collections::BTreeMap<&'static str, i64>,
    web: i64,
    db_group: i64,
}

impl Fleet {
    fn id(&self, name: &str) -> i64 {
        self.ids[name]
    }
}

fn exec(c: &mut diesel::PgConnection, q: &str) {
    diesel::sql_query(q)
        .execute(c)
        .unwrap_or_else(|e| panic!("{q}: {e}"));
}

/// name, ip, os, state, reason, pending_total, pending_security, reboot, reboot reason, patch data, group.
type SeedRow<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    i32,
    i32,
    &'a str,
    &'a str,
    bool,
    Option<i64>,
);

/// Six hosts as the poller leaves them (see the table in the function); `now` is the app clock.
fn seed(db: &TestDb, now: DateTime<Utc>) -> Fleet {
    let mut c = db.conn();
    let web = Group::insert(&mut c, "web", now).unwrap().id;
    let db_group = Group::insert(&mut c, "db", now).unwrap().id;
    // name, ip, os, state, reason, pending_total, pending_security, reboot, reboot reason, patch data, group
    let rows: [SeedRow; 6] = [
        (
            "a-web1.lan",
            "10.0.0.1",
            "Debian 12",
            "healthy",
            "",
            3,
            2,
            "yes",
            "linux-image updated",
            true,
            Some(web),
        ),
        (
            "a-web2.lan",
            "10.0.0.2",
            "Debian 12",
            "degraded",
            "apt cache is stale",
            1,
            1,
            "no",
            "",
            true,
            Some(web),
        ),
        (
            "b-db1.lan",
            "10.0.1.1",
            "Rocky 9",
            "unreachable",
            "connection refused",
            0,
            0,
            "unknown",
            "",
            true,
            Some(db_group),
        ),
        (
            "b-db2.lan",
            "10.0.1.2",
            "Rocky 9",
            "healthy",
            "",
            0,
            0,
            "no",
            "",
            true,
            Some(db_group),
        ),
        (
            "c-free.lan",
            "10.0.2.1",
            "Alpine 3.20",
            "healthy",
            "",
            2,
            1,
            "yes",
            "needs-restarting",
            true,
            None,
        ),
        (
            "d-new.lan",
            "10.0.3.1",
            "",
            "unknown",
            "",
            0,
            0,
            "unknown",
            "",
            false,
            None,
        ),
    ];
    let mut ids = std::collections::BTreeMap::new();
    for (name, ip, os, st, reason, total, sec, reboot, rr, checked, group) in rows {
        let h = Host::insert(&mut c, name, ip, 12443, now - Duration::days(40)).unwrap();
        let polled = st != "unknown";
        exec(
            &mut c,
            &format!(
                "UPDATE hosts SET os = '{os}', state = '{st}', state_reason = '{reason}', pending_total = {total}, \
                 pending_security = {sec}, reboot_required = '{reboot}', reboot_reason = '{rr}', \
                 agent_version = '{av}', kernel = '6.1.0-test', backend = 'apt', machine_id = 'm-{id}', \
                 last_seen_at = {seen}, patches_checked_at = {pc}, failures = {f} WHERE id = {id}",
                av = if polled { "0.6.0" } else { "" },
                seen = if polled { "'2026-06-01T11:00:00Z'" } else { "NULL" },
                pc = if checked { "'2026-06-01T11:00:00Z'" } else { "NULL" },
                f = if st == "unreachable" { 3 } else { 0 },
                id = h.id
            ),
        );
        if let Some(g) = group {
            Host::set_groups(&mut c, h.id, &[g]).unwrap();
        }
        ids.insert(name, h.id);
    }
    let patch = |c: &mut diesel::PgConnection,
                 host: i64,
                 name: &str,
                 sec: bool,
                 sev: Option<&str>,
                 cves: &str| {
        exec(
            c,
            &format!(
                "INSERT INTO host_patches (host_id, name, architecture, installed_version, candidate_version, \
                 repository, security, severity, cves, security_source) VALUES ({host}, '{name}', 'amd64', '1.0', \
                 '1.1', 'main', {sec}, {sev}, '{cves}', 'debsecan')",
                sev = sev.map_or("NULL".to_owned(), |s| format!("'{s}'"))
            ),
        );
    };
    patch(
        &mut c,
        ids["a-web1.lan"],
        "openssl",
        true,
        Some("critical"),
        r#"["CVE-2026-0001","CVE-2026-0002"]"#,
    );
    patch(
        &mut c,
        ids["a-web1.lan"],
        "libc6",
        true,
        Some("important"),
        r#"["CVE-2026-0003"]"#,
    );
    patch(&mut c, ids["a-web1.lan"], "vim", false, None, "[]");
    patch(
        &mut c,
        ids["a-web2.lan"],
        "curl",
        true,
        Some("moderate"),
        r#"["CVE-2026-0004"]"#,
    );
    patch(&mut c, ids["c-free.lan"], "busybox", true, Some("low"), "[]");
    patch(&mut c, ids["c-free.lan"], "less", false, None, "[]");
    // b-db1 was healthy 3 h ago, unreachable since 2 h; a-web2 degraded since 30 min.
    let health = |c: &mut diesel::PgConnection, host: i64, ago_min: i64, st: &str, reason: &str| {
        exec(
            c,
            &format!(
                "INSERT INTO host_health (host_id, checked_at, state, reason, latency_ms) VALUES ({host}, \
                 '{}', '{st}', '{reason}', 12)",
                (now - Duration::minutes(ago_min)).to_rfc3339()
            ),
        );
    };
    health(&mut c, ids["b-db1.lan"], 180, "healthy", "");
    health(&mut c, ids["b-db1.lan"], 120, "unreachable", "connection refused");
    health(&mut c, ids["b-db1.lan"], 60, "unreachable", "connection refused");
    health(&mut c, ids["a-web2.lan"], 24 * 60 * 3, "healthy", "");
    health(&mut c, ids["a-web2.lan"], 30, "degraded", "apt cache is stale");
    Fleet { ids, web, db_group }
}

/// Host names in a Hosts page, in order.
fn names_in(page: &Resp) -> Vec<String> {
    page.body
        .split("data-hostname=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

fn names_of(json: &Value) -> Vec<String> {
    json["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{json}"))
        .iter()
        .map(|h| h["hostname"].as_str().unwrap().to_owned())
        .collect()
}

fn text(r: &Resp, id: &str) -> String {
    r.text_of(id).unwrap_or_else(|| panic!("no #{id} in {}", r.body))
}

fn audit_count(db: &TestDb, action: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM audit_log WHERE action = '{action}'"
    ))
    .get_result::<N>(&mut db.conn())
    .unwrap()
    .n
}

/// The filter cases of the seeded fleet and the hosts each selects, in list order.
fn filter_cases(fleet: &Fleet) -> Vec<(String, Vec<&'static str>)> {
    let web = fleet.web;
    vec![
        (
            "state=healthy".into(),
            vec!["a-web1.lan", "b-db2.lan", "c-free.lan"],
        ),
        ("state=unknown".into(), vec!["d-new.lan"]),
        (format!("group={web}"), vec!["a-web1.lan", "a-web2.lan"]),
        (
            format!("group={}", fleet.db_group),
            vec!["b-db1.lan", "b-db2.lan"],
        ),
        ("group=none".into(), vec!["c-free.lan", "d-new.lan"]),
        ("os=Rocky+9".into(), vec!["b-db1.lan", "b-db2.lan"]),
        (
            "security=yes".into(),
            vec!["a-web1.lan", "a-web2.lan", "c-free.lan"],
        ),
        ("security=no".into(), vec!["b-db1.lan", "b-db2.lan", "d-new.lan"]),
        ("reboot=yes".into(), vec!["a-web1.lan", "c-free.lan"]),
        ("q=WEB".into(), vec!["a-web1.lan", "a-web2.lan"]),
        ("q=10.0.1.".into(), vec!["b-db1.lan", "b-db2.lan"]),
        (
            "state=healthy&security=yes".into(),
            vec!["a-web1.lan", "c-free.lan"],
        ),
        (format!("group={web}&state=degraded&q=2"), vec!["a-web2.lan"]),
        // Wildcards and quotes are literal text, not SQL.
        ("q=%25".into(), vec![]),
        ("q=_".into(), vec![]),
        ("q=%27+OR+%271%27%3D%271".into(), vec![]),
        ("q=%5C".into(), vec![]),
        ("state=&group=&q=".into(), ALL.to_vec()),
    ]
}

/// Every seeded host, in list order.
const ALL: [&str; 6] = [
    "a-web1.lan",
    "a-web2.lan",
    "b-db1.lan",
    "b-db2.lan",
    "c-free.lan",
    "d-new.lan",
];
