//! Each refused SSO sign-in: a clear page (403), an `sso.login_refused` audit row, no session. Every case is an
//! attack or a misconfiguration played against the real provider (each one seen failing against the manager with
//! that check weakened).

use super::*;

/// Replaces the value of query parameter `key` in `url`.
fn with_param(url: &str, key: &str, value: &str) -> String {
    let mut u = reqwest::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            (
                k.to_string(),
                if k == key { value.to_owned() } else { v.to_string() },
            )
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

#[actix_rt::test]
async fn sso_refuses_replay_nonce_audience_issuer_expiry_and_foreign_state() {
    let rig = rig("app_roles").await;
    let (db, idp, clock) = (&rig.db, &rig.idp, &rig.clock);

    // Replayed state: the same answer twice (e.g. from the history or a leaked URL).
    let (mut jar, back) = rig.to_provider("alice", |u| u).await;
    assert_eq!(rig.deliver(&mut jar, &back).await.status, 200);
    let mut replay = Jar::default();
    replay.0.insert(
        "__Host-lpm_sso".into(),
        reqwest::Url::parse(&back)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .to_string(),
    );
    let r = rig.deliver(&mut replay, &back).await;
    assert_refused(db, &r, "state_replayed", "already used");

    // An answer for a sign-in this browser did not start (login CSRF): no matching state cookie.
    let (_, back) = rig.to_provider("alice", |u| u).await;
    let r = rig.deliver(&mut Jar::default(), &back).await;
    assert_refused(db, &r, "state_mismatch", "not started in this browser");

    // Wrong nonce: the authorization request's nonce swapped on the way to the provider.
    let (mut jar, back) = rig
        .to_provider("alice", |u| with_param(&u, "nonce", "attacker-nonce"))
        .await;
    let r = rig.deliver(&mut jar, &back).await;
    assert_refused(db, &r, "token_invalid", "nonce does not match");

    // Wrong audience and wrong issuer (the provider's own token re-signed with its key by the test hook).
    idp.tamper("aud").await;
    let (r, _) = rig.sign_in("alice").await;
    assert_refused(db, &r, "token_invalid", "issued for another application");
    idp.tamper("iss").await;
    let (r, _) = rig.sign_in("alice").await;
    assert_refused(db, &r, "token_invalid", "comes from another issuer");
    idp.tamper("none").await;

    // Expired: the provider's ID tokens live 120 s; the answer arrives 3 minutes later.
    let (mut jar, back) = rig.to_provider("alice", |u| u).await;
    clock.advance(chrono::Duration::minutes(3));
    let r = rig.deliver(&mut jar, &back).await;
    assert_refused(db, &r, "token_invalid", "has expired");
    clock.advance(SystemClock.now() - clock.now());

    // Still fine afterwards.
    assert_eq!(rig.sign_in("alice").await.0.status, 200);
}

#[actix_rt::test]
async fn sso_refuses_users_without_a_role_and_groups_overage() {
    let rig = rig("app_roles").await;
    let db = &rig.db;

    let (r, _) = rig.sign_in("nora").await;
    assert_refused(db, &r, "no_role", "has no role in Linux Patch Manager");
    let (actor, _) = last_audit(db, "sso.login_refused").unwrap();
    assert_eq!(
        actor,
        format!("sso:{TENANT}/0000a000-0000-4000-8000-000000000003")
    );
    assert!(
        linux_patch_manager::db::models::User::by_username(&mut db.conn(), "nora")
            .unwrap()
            .is_none()
    );

    // Groups overage: `_claim_names` instead of `groups` -> use app roles.
    assert_eq!(rig.put_settings("groups", "").await.status, 200);
    let (r, _) = rig.sign_in("ozzy").await;
    assert_refused(db, &r, "groups_overage", "SSO role source to app roles");

    // With groups as the role source, a user in no mapped group (alice: app roles only) has no role either.
    let (r, _) = rig.sign_in("alice").await;
    assert_refused(db, &r, "no_role", "has no role in Linux Patch Manager");
}

#[actix_rt::test]
async fn sso_refuses_an_id_token_before_its_not_before_time() {
    let rig = rig("app_roles").await;
    // fred's ID token, issued and signed by the provider itself, says nbf = its issue time + 60 s.
    let (r, _) = rig.sign_in("fred").await;
    assert_refused(&rig.db, &r, "token_invalid", "is not valid before");
    assert!(
        linux_patch_manager::db::models::User::by_username(&mut rig.db.conn(), "fred")
            .unwrap()
            .is_none()
    );
    // The same answer checked 90 s later on the manager's clock (past nbf, before exp = issue + 120 s).
    let (mut jar, back) = rig.to_provider("fred", |u| u).await;
    rig.clock.advance(chrono::Duration::seconds(90));
    let r = rig.deliver(&mut jar, &back).await;
    assert_eq!(r.status, 200, "{}", r.body);
}
