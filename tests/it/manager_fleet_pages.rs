//! Dashboard, Hosts and Host detail through the real handlers on real PostgreSQL (seeded fleet rows, as the
//! poller writes them): the numbers equal the seed, filters select exactly the expected hosts and refuse
//! injection-shaped values, operators see only their groups and ungrouped hosts (everything else 404 and
//! absent from counts), bulk add-to-group, and the JSON twins agree with the pages.

use actix_web::test::TestRequest;
use chrono::{DateTime, Duration, Utc};
use diesel::RunQueryDsl;
use linux_patch_manager::auth::rbac::Scope;
use linux_patch_manager::auth::{password, totp};
use linux_patch_manager::db::models::fleet_view::{self, Dashboard, FilterQuery};
use linux_patch_manager::db::models::mfa::TotpFactor;
use linux_patch_manager::db::models::{Group, Host, Role, User};
use linux_patch_shared::clock::{Clock, ManualClock, SystemClock};
use linux_patch_tests::console::{app, form, send, state, Jar, Resp};
use linux_patch_tests::pg::TestDb;
use serde_json::Value;

const PW: &str = "a long enough password";

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

fn ready_user(db: &TestDb, name: &str, role: Role) -> (i64, String) {
    let mut c = db.conn();
    let u = linux_patch_manager::accounts::create_user(&mut c, &SystemClock, "test", name, role)
        .unwrap()
        .user;
    User::set_password(&mut c, u.id, &password::hash(PW).unwrap(), false).unwrap();
    let secret = totp::new_secret();
    TotpFactor::insert(&mut c, u.id, &secret, SystemClock.now()).unwrap();
    (u.id, secret)
}

async fn sign_in<S, B>(app: &S, clock: &ManualClock, user: &str, secret: &str) -> Jar
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let mut jar = Jar::default();
    let page = send(app, &mut jar, get("/login")).await;
    let csrf = page.input_value("csrf").unwrap();
    let r = send(
        app,
        &mut jar,
        form("/login", &[("csrf", &csrf), ("username", user), ("password", PW)]),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/login/mfa"), "{}", r.body);
    let page = send(app, &mut jar, get("/login/mfa")).await;
    let csrf = page.input_value("csrf").unwrap();
    let code = totp::code_at(secret, clock.now()).unwrap();
    let r = send(
        app,
        &mut jar,
        form("/login/mfa/totp", &[("csrf", &csrf), ("code", &code)]),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/"), "{}", r.body);
    jar
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

#[actix_web::test]
async fn dashboard_numbers_equal_the_seeded_fleet_for_admins_and_operators() {
    let db = TestDb::new();
    let (_, admin_secret) = ready_user(&db, "root", Role::Admin);
    let (op_id, op_secret) = ready_user(&db, "op", Role::Operator);
    let (st, clock) = state(&db);
    let fleet = seed(&db, clock.now());
    User::set_groups(&mut db.conn(), op_id, &[fleet.web]).unwrap();
    let fingerprint = st.ca_fingerprint.as_ref().clone();
    let app = app(st).await;

    // The model directly.
    let d = Dashboard::load(&mut db.conn(), Scope::All).unwrap();
    assert_eq!((d.hosts, d.compliant, d.compliance_percent), (6, 2, 33.3));
    assert_eq!(
        (d.never_polled, d.without_patch_data, d.with_security_updates),
        (1, 1, 3)
    );
    assert_eq!(
        (
            d.states.healthy,
            d.states.degraded,
            d.states.unreachable,
            d.states.unknown
        ),
        (3, 1, 1, 1)
    );
    let s = d.severities;
    assert_eq!(
        (s.critical, s.important, s.moderate, s.low, s.unrated),
        (1, 1, 1, 1, 2)
    );
    assert_eq!(
        (d.pending_total, d.pending_security, d.reboot_required),
        (6, 4, 2)
    );
    let alerts: Vec<(&str, &str)> = d
        .alerts
        .iter()
        .map(|a| (a.hostname.as_str(), a.state.as_str()))
        .collect();
    assert_eq!(alerts, [("b-db1.lan", "unreachable"), ("a-web2.lan", "degraded")]);
    assert_eq!(d.alerts[0].since, Some(clock.now() - Duration::minutes(120)));
    assert_eq!(d.alerts[1].since, Some(clock.now() - Duration::minutes(30)));
    assert_eq!(d.alerts[0].reason, "connection refused");

    // The page shows the same, with the charts and the root CA.
    let mut jar = sign_in(&app, &clock, "root", &admin_secret).await;
    let page = send(&app, &mut jar, get("/")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for (id, want) in [
        ("compliance-percent", "33.3"),
        ("compliant-count", "2"),
        ("host-count", "6"),
        ("never-polled-count", "1"),
        ("count-healthy", "3"),
        ("count-degraded", "1"),
        ("count-unreachable", "1"),
        ("count-unknown", "1"),
        ("sev-critical", "1"),
        ("sev-important", "1"),
        ("sev-moderate", "1"),
        ("sev-low", "1"),
        ("sev-unrated", "2"),
        ("pending-total", "6"),
        ("pending-security", "4"),
        ("reboot-count", "2"),
        ("alert-count", "2"),
        ("ca-fingerprint", fingerprint.as_str()),
    ] {
        assert_eq!(text(&page, id), want, "#{id}");
    }
    assert!(page.body.contains("<svg class=\"chart donut\""), "state chart");
    assert!(page.body.contains("<svg class=\"chart bars\""), "severity chart");
    assert!(page
        .body
        .contains("healthy 3, degraded 1, unreachable 1, never polled 1"));
    assert!(page.body.contains("href=\"/ca.pem\""));
    assert!(page
        .body
        .contains(&format!("href=\"/hosts/{}\">b-db1.lan", fleet.id("b-db1.lan"))));
    let red = page.body.find("b-db1.lan").unwrap();
    let yellow = page.body.find("a-web2.lan").unwrap();
    assert!(red < yellow, "red alerts first");
    assert!(page.body.contains("2026-06-01 10:00"), "red since 2 h ago");

    // The JSON twin.
    let j = send(&app, &mut jar, get("/api/v1/dashboard")).await.json();
    let data = &j["data"];
    assert_eq!(data["hosts"], 6);
    assert_eq!(data["compliant"], 2);
    assert_eq!(data["compliance_percent"], 33.3);
    assert_eq!(
        data["states"],
        serde_json::json!({"healthy": 3, "degraded": 1, "unreachable": 1, "unknown": 1})
    );
    assert_eq!(
        data["severities"],
        serde_json::json!({"critical": 1, "important": 1, "moderate": 1, "low": 1, "unrated": 2})
    );
    assert_eq!(data["reboot_required"], 2);
    assert_eq!(data["alerts"][0]["hostname"], "b-db1.lan");

    // An operator in `web`: web hosts plus ungrouped ones (c-free, d-new); the db hosts count nowhere,
    // not even a critical update on b-db2.
    exec(
        &mut db.conn(),
        &format!(
            "INSERT INTO host_patches (host_id, name, architecture, candidate_version, security, severity) \
             VALUES ({}, 'kernel', 'x86_64', '5.14.1', true, 'critical')",
            fleet.id("b-db2.lan")
        ),
    );
    let j = send(&app, &mut jar, get("/api/v1/dashboard")).await.json();
    assert_eq!(j["data"]["severities"]["critical"], 2, "admins count it");
    let mut op = sign_in(&app, &clock, "op", &op_secret).await;
    let page = send(&app, &mut op, get("/")).await;
    for (id, want) in [
        ("compliance-percent", "0"),
        ("host-count", "4"),
        ("count-healthy", "2"),
        ("count-degraded", "1"),
        ("count-unreachable", "0"),
        ("count-unknown", "1"),
        ("sev-critical", "1"),
        ("sev-unrated", "2"),
        ("reboot-count", "2"),
        ("alert-count", "1"),
    ] {
        assert_eq!(text(&page, id), want, "operator #{id}");
    }
    assert!(!page.body.contains("b-db1.lan"));
    let j = send(&app, &mut op, get("/api/v1/dashboard")).await.json();
    assert_eq!(j["data"]["hosts"], 4);
    assert_eq!(j["data"]["states"]["unreachable"], 0);
    assert_eq!(j["data"]["alerts"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn filters_select_exactly_the_expected_hosts_in_sql_and_refuse_bad_values() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&db, "root", Role::Admin);
    let (st, clock) = state(&db);
    let fleet = seed(&db, clock.now());
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "root", &secret).await;

    let all = send(&app, &mut jar, get("/hosts")).await;
    assert_eq!(all.status, 200);
    assert_eq!(
        names_in(&all),
        [
            "a-web1.lan",
            "a-web2.lan",
            "b-db1.lan",
            "b-db2.lan",
            "c-free.lan",
            "d-new.lan"
        ]
    );
    assert!(all
        .body
        .contains("class=\"badge st-unreachable\" title=\"connection refused\""));
    assert!(all.body.contains("id=\"discover-link\" href=\"/discovery\""));
    assert!(all.body.contains("href=\"/enrollment\""));

    let web = fleet.web.to_string();
    let cases: Vec<(String, Vec<&str>)> = vec![
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
        (
            "state=&group=&q=".into(),
            vec![
                "a-web1.lan",
                "a-web2.lan",
                "b-db1.lan",
                "b-db2.lan",
                "c-free.lan",
                "d-new.lan",
            ],
        ),
    ];
    for (qs, want) in &cases {
        let page = send(&app, &mut jar, get(&format!("/hosts?{qs}"))).await;
        assert_eq!(page.status, 200, "{qs}: {}", page.body);
        assert_eq!(names_in(&page), *want, "page ?{qs}");
        let j = send(&app, &mut jar, get(&format!("/api/v1/hosts?{qs}"))).await;
        assert_eq!(j.status, 200, "{qs}: {}", j.body);
        assert_eq!(names_of(&j.json()), *want, "api ?{qs}");
        assert_eq!(text(&page, "host-count"), want.len().to_string(), "{qs}");
    }
    // The model directly, with the groups of each row from the same statement.
    let f = FilterQuery {
        group: Some(web.clone()),
        ..FilterQuery::default()
    }
    .parse()
    .unwrap();
    let rows = fleet_view::fleet(&mut db.conn(), Scope::All, &f).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.groups.clone()).collect::<Vec<_>>(),
        [vec!["web".to_owned()], vec!["web".to_owned()]]
    );
    let j = send(&app, &mut jar, get("/api/v1/hosts?state=unreachable"))
        .await
        .json();
    assert_eq!(j["data"][0]["groups"], serde_json::json!(["db"]));
    assert_eq!(j["data"][0]["state_reason"], "connection refused");

    // Bad values: a clear 400, the table not shown, nothing changed.
    for (qs, says) in [
        ("state=healthy%27+OR+1%3D1--", "state must be one of"),
        ("group=1%3BDROP+TABLE+hosts", "group must be a group id"),
        ("group=99999", "there is no group with id 99999"),
        (
            "reboot=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            "reboot must be one of",
        ),
        ("security=maybe", "security must be"),
        ("q=a%0Ab", "control characters"),
    ] {
        let page = send(&app, &mut jar, get(&format!("/hosts?{qs}"))).await;
        assert_eq!(page.status, 400, "{qs}");
        assert!(page.body.contains(says), "{qs}: {}", page.body);
        assert!(!page.body.contains("<script>alert"), "{qs}: markup is escaped");
        assert!(names_in(&page).is_empty(), "{qs}");
        let j = send(&app, &mut jar, get(&format!("/api/v1/hosts?{qs}"))).await;
        assert_eq!(j.status, 400, "{qs}");
        assert_eq!(j.json()["error"]["code"], "invalid_request", "{qs}: {}", j.body);
    }
    assert_eq!(Host::list(&mut db.conn(), Scope::All).unwrap().len(), 6);
}

#[actix_web::test]
async fn operators_see_only_their_hosts_and_get_404_for_the_rest() {
    let db = TestDb::new();
    let (op_id, secret) = ready_user(&db, "op", Role::Operator);
    let (st, clock) = state(&db);
    let fleet = seed(&db, clock.now());
    User::set_groups(&mut db.conn(), op_id, &[fleet.web]).unwrap();
    let app = app(st).await;
    let mut op = sign_in(&app, &clock, "op", &secret).await;

    let page = send(&app, &mut op, get("/hosts")).await;
    assert_eq!(
        names_in(&page),
        ["a-web1.lan", "a-web2.lan", "c-free.lan", "d-new.lan"]
    );
    assert!(!page.body.contains("href=\"/discovery\""), "admins only");
    assert!(
        !page.body.contains("Rocky 9"),
        "the OS filter lists only visible hosts' systems"
    );
    assert!(
        !page.body.contains(">db</option>"),
        "only the operator's groups are offered"
    );
    assert_eq!(
        names_of(
            &send(&app, &mut op, get("/api/v1/hosts?state=unreachable"))
                .await
                .json()
        ),
        Vec::<String>::new()
    );
    let other = send(&app, &mut op, get(&format!("/hosts?group={}", fleet.db_group))).await;
    assert_eq!(
        other.status, 400,
        "a group outside the scope does not exist for the operator"
    );

    let foreign = fleet.id("b-db1.lan");
    for uri in [
        format!("/hosts/{foreign}"),
        format!("/hosts/{foreign}/packages"),
        format!("/api/v1/hosts/{foreign}"),
        format!("/api/v1/hosts/{foreign}/packages"),
    ] {
        assert_eq!(send(&app, &mut op, get(&uri)).await.status, 404, "{uri}");
    }
    let mine = fleet.id("a-web1.lan");
    assert_eq!(
        send(&app, &mut op, get(&format!("/hosts/{mine}"))).await.status,
        200
    );

    // Bulk actions on a foreign host change nothing.
    let csrf = page.input_value("csrf").unwrap();
    let ids = [mine.to_string(), foreign.to_string()];
    let r = send(
        &app,
        &mut op,
        form(
            "/hosts/bulk",
            &[
                ("csrf", &csrf),
                ("action", "refresh"),
                ("ids", &ids[0]),
                ("ids", &ids[1]),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(
        r.location
            .as_deref()
            .unwrap()
            .contains(&format!("no+host+with+id+{foreign}")),
        "{r:?}"
    );
    let r = send(
        &app,
        &mut op,
        form(
            "/hosts/bulk",
            &[
                ("csrf", &csrf),
                ("action", "add_group"),
                ("group", &fleet.web.to_string()),
                ("ids", &ids[0]),
            ],
        ),
    )
    .await;
    assert!(
        r.location.as_deref().unwrap().contains("only+administrators"),
        "{r:?}"
    );
    let api = send(
        &app,
        &mut op,
        TestRequest::post()
            .uri("/api/v1/hosts/refresh")
            .insert_header(("x-csrf-token", csrf.clone()))
            .set_json(serde_json::json!({"ids": [foreign]})),
    )
    .await;
    assert_eq!(api.status, 404, "{}", api.body);
    assert_eq!(
        audit_count(&db, "group.add_hosts") + audit_count(&db, "host.refresh"),
        0
    );
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

#[actix_web::test]
async fn bulk_add_to_group_is_audited_and_refresh_says_when_no_poller_runs() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&db, "root", Role::Admin);
    let (st, clock) = state(&db);
    let fleet = seed(&db, clock.now());
    let ops = Group::insert(&mut db.conn(), "ops", clock.now()).unwrap();
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "root", &secret).await;
    let page = send(&app, &mut jar, get("/hosts?group=none")).await;
    assert!(page.body.contains("id=\"bulk-add-group\""));
    let csrf = page.input_value("csrf").unwrap();
    let back = page.input_value("back").unwrap();
    assert_eq!(back, "group=none");
    let (free, new) = (
        fleet.id("c-free.lan").to_string(),
        fleet.id("d-new.lan").to_string(),
    );
    let g = ops.id.to_string();
    let r = send(
        &app,
        &mut jar,
        form(
            "/hosts/bulk",
            &[
                ("csrf", &csrf),
                ("action", "add_group"),
                ("group", &g),
                ("ids", &free),
                ("ids", &new),
                ("ids", &free),
                ("back", &back),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, 303);
    let to = r.location.unwrap();
    assert!(to.starts_with("/hosts?group=none&notice=2+hosts+added"), "{to}");
    let members = Group::member_ids(&mut db.conn(), ops.id).unwrap().1;
    assert_eq!(members, [fleet.id("c-free.lan"), fleet.id("d-new.lan")]);
    assert_eq!(audit_count(&db, "group.add_hosts"), 1);
    // Existing memberships stay (a-web1 keeps `web`), adding again adds nothing.
    let r = send(
        &app,
        &mut jar,
        form(
            "/hosts/bulk",
            &[
                ("csrf", &csrf),
                ("action", "add_group"),
                ("group", &g),
                ("ids", &free),
            ],
        ),
    )
    .await;
    assert!(r.location.unwrap().contains("0+hosts+added"));
    let page = send(&app, &mut jar, get(&format!("/hosts?group={g}"))).await;
    assert_eq!(names_in(&page), ["c-free.lan", "d-new.lan"]);

    // Refresh with no poller in this process: a clear message, no audit row.
    let r = send(
        &app,
        &mut jar,
        form(
            "/hosts/bulk",
            &[("csrf", &csrf), ("action", "refresh"), ("ids", &free)],
        ),
    )
    .await;
    assert!(
        r.location.as_deref().unwrap().contains("poller+is+not+running"),
        "{r:?}"
    );
    let r = send(
        &app,
        &mut jar,
        form(&format!("/hosts/{free}/refresh"), &[("csrf", &csrf)]),
    )
    .await;
    assert!(
        r.location
            .as_deref()
            .unwrap()
            .starts_with(&format!("/hosts/{free}?error=")),
        "{r:?}"
    );
    let api = send(
        &app,
        &mut jar,
        TestRequest::post()
            .uri("/api/v1/hosts/refresh")
            .insert_header(("x-csrf-token", csrf.clone()))
            .set_json(serde_json::json!({"ids": [fleet.id("c-free.lan")]})),
    )
    .await;
    assert_eq!(api.status, 409, "{}", api.body);
    assert_eq!(audit_count(&db, "host.refresh"), 0);

    // Bad bulk input: nothing changes.
    for fields in [
        vec![
            ("csrf", csrf.as_str()),
            ("action", "add_group"),
            ("group", "x"),
            ("ids", free.as_str()),
        ],
        vec![("csrf", csrf.as_str()), ("action", "add_group"), ("group", &g)],
        vec![
            ("csrf", csrf.as_str()),
            ("action", "drop_tables"),
            ("ids", free.as_str()),
        ],
        vec![
            ("csrf", csrf.as_str()),
            ("action", "add_group"),
            ("group", "99999"),
            ("ids", free.as_str()),
        ],
    ] {
        let r = send(&app, &mut jar, form("/hosts/bulk", &fields)).await;
        assert!(
            r.location.as_deref().unwrap().contains("error="),
            "{fields:?}: {r:?}"
        );
    }
    let bad = send(
        &app,
        &mut jar,
        form(
            "/hosts/bulk",
            &[("csrf", &csrf), ("action", "refresh"), ("ids", "1 OR 1=1")],
        ),
    )
    .await;
    assert_eq!(bad.status, 400);
    let no_csrf = send(
        &app,
        &mut jar,
        form(
            "/hosts/bulk",
            &[("action", "add_group"), ("group", &g), ("ids", &new)],
        ),
    )
    .await;
    assert_eq!(no_csrf.status, 403);
    assert_eq!(audit_count(&db, "group.add_hosts"), 2);
}

#[actix_web::test]
async fn host_detail_shows_system_health_patches_and_why_packages_are_unavailable() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&db, "root", Role::Admin);
    let (st, clock) = state(&db);
    let fleet = seed(&db, clock.now());
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "root", &secret).await;

    let id = fleet.id("a-web1.lan");
    let page = send(&app, &mut jar, get(&format!("/hosts/{id}"))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(text(&page, "host-address"), "10.0.0.1:12443");
    assert_eq!(text(&page, "host-os"), "Debian 12");
    assert_eq!(text(&page, "host-agent-version"), "0.6.0");
    assert_eq!(text(&page, "patch-count"), "3");
    assert_eq!(text(&page, "patch-security-count"), "2");
    assert!(page.body.contains("linux-image updated"), "reboot reason");
    assert!(page
        .body
        .contains("<code>CVE-2026-0001</code> <code>CVE-2026-0002</code>"));
    let openssl = page.body.find("data-package=\"openssl\"").unwrap();
    let vim = page.body.find("data-package=\"vim\"").unwrap();
    assert!(openssl < vim, "security updates first");
    assert!(page.body.contains("<svg class=\"chart strip\""));
    assert!(page.body.contains(&format!("href=\"/hosts/{id}/bundle.tar.gz\"")));
    assert!(page
        .body
        .contains(&format!("data-src=\"/hosts/{id}/packages?fragment=1\"")));
    assert_eq!(text(&page, "host-groups"), "web");

    let red = fleet.id("b-db1.lan");
    let page = send(&app, &mut jar, get(&format!("/hosts/{red}"))).await;
    assert_eq!(text(&page, "host-state-reason"), "connection refused");
    assert_eq!(
        page.body.matches("<td><span class=\"badge st-").count(),
        3,
        "three attempts listed"
    );
    assert!(page
        .body
        .contains("Last 30 days: 0 days healthy, 1 days with problems, 29 days without checks"));

    // Packages: the manager has no agent client certificate in this app, and says so.
    let p = send(&app, &mut jar, get(&format!("/hosts/{id}/packages"))).await;
    assert_eq!(p.status, 200);
    assert!(
        text(&p, "packages-unavailable").contains("no client certificate"),
        "{}",
        p.body
    );
    let frag = send(&app, &mut jar, get(&format!("/hosts/{id}/packages?fragment=1"))).await;
    assert!(!frag.body.contains("<html") && frag.body.contains("packages-unavailable"));
    let j = send(&app, &mut jar, get(&format!("/api/v1/hosts/{id}/packages")))
        .await
        .json();
    assert_eq!(j["data"]["packages"], Value::Null);
    assert!(j["data"]["unavailable"]
        .as_str()
        .unwrap()
        .contains("no client certificate"));

    // JSON twin of the detail.
    let j = send(&app, &mut jar, get(&format!("/api/v1/hosts/{id}")))
        .await
        .json();
    let d = &j["data"];
    assert_eq!(d["host"]["hostname"], "a-web1.lan");
    assert_eq!(d["groups"][0]["name"], "web");
    assert_eq!(d["patches"].as_array().unwrap().len(), 3);
    assert_eq!(d["patches"][0]["name"], "openssl");
    assert_eq!(
        d["patches"][0]["cves"],
        serde_json::json!(["CVE-2026-0001", "CVE-2026-0002"])
    );
    assert_eq!(d["patches"][0]["severity"], "critical");
    let j = send(&app, &mut jar, get(&format!("/api/v1/hosts/{red}")))
        .await
        .json();
    assert_eq!(j["data"]["health"].as_array().unwrap().len(), 3);
    assert_eq!(j["data"]["health"][0]["state"], "unreachable");
    assert_eq!(j["data"]["health_days"][0]["unreachable"], 2);
    assert_eq!(send(&app, &mut jar, get("/hosts/999999")).await.status, 404);
}

#[actix_web::test]
async fn hosts_page_renders_2500_hosts_in_one_table() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&db, "root", Role::Admin);
    let (st, clock) = state(&db);
    let mut c = db.conn();
    exec(
        &mut c,
        "INSERT INTO groups (name, created_at) SELECT 'group-' || g, now() FROM generate_series(1, 5) g",
    );
    exec(
        &mut c,
        "INSERT INTO hosts (hostname, ip, created_at, os, agent_version, state, state_reason, pending_total, \
         pending_security, reboot_required, last_seen_at, patches_checked_at) \
         SELECT 'h' || lpad(i::text, 5, '0') || '.example.lan', '10.1.' || (i / 250) || '.' || (i % 250), now(), \
         'Debian 12', '0.6.0', (ARRAY['healthy','degraded','unreachable','unknown'])[1 + i % 4], \
         CASE WHEN i % 4 = 2 THEN 'connection refused' ELSE '' END, i % 7, i % 3, \
         (ARRAY['yes','no','unknown'])[1 + i % 3], now(), now() FROM generate_series(1, 2500) i",
    );
    exec(
        &mut c,
        "INSERT INTO host_groups (host_id, group_id) SELECT h.id, g.id FROM hosts h JOIN groups g \
         ON g.name = 'group-' || (1 + h.id % 5)",
    );
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "root", &secret).await;
    let t = std::time::Instant::now();
    let page = send(&app, &mut jar, get("/hosts")).await;
    let hosts_ms = t.elapsed().as_millis();
    assert_eq!(page.status, 200);
    assert_eq!(names_in(&page).len(), 2500);
    assert_eq!(text(&page, "host-count"), "2500");
    let t = std::time::Instant::now();
    let dash = send(&app, &mut jar, get("/")).await;
    let dash_ms = t.elapsed().as_millis();
    assert_eq!(text(&dash, "host-count"), "2500");
    assert_eq!(text(&dash, "count-healthy"), "625");
    let j = send(&app, &mut jar, get("/api/v1/hosts?state=degraded"))
        .await
        .json();
    assert_eq!(j["data"].as_array().unwrap().len(), 625);
    // Reported, not asserted (no timed assertions): the benchmark measures the real server.
    eprintln!(
        "2,500 hosts in-process (debug build): /hosts {hosts_ms} ms, / {dash_ms} ms, {} KiB",
        page.body.len() / 1024
    );
}

#[actix_web::test]
async fn a_real_agent_polled_shows_on_every_page_and_lists_its_packages_live() {
    use crate::manager_poller::{agent_for, agent_get, state_with};
    use linux_patch_manager::actors::poller;
    use linux_patch_manager::config::file::PollerSection;
    let db = TestDb::new();
    let (_, secret) = ready_user(&db, "root", Role::Admin);
    let cfg = PollerSection {
        timeout_secs: 5,
        ..PollerSection::default()
    };
    let (st, clock) = state_with(&db, cfg, true);
    let agent = agent_for(&st, std::net::Ipv4Addr::LOCALHOST, None);
    let h = Host::insert(
        &mut db.conn(),
        "agent-a.test",
        "127.0.0.1",
        agent.addr.port(),
        clock.now(),
    )
    .unwrap();
    let poller = poller::start_with(st.clone(), None);
    poller.sweep_due().await.unwrap();
    let app = app(st.clone()).await;
    let mut jar = sign_in(&app, &clock, "root", &secret).await;

    // What the agent itself says.
    let patches = agent_get(&agent, "/api/v1/patches").await;
    let patches = patches.as_array().unwrap();
    let security = patches.iter().filter(|p| p["security"] == true).count();
    assert!(security >= 1, "the apt sandbox has a security update");
    let packages = agent_get(&agent, "/api/v1/packages").await;
    let packages = packages.as_array().unwrap();

    // Dashboard: one healthy host with pending security updates = 0 % compliant.
    let dash = send(&app, &mut jar, get("/")).await;
    assert_eq!(text(&dash, "count-healthy"), "1");
    assert_eq!(text(&dash, "compliance-percent"), "0");
    assert_eq!(text(&dash, "pending-total"), patches.len().to_string());
    assert_eq!(text(&dash, "pending-security"), security.to_string());
    let by_sev: i64 = [
        "sev-critical",
        "sev-important",
        "sev-moderate",
        "sev-low",
        "sev-unrated",
    ]
    .iter()
    .map(|id| text(&dash, id).parse::<i64>().unwrap())
    .sum();
    assert_eq!(by_sev as usize, patches.len());

    // Hosts and Host detail.
    let list = send(&app, &mut jar, get("/hosts?state=healthy&security=yes")).await;
    assert_eq!(names_in(&list), ["agent-a.test"]);
    let page = send(&app, &mut jar, get(&format!("/hosts/{}", h.id))).await;
    assert_eq!(text(&page, "patch-count"), patches.len().to_string());
    assert_eq!(
        text(&page, "host-agent-version"),
        agent_get(&agent, "/api/v1/health").await["version"]
    );
    for p in patches {
        let name = p["name"].as_str().unwrap();
        assert!(page.body.contains(&format!("data-package=\"{name}\"")), "{name}");
    }

    // Installed packages, asked live.
    let frag = send(
        &app,
        &mut jar,
        get(&format!("/hosts/{}/packages?fragment=1", h.id)),
    )
    .await;
    assert_eq!(frag.status, 200);
    assert_eq!(
        text(&frag, "package-count"),
        format!("{} packages installed on agent-a.test.", packages.len())
    );
    let j = send(&app, &mut jar, get(&format!("/api/v1/hosts/{}/packages", h.id)))
        .await
        .json();
    assert_eq!(j["data"]["packages"].as_array().unwrap().len(), packages.len());

    // Refresh now, through the running poller: queued and audited.
    let csrf = page.input_value("csrf").unwrap();
    let id = h.id.to_string();
    let r = send(
        &app,
        &mut jar,
        form(
            "/hosts/bulk",
            &[("csrf", &csrf), ("action", "refresh"), ("ids", &id)],
        ),
    )
    .await;
    assert!(
        r.location
            .as_deref()
            .unwrap()
            .contains("notice=refresh+queued+for+1+hosts"),
        "{r:?}"
    );
    assert_eq!(audit_count(&db, "host.refresh"), 1);

    // A stopped agent: the reason in words instead of the list.
    drop(agent);
    let frag = send(
        &app,
        &mut jar,
        get(&format!("/hosts/{}/packages?fragment=1", h.id)),
    )
    .await;
    assert!(
        text(&frag, "packages-unavailable").contains("the agent did not answer"),
        "{}",
        frag.body
    );
}

/// The pages in Chromium against the real `serve` on the seeded fleet (the poller kept off the seeded hosts
/// by a backoff in the future): numbers, charts in both themes, the filter form, select-all + Add to group,
/// the live packages `<details>`; screenshots into `target/screenshots/` (or `docs/screenshots/` with
/// `LPM_UPDATE_SCREENSHOTS=1`).
#[test]
fn fleet_pages_in_a_real_browser() {
    use linux_patch_tests::browser::{try_run_script, SCRIPT_TIMEOUT};
    use linux_patch_tests::manager::ManagerProc;
    let mut m = ManagerProc::prepare_configured(
        "poller: { health_interval_secs: 86400, patch_interval_secs: 86400, timeout_secs: 2 }\n",
    );
    let fleet = seed(m.db(), SystemClock.now());
    exec(
        &mut m.db().conn(),
        "UPDATE hosts SET retry_at = now() + interval '1 day', health_checked_at = now()",
    );
    m.launch();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shots = if std::env::var("LPM_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        root.join("docs/screenshots")
    } else {
        root.join("target/screenshots")
    };
    let out = root.join("target/browser-artefacts/fleet_pages");
    std::fs::create_dir_all(&out).unwrap();
    let ca = m.ca_pem.to_string_lossy().into_owned();
    let host = fleet.id("a-web1.lan").to_string();
    let env = [
        ("BASE_URL", m.url.as_str()),
        ("CA_PEM", ca.as_str()),
        ("USERNAME", m.admin.as_str()),
        ("PASSWORD", m.admin_password.as_str()),
        ("OUT_DIR", out.to_str().unwrap()),
        ("SCREENSHOT_DIR", shots.to_str().unwrap()),
        ("HOST_ID", host.as_str()),
    ];
    let v = try_run_script("fleet_pages.mjs", &env, SCRIPT_TIMEOUT)
        .unwrap_or_else(|report| panic!("{report}\n--- manager stderr ---\n{}", m.stderr()));
    eprintln!("fleet_pages.mjs: {v}");
    let d = &v["dashboard"];
    for (id, want) in [
        ("compliance-percent", "33.3"),
        ("host-count", "6"),
        ("count-healthy", "3"),
        ("count-degraded", "1"),
        ("count-unreachable", "1"),
        ("count-unknown", "1"),
        ("sev-critical", "1"),
        ("reboot-count", "2"),
        ("alert-count", "2"),
    ] {
        assert_eq!(d[id], want, "#{id}: {v}");
    }
    assert_eq!(v["all"].as_array().unwrap().len(), 6, "{v}");
    assert_eq!(
        v["healthy"],
        serde_json::json!(["a-web1.lan", "b-db2.lan", "c-free.lan"])
    );
    assert_eq!(v["ticked"], 2, "select-all ticks every shown host");
    assert_eq!(v["notice"], "2 hosts added to the group", "{v}");
    assert!(
        v["after"].as_str().unwrap().starts_with("/hosts?group=none"),
        "{v}"
    );
    assert_eq!(v["stillUngrouped"], serde_json::json!([]));
    assert!(
        v["packages"]
            .as_str()
            .unwrap()
            .contains("Cannot list the installed packages"),
        "{v}"
    );
    for name in ["dashboard", "hosts", "host"] {
        for scheme in ["light", "dark"] {
            let png = std::fs::read(shots.join(format!("{name}-{scheme}.png"))).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        }
    }
}
