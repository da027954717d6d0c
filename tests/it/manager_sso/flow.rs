//! The SSO sign-in through the provider's login page: a session like a local one with the mapped role, the
//! group mapping, and a signing-key rollover accepted after the JWKS is refetched.

use super::*;
use linux_patch_manager::db::models::{Group, User};

fn user(db: &TestDb, name: &str) -> User {
    User::by_username(&mut db.conn(), name)
        .unwrap()
        .unwrap_or_else(|| panic!("no user {name}"))
}

#[actix_rt::test]
async fn sso_sign_in_lands_in_the_console_with_the_mapped_role() {
    let rig = rig("app_roles").await;
    let (app, db) = (&rig.app, &rig.db);

    let (r, mut jar) = rig.sign_in("alice").await;
    assert_eq!(r.status, 200, "{}\nprovider: {}", r.body, rig.idp.log());
    assert!(r.body.contains("http-equiv=\"refresh\""), "{}", r.body);
    assert!(jar.get("__Host-lpm_access").is_some() && jar.get("__Host-lpm_refresh").is_some());
    assert!(
        jar.get("__Host-lpm_sso").is_none(),
        "the state cookie must be cleared"
    );

    // Straight into the console as an admin: no local second factor for Entra users.
    let home = send(app, &mut jar, TestRequest::get().uri("/")).await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("alice (admin)"), "{}", home.body);
    let u = user(db, "alice");
    assert_eq!(u.role, "admin");
    let factors = linux_patch_manager::db::models::mfa::factor_count(&mut db.conn(), u.id).unwrap();
    assert_eq!(factors, 0);
    // Keyed on (tid, oid), not on the name.
    let linked = linux_patch_manager::db::models::sso::user_of(
        &mut db.conn(),
        TENANT,
        "a11ce000-0000-4000-8000-000000000001",
    )
    .unwrap();
    assert_eq!(linked, Some(u.id));
    let (actor, d) = last_audit(db, "auth.login").unwrap();
    assert_eq!(
        (actor.as_str(), d["second_factor"].as_str()),
        ("alice", Some("entra_id")),
        "{d}"
    );

    // A second sign-in reuses the account; the local password form cannot sign it in.
    let (r, mut jar2) = rig.sign_in("alice").await;
    assert_eq!(r.status, 200);
    let n: i64 = User::count(&mut db.conn()).unwrap();
    assert_eq!(n, 2, "root and alice");
    let page = send(app, &mut jar2, TestRequest::get().uri("/login")).await;
    let csrf = page.input_value("csrf").unwrap_or_default();
    let r = send(
        app,
        &mut Jar::default(),
        console::form(
            "/login",
            &[("csrf", &csrf), ("username", "alice"), ("password", "!sso")],
        ),
    )
    .await;
    assert_ne!(
        r.status, 303,
        "a password signed in an SSO user: {:?}",
        r.location
    );

    // An operator through the app role.
    assert_eq!(rig.sign_in("oscar").await.0.status, 200);
    assert_eq!(user(db, "oscar").role, "operator");
}

#[actix_rt::test]
async fn sso_group_mapping_sets_role_and_manager_groups() {
    let rig = rig("groups").await;
    let db = &rig.db;
    let ops = Group::insert(&mut db.conn(), "ops", rig.clock.now()).unwrap();

    let (r, _) = rig.sign_in("gina").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let u = user(db, "gina");
    assert_eq!(u.role, "operator");
    let groups = User::groups(&mut db.conn(), u.id).unwrap();
    assert_eq!(groups, vec![(ops.id, "ops".to_owned())]);
}

#[actix_rt::test]
async fn sso_key_rollover_is_accepted_after_the_keys_are_refetched() {
    let rig = rig("app_roles").await;

    // The first sign-in caches discovery and the JWKS.
    assert_eq!(rig.sign_in("alice").await.0.status, 200);

    // Entra rolls its key over: the new kid is unknown to the cache, refetched once, accepted.
    let kid = rig.idp.rotate().await;
    let (r, _) = rig.sign_in("alice").await;
    assert_eq!(r.status, 200, "token signed by {kid} refused: {}", r.body);

    // A second unknown kid within five minutes is not refetched (rate limit): refused and audited.
    rig.idp.rotate().await;
    let (r, _) = rig.sign_in("alice").await;
    assert_refused(&rig.db, &r, "token_invalid", "refetched recently");
}

#[actix_rt::test]
async fn sso_signs_in_as_a_local_account_only_after_an_admin_links_it() {
    let rig = rig("app_roles").await;
    let (app, db, admin) = (&rig.app, &rig.db, &rig.admin);
    let (local, _) = ready_user(&mut db.conn(), "alice", Role::Operator);
    let oscar_oid = "05ca2000-0000-4000-8000-000000000002";

    // Only an admin links (names prove nothing): a malformed oid is refused; then oscar's Entra identity is
    // linked to the local account `alice`, and oscar's sign-in lands there.
    let link = |uid: i64, oid: &str| {
        TestRequest::post()
            .uri("/api/v1/settings/sso/links")
            .insert_header(("authorization", admin.as_str()))
            .set_json(serde_json::json!({"user_id": uid, "tid": TENANT, "oid": oid}))
    };
    let r = send(app, &mut Jar::default(), link(local, "not-a-guid")).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = send(app, &mut Jar::default(), link(local, oscar_oid)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (_, d) = last_audit(db, "sso.link").unwrap();
    assert_eq!(d["oid"], oscar_oid);

    let (r, mut jar) = rig.sign_in("oscar").await;
    assert_eq!(r.status, 200);
    let home = send(app, &mut jar, TestRequest::get().uri("/")).await;
    assert!(home.body.contains("alice (operator)"), "{}", home.body);
    assert!(User::by_username(&mut db.conn(), "oscar").unwrap().is_none());
    let r = send(
        app,
        &mut Jar::default(),
        link(local, "0000a000-0000-4000-8000-000000000003"),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
}
