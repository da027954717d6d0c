//! Hosts filters select exactly the expected hosts (page and JSON), refuse bad values; 2,500 hosts page.

use super::*;

#[actix_web::test]
async fn filters_select_exactly_the_expected_hosts_in_sql_and_refuse_bad_values() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let (st, clock) = state(&db);
    let fleet = seed(&db, clock.now());
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "root", &secret).await;

    let all = send(&app, &mut jar, get("/hosts")).await;
    assert_eq!(all.status, 200);
    assert_eq!(names_in(&all), ALL);
    assert_eq!(text(&all, "host-count"), "6");
    assert!(href_of(&all, "page-next").is_none() && href_of(&all, "page-first").is_none());
    assert!(all
        .body
        .contains("class=\"badge st-unreachable\" title=\"connection refused\""));
    assert!(all.body.contains("id=\"discover-link\" href=\"/discovery\""));
    assert!(all.body.contains("href=\"/enrollment\""));

    let web = fleet.web.to_string();
    let cases = filter_cases(&fleet);
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
    let page = fleet_view::fleet_page(&mut db.conn(), Scope::All, &f, &PageSpec::first(100)).unwrap();
    assert_eq!(
        page.rows.iter().map(|r| r.groups.clone()).collect::<Vec<_>>(),
        [vec!["web".to_owned()], vec!["web".to_owned()]]
    );
    assert_eq!((page.total, page.next), (2, None));
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
async fn hosts_pages_walk_2500_hosts_and_the_api_pages_them_too() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "root", Role::Admin);
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
    assert_eq!(names_in(&page).len(), 100, "the first page holds the default 100");
    assert_eq!(text(&page, "host-count"), "2500", "the total counts every host");
    let t = std::time::Instant::now();
    let (json, headers) = get_h(&app, &mut jar, "/api/v1/hosts").await;
    let json_ms = t.elapsed().as_millis();
    assert_eq!(names_of(&json.json()).len(), 200, "the API's default page");
    assert_eq!(headers["x-total-count"], "2500");

    // Every host reachable, once, in order: 25 pages through Next, 3 API pages of 1,000.
    let want: Vec<String> = (1..=2500).map(|i| format!("h{i:05}.example.lan")).collect();
    let pages = walk_pages(&app, &mut jar, "/hosts").await;
    assert_eq!(pages.len(), 25);
    assert_eq!(pages.iter().flat_map(names_in).collect::<Vec<_>>(), want);
    let api = walk_api(&app, &mut jar, "/api/v1/hosts?limit=1000").await;
    assert_eq!(
        api.iter().map(|(n, _)| n.len()).collect::<Vec<_>>(),
        [1000, 1000, 500]
    );
    assert_eq!(api.into_iter().flat_map(|(n, _)| n).collect::<Vec<_>>(), want);
    let degraded = walk_api(&app, &mut jar, "/api/v1/hosts?state=degraded").await;
    assert_eq!(degraded.len(), 4);
    assert_eq!(degraded.iter().map(|(n, _)| n.len()).sum::<usize>(), 625);
    assert!(degraded.iter().all(|(_, total)| *total == 625));

    let t = std::time::Instant::now();
    let dash = send(&app, &mut jar, get("/")).await;
    let dash_ms = t.elapsed().as_millis();
    assert_eq!(text(&dash, "host-count"), "2500");
    assert_eq!(text(&dash, "count-healthy"), "625");
    // Reported, not asserted (no timed assertions): the benchmark measures the real server.
    eprintln!(
        "2,500 hosts in-process (debug build): /hosts {hosts_ms} ms {} bytes, /api/v1/hosts {json_ms} ms {} bytes, / {dash_ms} ms",
        page.body.len(),
        json.body.len()
    );
}
