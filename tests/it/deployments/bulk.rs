//! "Deploy selected" on the Hosts page without JavaScript: the ticked hosts arrive on the Patch Deployment
//! review page; nothing ticked stays on the Hosts page with a message; an operator's out-of-scope id is a 404.

use super::kit::{app, ctx};
use actix_web::test::TestRequest;
use linux_patch_manager::db::models::{Group, Host, Role};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{form, send};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, sign_in};

/// The host ids of the review page's hidden `host` fields (what the deployment form will send).
fn chosen(body: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = body
        .split("<input type=\"hidden\" name=\"host\" value=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[actix_web::test]
async fn deploy_selected_takes_the_ticked_hosts_to_the_review_page() {
    let db = TestDb::new();
    let (st, clock) = ctx(&db);
    let now = clock.now();
    let hosts: Vec<Host> = (0..4)
        .map(|i| {
            Host::insert(
                &mut db.conn(),
                &format!("bulk-{i}.test"),
                &format!("10.9.0.{}", i + 1),
                12443,
                now,
            )
            .unwrap()
        })
        .collect();
    let app = app(st.clone()).await;
    let (_, secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let mut jar = sign_in(&app, &clock, "root", &secret).await;

    let page = send(&app, &mut jar, TestRequest::get().uri("/hosts?state=unknown")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("id=\"bulk-deploy\" type=\"submit\" name=\"action\" value=\"deploy\""),
        "the button is a plain submit of the bulk form: {}",
        page.body
    );
    let csrf = page.input_value("csrf").unwrap();
    let (a, c) = (hosts[0].id.to_string(), hosts[2].id.to_string());
    let r = send(
        &app,
        &mut jar,
        form(
            "/hosts/bulk",
            &[
                ("csrf", &csrf),
                ("back", "state=unknown"),
                ("action", "deploy"),
                ("ids", &a),
                ("ids", &c),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location.unwrap();
    assert_eq!(to, format!("/deployments/new?host={a}&host={c}"));
    let review = send(&app, &mut jar, TestRequest::get().uri(&to)).await;
    assert_eq!(review.status, 200, "{}", review.body);
    assert!(review.body.contains("2 hosts"), "{}", review.body);
    assert_eq!(chosen(&review.body), vec![hosts[0].id, hosts[2].id]);
    assert!(review.body.contains("bulk-0.test") && review.body.contains("bulk-2.test"));
    assert!(!review.body.contains("bulk-1.test") && !review.body.contains("bulk-3.test"));

    // Nothing ticked: back to the same Hosts page with a message, no review.
    let r = send(
        &app,
        &mut jar,
        form(
            "/hosts/bulk",
            &[("csrf", &csrf), ("back", "state=unknown"), ("action", "deploy")],
        ),
    )
    .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/hosts?state=unknown"));
    let said = r.flash_error().unwrap_or_default();
    assert!(said.starts_with("select the hosts"), "{said:?}");

    // Without the form's CSRF token: refused, no redirect to the review.
    let r = send(
        &app,
        &mut jar,
        form(
            "/hosts/bulk",
            &[("csrf", "forged"), ("action", "deploy"), ("ids", &a)],
        ),
    )
    .await;
    assert_ne!(r.status, 303, "{r:?}");

    // An operator of group `web` (hosts 0 and 1): their own hosts arrive; host 2 (group `db`) is a 404 as
    // elsewhere.
    let (olga, s2) = ready_user(&mut db.conn(), "olga", Role::Operator);
    let g = Group::insert(&mut db.conn(), "web", now).unwrap();
    Group::set_members(&mut db.conn(), g.id, &[olga], &[hosts[0].id, hosts[1].id]).unwrap();
    let other = Group::insert(&mut db.conn(), "db", now).unwrap();
    Group::set_members(&mut db.conn(), other.id, &[], &[hosts[2].id, hosts[3].id]).unwrap();
    let mut jar2 = sign_in(&app, &clock, "olga", &s2).await;
    let page = send(&app, &mut jar2, TestRequest::get().uri("/hosts")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("bulk-deploy"), "operators deploy too");
    let csrf2 = page.input_value("csrf").unwrap();
    let b = hosts[1].id.to_string();
    let r = send(
        &app,
        &mut jar2,
        form(
            "/hosts/bulk",
            &[("csrf", &csrf2), ("action", "deploy"), ("ids", &a), ("ids", &b)],
        ),
    )
    .await;
    let review = send(&app, &mut jar2, TestRequest::get().uri(&r.location.unwrap())).await;
    assert_eq!(review.status, 200, "{}", review.body);
    assert_eq!(chosen(&review.body), vec![hosts[0].id, hosts[1].id]);
    let r = send(
        &app,
        &mut jar2,
        form(
            "/hosts/bulk",
            &[("csrf", &csrf2), ("action", "deploy"), ("ids", &a), ("ids", &c)],
        ),
    )
    .await;
    assert_eq!(r.status, 303);
    let review = send(&app, &mut jar2, TestRequest::get().uri(&r.location.unwrap())).await;
    assert_eq!(review.status, 404, "{}", review.body);
    assert!(!review.body.contains("bulk-2.test") && !review.body.contains("bulk-0.test"));
}
