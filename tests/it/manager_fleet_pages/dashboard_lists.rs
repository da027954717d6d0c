//! The Dashboard's two lists over a fleet larger than one page: the soonest maintenance windows across every
//! window in scope (not just the first 1,000 stored) and the newest deployments with failed hosts, each
//! scoped to what the viewer may see.

use super::*;

const DAILY: &str = r#"{"kind":{"type":"daily"},"start":"HH:MM","duration_minutes":60,"time_zone":"ZONE","cutoff_minutes":15}"#;

fn daily(start: &str, zone: &str) -> String {
    DAILY.replace("HH:MM", start).replace("ZONE", zone)
}

/// Of the list that `open` starts and `close` ends, what stands between each `item` and the next `end`.
fn items(page: &Resp, open: &str, close: &str, item: &str, end: &str) -> Vec<String> {
    let Some(list) = page.body.split(open).nth(1) else {
        return Vec::new();
    };
    let list = list.split(close).next().unwrap();
    list.split(item)
        .skip(1)
        .map(|li| li.split(end).next().unwrap().to_owned())
        .collect()
}

/// The host names of the Dashboard's upcoming list, in order.
fn upcoming(page: &Resp) -> Vec<String> {
    items(
        page,
        "<ol id=\"upcoming-windows\">",
        "</ol>",
        "<li><strong>",
        "</strong>",
    )
}

/// The deployment ids of the Dashboard's failed list, in order.
fn failed(page: &Resp) -> Vec<String> {
    items(
        page,
        "<ul id=\"failed-deployments\">",
        "</ul>",
        "href=\"/deployments/",
        "\"",
    )
}

/// A deployment created at `now` whose targets are `(host, state)`; its id.
fn deployment(
    c: &mut diesel::PgConnection,
    fleet: &Fleet,
    now: DateTime<Utc>,
    targets: &[(&str, &str)],
) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let id = diesel::sql_query(format!(
        "INSERT INTO deployments (created_by, created_at, operation, mode) \
         VALUES ('root', '{}', 'security_only', 'now') RETURNING id",
        now.to_rfc3339()
    ))
    .get_result::<Id>(c)
    .unwrap()
    .id;
    for (host, state) in targets {
        exec(
            c,
            &format!(
                "INSERT INTO deployment_targets (deployment_id, host_id, hostname, state, updated_at) \
                 VALUES ({id}, {}, '{host}', '{state}', '{}')",
                fleet.id(host),
                now.to_rfc3339()
            ),
        );
    }
    id
}

#[actix_web::test]
async fn the_soonest_windows_of_a_large_fleet_and_the_failed_deployments_are_listed_in_scope() {
    let db = TestDb::new();
    let (_, admin_secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let (op_id, op_secret) = ready_user(&mut db.conn(), "op", Role::Operator);
    let (st, clock) = state(&db);
    let now = clock.now(); // 2026-06-01 12:00 UTC
    let fleet = seed(&db, now);
    User::set_groups(&mut db.conn(), op_id, &[fleet.web]).unwrap();
    let mut c = db.conn();

    // 1,100 hosts of the db group, each with a window at 23:00 UTC, stored first (ids 1..=1100) ...
    let at = now.to_rfc3339();
    exec(
        &mut c,
        &format!(
            "INSERT INTO hosts (hostname, ip, created_at) SELECT 'z-bulk-' || lpad(g::text, 4, '0'), \
             '10.9.' || (g / 250) || '.' || (g % 250), '{at}' FROM generate_series(1, 1100) g"
        ),
    );
    exec(
        &mut c,
        &format!(
            "INSERT INTO host_groups (host_id, group_id) SELECT id, {} FROM hosts WHERE hostname LIKE 'z-bulk-%'",
            fleet.db_group
        ),
    );
    exec(
        &mut c,
        &format!(
            "INSERT INTO maintenance_windows (host_id, name, spec, created_by, created_at) \
             SELECT id, 'nightly', '{}', 'root', '{at}' FROM hosts WHERE hostname LIKE 'z-bulk-%' ORDER BY id",
            daily("23:00", "UTC")
        ),
    );
    // ... then the windows that open first: b-db1 at 12:30 UTC, a-web1 at 13:00 UTC, and a-web2 at 13:00 in
    // Berlin (11:00 UTC, already past today: tomorrow).
    for (host, spec) in [
        ("b-db1.lan", daily("12:30", "UTC")),
        ("a-web1.lan", daily("13:00", "UTC")),
        ("a-web2.lan", daily("13:00", "Europe/Berlin")),
    ] {
        exec(
            &mut c,
            &format!(
                "INSERT INTO maintenance_windows (host_id, name, spec, created_by, created_at) \
                 VALUES ({}, 'w', '{spec}', 'root', '{}')",
                fleet.id(host),
                now.to_rfc3339()
            ),
        );
    }

    // Deployments: one without failures, one with a failed web host, one with a missed window on a db host.
    let ok = deployment(
        &mut c,
        &fleet,
        now,
        &[("a-web1.lan", "succeeded"), ("c-free.lan", "succeeded")],
    );
    let web_failed = deployment(
        &mut c,
        &fleet,
        now,
        &[
            ("a-web1.lan", "succeeded"),
            ("a-web2.lan", "failed"),
            ("c-free.lan", "succeeded"),
        ],
    );
    let db_missed = deployment(
        &mut c,
        &fleet,
        now,
        &[("b-db1.lan", "missed_window"), ("b-db2.lan", "succeeded")],
    );

    let app = app(st).await;
    let mut admin = sign_in(&app, &clock, "root", &admin_secret).await;
    let page = send(&app, &mut admin, get("/")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mut want = vec!["b-db1.lan".to_owned(), "a-web1.lan".to_owned()];
    want.extend((1..=8).map(|i| format!("z-bulk-{i:04}")));
    assert_eq!(upcoming(&page), want, "the soonest ten of 1,103 windows");
    assert!(
        page.body
            .contains("<strong>b-db1.lan</strong> Mon 2026-06-01 12:30"),
        "{}",
        page.body
    );
    assert_eq!(failed(&page), [db_missed.to_string(), web_failed.to_string()]);
    assert!(!failed(&page).contains(&ok.to_string()));
    assert!(
        page.body.contains("1 of 3 hosts failed"),
        "counts of the failed deployment"
    );

    // The operator of `web` sees web and ungrouped hosts only: no db window, no db deployment.
    let mut op = sign_in(&app, &clock, "op", &op_secret).await;
    let page = send(&app, &mut op, get("/")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(upcoming(&page), ["a-web1.lan", "a-web2.lan"]);
    assert!(
        page.body
            .contains("<strong>a-web2.lan</strong> Tue 2026-06-02 13:00"),
        "in its own zone"
    );
    assert_eq!(failed(&page), [web_failed.to_string()]);
}
