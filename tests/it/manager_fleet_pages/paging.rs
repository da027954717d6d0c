//! Keyset pages of the Hosts page and `GET /api/v1/hosts`: every filter pages through each matching host
//! exactly once and in order, a cursor survives the removal of its row, and bad cursors or limits are refused.

use super::*;

/// Page sizes tried on every filter.
const LIMITS: [usize; 3] = [1, 2, 5];

#[actix_web::test]
async fn paging_with_each_filter_returns_every_matching_host_exactly_once_in_order() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let (st, clock) = state(&db);
    let fleet = seed(&db, clock.now());
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "root", &secret).await;

    for (qs, want) in filter_cases(&fleet) {
        for limit in LIMITS {
            let pages = walk_pages(&app, &mut jar, &format!("/hosts?{qs}&limit={limit}")).await;
            let names: Vec<String> = pages.iter().flat_map(names_in).collect();
            assert_eq!(names, want, "page ?{qs}&limit={limit}");
            assert_eq!(
                pages.len(),
                want.len().div_ceil(limit).max(1),
                "?{qs}&limit={limit}"
            );
            for (i, p) in pages.iter().enumerate() {
                assert!(names_in(p).len() <= limit, "?{qs} page {i}");
                assert_eq!(text(p, "host-count"), want.len().to_string(), "?{qs} page {i}");
                // Later pages link back to the first one, with the filters and the page size kept.
                let first = href_of(p, "page-first");
                if i == 0 {
                    assert_eq!(first, None, "?{qs}");
                } else {
                    let first = first.unwrap_or_else(|| panic!("?{qs} page {i}: no First link"));
                    let again = send(&app, &mut jar, get(&first)).await;
                    assert_eq!(names_in(&again), names_in(&pages[0]), "{first}");
                }
                if let Some(next) = href_of(p, "page-next") {
                    assert!(next.contains(&format!("limit={limit}")), "{next}");
                }
            }
            let api = walk_api(&app, &mut jar, &format!("/api/v1/hosts?{qs}&limit={limit}")).await;
            let names: Vec<String> = api.iter().flat_map(|(n, _)| n.clone()).collect();
            assert_eq!(names, want, "api ?{qs}&limit={limit}");
            assert!(api
                .iter()
                .all(|(n, total)| n.len() <= limit && *total == want.len() as i64));
        }
        // The defaults (100 on the page, 200 in the API) hold the whole seed on one page.
        let api = walk_api(&app, &mut jar, &format!("/api/v1/hosts?{qs}")).await;
        assert_eq!(api.len(), 1, "?{qs}");
    }
}

#[actix_web::test]
async fn a_cursor_stays_valid_when_its_host_is_removed_and_bulk_actions_return_to_the_page() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let (st, clock) = state(&db);
    let fleet = seed(&db, clock.now());
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "root", &secret).await;

    let first = send(&app, &mut jar, get("/hosts?limit=2")).await;
    assert_eq!(names_in(&first), ["a-web1.lan", "a-web2.lan"]);
    let next = href_of(&first, "page-next").unwrap();
    // The host the cursor names goes away: the next page still starts right after it.
    exec(
        &mut db.conn(),
        &format!("DELETE FROM hosts WHERE id = {}", fleet.id("a-web2.lan")),
    );
    let second = send(&app, &mut jar, get(&next)).await;
    assert_eq!(names_in(&second), ["b-db1.lan", "b-db2.lan"]);
    assert_eq!(text(&second, "host-count"), "5");

    // A bulk action on the second page comes back to the second page.
    let back = unescaped(&second.input_value("back").unwrap());
    assert_eq!(format!("/hosts?{back}"), next);
    let csrf = second.input_value("csrf").unwrap();
    let ops = Group::insert(&mut db.conn(), "ops", clock.now())
        .unwrap()
        .id
        .to_string();
    let id = fleet.id("b-db1.lan").to_string();
    let r = send(
        &app,
        &mut jar,
        form(
            "/hosts/bulk",
            &[
                ("csrf", &csrf),
                ("action", "add_group"),
                ("group", &ops),
                ("ids", &id),
                ("back", &back),
            ],
        ),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some(next.as_str()));
    assert!(r.notice().unwrap().starts_with("1 hosts added"), "{r:?}");
}

#[actix_web::test]
async fn bad_and_injection_shaped_cursors_and_limits_are_refused() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let (st, clock) = state(&db);
    let fleet = seed(&db, clock.now());
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "root", &secret).await;
    let forged = |hostname: &str, id: i64| {
        fleet_view::Cursor {
            hostname: hostname.into(),
            id,
        }
        .encode()
    };
    let long = "A".repeat(600);
    let cursors = [
        "nonsense%21".to_owned(),
        "%27+OR+%271%27%3D%271".to_owned(),
        "1%3BDROP+TABLE+hosts".to_owned(),
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_owned(),
        forged("a' OR 1=1--", 1),
        forged("a-web1.lan'; DROP TABLE hosts; --", 1),
        forged("a-web1.lan", 0),
        forged("a-web1.lan", -3),
        forged("<script>alert(1)</script>", 1),
        long,
    ];
    for c in &cursors {
        for uri in [
            format!("/hosts?after={c}"),
            format!("/hosts?state=healthy&after={c}"),
        ] {
            let page = send(&app, &mut jar, get(&uri)).await;
            assert_eq!(page.status, 400, "{uri}");
            assert!(
                page.body.contains("after is not a cursor of this list"),
                "{uri}: {}",
                page.body
            );
            assert!(!page.body.contains("<script>alert"), "{uri}: markup is escaped");
            assert!(names_in(&page).is_empty(), "{uri}");
        }
        let j = send(&app, &mut jar, get(&format!("/api/v1/hosts?after={c}"))).await;
        assert_eq!(j.status, 400, "{c}");
        assert_eq!(j.json()["error"]["code"], "invalid_request", "{c}: {}", j.body);
    }
    for l in ["0", "1001", "-1", "abc", "1e3", "2%27--"] {
        let page = send(&app, &mut jar, get(&format!("/hosts?limit={l}"))).await;
        assert_eq!(page.status, 400, "limit={l}");
        assert!(
            page.body.contains("limit must be a number from 1 to 1000"),
            "{l}: {}",
            page.body
        );
        let j = send(&app, &mut jar, get(&format!("/api/v1/hosts?limit={l}"))).await;
        assert_eq!(j.status, 400, "limit={l}");
    }
    // A well-formed cursor past the end is an empty last page, not an error.
    let (j, h) = get_h(
        &app,
        &mut jar,
        &format!("/api/v1/hosts?after={}", forged("zzz.lan", 1)),
    )
    .await;
    assert_eq!((j.status, names_of(&j.json()).len()), (200, 0));
    assert_eq!(h["x-total-count"], "6");
    assert!(!h.contains_key("x-next-after"));
    assert_eq!(Host::list(&mut db.conn(), Scope::All).unwrap().len(), 6);
    assert!(fleet
        .ids
        .values()
        .all(|id| Host::find(&mut db.conn(), Scope::All, *id).unwrap().is_some()));
}
