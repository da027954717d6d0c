//! Linking a local account to an Entra ID identity from the console's Users page (administrators): the form
//! links (tid, oid) to the account and audits `sso.link`; a forged form (no CSRF token), an operator, a
//! multi-tenant alias and an identity linked already are refused and change nothing.

use diesel::prelude::*;
use linux_patch_manager::db::models::Role;
use linux_patch_manager::db::schema::{audit_log, sso_identities};
use linux_patch_tests::console::{app, form, send, state, Jar};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, sign_in};

const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const OID: &str = "0b1e6a9c-3f42-4c1e-9a8f-5d2e7c6b4a31";

fn links(c: &mut PgConnection) -> Vec<(String, String, i64)> {
    sso_identities::table
        .select((sso_identities::tid, sso_identities::oid, sso_identities::user_id))
        .load(c)
        .unwrap()
}

#[actix_web::test]
async fn an_administrator_links_a_local_account_to_an_entra_identity_from_the_users_page() {
    let db = TestDb::new();
    let (_, root_secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let (bob, _) = ready_user(&mut db.conn(), "bob", Role::Operator);
    let (carol, carol_secret) = ready_user(&mut db.conn(), "carol", Role::Operator);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "root", &root_secret).await;
    let page = send(&app, &mut jar, actix_web::test::TestRequest::get().uri("/users")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(&format!("id=\"link-sso-{bob}\"")),
        "the form is offered"
    );
    let csrf = page.input_value("csrf").unwrap();
    let link_uri = |id: i64| format!("/users/{id}/link-sso");

    // A forged cross-site form: no CSRF token, or another one.
    for token in ["", "forged-token"] {
        let r = send(
            &app,
            &mut jar,
            form(&link_uri(bob), &[("csrf", token), ("tid", TID), ("oid", OID)]),
        )
        .await;
        assert_eq!(r.status, 403, "{}", r.body);
    }
    // An operator may not link.
    let mut op: Jar = sign_in(&app, &clock, "carol", &carol_secret).await;
    let op_page = send(&app, &mut op, actix_web::test::TestRequest::get().uri("/")).await;
    let op_csrf = op_page
        .input_value("csrf")
        .expect("the operator's page carries its CSRF token");
    let r = send(
        &app,
        &mut op,
        form(
            &link_uri(carol),
            &[("csrf", &op_csrf), ("tid", TID), ("oid", OID)],
        ),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // A multi-tenant alias instead of the tenant's GUID.
    let r = send(
        &app,
        &mut jar,
        form(
            &link_uri(bob),
            &[("csrf", &csrf), ("tid", "common"), ("oid", OID)],
        ),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/users"), "{}", r.body);
    assert!(
        r.flash_error().unwrap_or_default().contains("GUID"),
        "{:?}",
        r.flash()
    );
    assert!(links(&mut db.conn()).is_empty(), "refusals link nothing");

    // The link.
    let r = send(
        &app,
        &mut jar,
        form(&link_uri(bob), &[("csrf", &csrf), ("tid", TID), ("oid", OID)]),
    )
    .await;
    assert_eq!(r.location.as_deref(), Some("/users"), "{}", r.body);
    assert!(
        r.notice().unwrap_or_default().contains("linked"),
        "{:?}",
        r.flash()
    );
    assert_eq!(links(&mut db.conn()), [(TID.to_owned(), OID.to_owned(), bob)]);
    let audited: Vec<(String, String, serde_json::Value)> = audit_log::table
        .filter(audit_log::action.eq("sso.link"))
        .select((audit_log::actor, audit_log::target, audit_log::details))
        .load(&mut db.conn())
        .unwrap();
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(
        (audited[0].0.as_str(), audited[0].1.as_str()),
        ("root", "user:bob")
    );
    assert_eq!(audited[0].2["oid"], OID);
    let page = send(&app, &mut jar, actix_web::test::TestRequest::get().uri("/users")).await;
    assert!(
        page.body.contains(&format!("id=\"sso-linked-{bob}\"")),
        "shown as linked"
    );
    assert!(
        !page.body.contains(&format!("id=\"link-sso-{bob}\"")),
        "no second link form"
    );

    // The same identity cannot be linked to another account.
    let r = send(
        &app,
        &mut jar,
        form(&link_uri(carol), &[("csrf", &csrf), ("tid", TID), ("oid", OID)]),
    )
    .await;
    assert!(
        r.flash_error().unwrap_or_default().contains("already linked"),
        "{:?}",
        r.flash()
    );
    assert_eq!(links(&mut db.conn()).len(), 1);
}
