//! Operators reach only their hosts; bulk add-to-group and refresh (audited, refused when no poller runs).

use super::*;

#[actix_web::test]
async fn operators_see_only_their_hosts_and_get_404_for_the_rest() {
    let db = TestDb::new();
    let (op_id, secret) = ready_user(&mut db.conn(), "op", Role::Operator);
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
        r.flash_error()
            .unwrap_or_default()
            .contains(&format!("no host with id {foreign}")),
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
        r.flash_error()
            .unwrap_or_default()
            .contains("only administrators"),
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

#[actix_web::test]
async fn bulk_add_to_group_is_audited_and_refresh_says_why_no_agent_can_be_polled() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "root", Role::Admin);
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
    assert_eq!(r.location.as_deref(), Some("/hosts?group=none"));
    assert!(r.notice().unwrap().starts_with("2 hosts added"), "{r:?}");
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
    assert!(r.notice().unwrap_or_default().contains("0 hosts added"), "{r:?}");
    let page = send(&app, &mut jar, get(&format!("/hosts?group={g}"))).await;
    assert_eq!(names_in(&page), ["c-free.lan", "d-new.lan"]);

    // Refresh while the manager has no client certificate for agents (the poller always runs since the
    // layering; this test app loads no trust): a clear message, no audit row.
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
        r.flash_error()
            .unwrap_or_default()
            .contains("no manager client certificate is loaded"),
        "{r:?}"
    );
    let r = send(
        &app,
        &mut jar,
        form(&format!("/hosts/{free}/refresh"), &[("csrf", &csrf)]),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some(format!("/hosts/{free}").as_str()));
    assert!(r.flash_error().is_some(), "{r:?}");
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
        assert!(r.flash_error().is_some(), "{fields:?}: {r:?}");
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
