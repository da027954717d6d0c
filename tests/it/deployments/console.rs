//! The deployment pages without JavaScript, on a real polled agent: review the pending updates by package,
//! create a `now` security-only deployment from the form, see it on Jobs and Deployment detail, roll one
//! host back from its row, add and remove a window on the Windows page; another group's operator gets 404s.

use super::kit::{agents, app, ctx, settle};
use actix_web::test::TestRequest;
use linux_patch_manager::actors::poller::Refresh;
use linux_patch_manager::db::models::{Group, Role};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{form, send};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, sign_in};

#[actix_web::test]
async fn deploy_from_the_console_then_roll_one_host_back() {
    let db = TestDb::new();
    let (st, clock) = ctx(&db);
    let fleet = agents(&st, &db, &clock, 2);
    let ids: Vec<i64> = fleet.iter().map(|(_, h)| h.id).collect();
    st.actors
        .poller
        .refresh_wait(ids.clone(), Refresh::All)
        .await
        .unwrap();
    let app = app(st.clone()).await;
    let (_, secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let mut jar = sign_in(&app, &clock, "root", &secret).await;

    // Review: the security update of pmtest-lib on both hosts.
    let q: Vec<String> = ids.iter().map(|i| format!("host={i}")).collect();
    let review = send(
        &app,
        &mut jar,
        TestRequest::get().uri(&format!("/deployments/new?{}", q.join("&"))),
    )
    .await;
    assert_eq!(review.status, 200, "{}", review.body);
    assert!(review.body.contains("2 hosts"), "{}", review.body);
    let row = review.body.split("data-package=\"pmtest-lib\"").nth(1).unwrap();
    let row = row.split("</tr>").next().unwrap();
    assert!(row.contains("<td>2</td>") && row.contains("security"), "{row}");
    let csrf = review.input_value("csrf").unwrap();

    let mut fields: Vec<(&str, String)> = vec![
        ("csrf", csrf.clone()),
        ("operation", "security_only".into()),
        ("mode", "now".into()),
        ("reboot", "never".into()),
    ];
    for i in &ids {
        fields.push(("host", i.to_string()));
    }
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = send(&app, &mut jar, form("/deployments", &refs)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location.clone().unwrap();
    assert!(
        to.starts_with("/deployments/") && r.notice().unwrap_or_default().contains("started now"),
        "{r:?}"
    );
    let id: i64 = to
        .trim_start_matches("/deployments/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    settle(&st, &db, id).await;

    let jobs = send(&app, &mut jar, TestRequest::get().uri("/deployments")).await;
    assert!(
        jobs.body
            .contains(&format!("data-deployment=\"{id}\" data-status=\"finished\"")),
        "{}",
        jobs.body
    );
    let page = send(
        &app,
        &mut jar,
        TestRequest::get().uri(&format!("/deployments/{id}")),
    )
    .await;
    assert_eq!(
        page.body.matches("data-state=\"succeeded\"").count(),
        2,
        "{}",
        page.body
    );
    assert!(page.body.contains("pmtest-lib"), "the change set is shown");

    // Roll back the first host only, from its row.
    let r = send(
        &app,
        &mut jar,
        form(
            &format!("/deployments/{id}/rollback"),
            &[("csrf", &csrf), ("host", &ids[0].to_string())],
        ),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location.clone().unwrap();
    assert!(
        r.notice().unwrap_or_default().contains("rollback of deployment"),
        "{r:?}"
    );
    let rb: i64 = to
        .trim_start_matches("/deployments/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    settle(&st, &db, rb).await;
    let page = send(
        &app,
        &mut jar,
        TestRequest::get().uri(&format!("/deployments/{id}")),
    )
    .await;
    assert_eq!(
        page.body.matches("data-state=\"rolled_back\"").count(),
        1,
        "{}",
        page.body
    );
    assert_eq!(page.body.matches("data-state=\"succeeded\"").count(), 1);
    let host = send(
        &app,
        &mut jar,
        TestRequest::get().uri(&format!("/hosts/{}", ids[0])),
    )
    .await;
    assert!(
        host.body
            .contains(&format!("data-deployment=\"{rb}\" data-state=\"succeeded\"")),
        "job history"
    );

    // A second rollback of the same host: refused with a clear message (nothing succeeded there to undo).
    let r = send(
        &app,
        &mut jar,
        form(
            &format!("/deployments/{id}/rollback"),
            &[("csrf", &csrf), ("host", &ids[0].to_string())],
        ),
    )
    .await;
    assert!(r.flash_error().is_some(), "{r:?}");

    // Windows page: add a weekly window to both hosts, see five openings, remove one.
    let r = send(
        &app,
        &mut jar,
        form(
            "/windows",
            &[
                ("csrf", &csrf),
                ("hosts", &format!("{},{}", ids[0], ids[1])),
                ("name", "tuesdays"),
                ("kind", "weekly"),
                ("weekday", "Tue"),
                ("start", "02:00"),
                ("duration_minutes", "120"),
                ("time_zone", "Europe/Berlin"),
                ("cutoff_minutes", "15"),
            ],
        ),
    )
    .await;
    assert!(r.notice().is_some(), "{r:?}");
    let w = send(
        &app,
        &mut jar,
        TestRequest::get().uri("/windows?tz=America/New_York"),
    )
    .await;
    assert_eq!(w.body.matches("data-window=").count(), 2, "{}", w.body);
    assert!(
        w.body.contains("Tue 2026-06-02 02:00–04:00 Europe/Berlin"),
        "{}",
        w.body
    );
    assert!(
        w.body.contains("Mon 2026-06-01 20:00–22:00 America/New_York"),
        "{}",
        w.body
    );
    let bad = send(
        &app,
        &mut jar,
        form(
            "/windows",
            &[
                ("csrf", &csrf),
                ("hosts", &ids[0].to_string()),
                ("kind", "weekly"),
                ("start", "02:00"),
                ("duration_minutes", "120"),
            ],
        ),
    )
    .await;
    assert!(bad.flash_error().is_some(), "empty weekdays refused: {bad:?}");
    let wid = w
        .body
        .split("data-window=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = send(
        &app,
        &mut jar,
        form(&format!("/windows/{wid}/delete"), &[("csrf", &csrf)]),
    )
    .await;
    assert!(r.notice().unwrap_or_default().contains("removed"), "{r:?}");

    // An operator of another group sees none of it.
    let now = clock.now();
    let g = Group::insert(&mut db.conn(), "web", now).unwrap();
    Group::set_members(&mut db.conn(), g.id, &[], &ids).unwrap();
    let (_, s2) = ready_user(&mut db.conn(), "olga", Role::Operator);
    let mut jar2 = sign_in(&app, &clock, "olga", &s2).await;
    let r = send(
        &app,
        &mut jar2,
        TestRequest::get().uri(&format!("/deployments/{id}")),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = send(&app, &mut jar2, TestRequest::get().uri("/deployments")).await;
    assert!(!r.body.contains(&format!("data-deployment=\"{id}\"")));
    let r = send(
        &app,
        &mut jar2,
        TestRequest::get().uri(&format!("/deployments/new?host={}", ids[0])),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
}
