//! Entra ID SSO against a real OIDC provider (panva's oidc-provider, shaped like Entra): settings, the sign-in
//! through the provider's login page, each refusal (clear message + audit row), key rollover, Test connection.

mod browser;
mod flow;
mod refusals;
mod rig;
mod settings;

pub use rig::rig;

use actix_web::test::TestRequest;
use diesel::prelude::*;
use linux_patch_manager::app::AppContext;
use linux_patch_manager::config::sso::SsoSection;
use linux_patch_manager::db::models::Role;
use linux_patch_shared::clock::{Clock, ManualClock, SystemClock};
use linux_patch_tests::console::{self, send, Jar, Resp};
use linux_patch_tests::oidc::{EntraProvider, CLIENT_ID, CLIENT_SECRET, TENANT};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{bearer, ready_user};

/// The in-process console's redirect URI (its public URL is https://localhost:8443).
pub const REDIRECT: &str = "https://localhost:8443/login/sso/callback";

/// The app's context (its SSO aimed at `idp`), its clock set to the real time (the provider's tokens carry
/// real times), and an admin's bearer token.
pub async fn setup(
    db: &TestDb,
    idp: &EntraProvider,
) -> (actix_web::web::Data<AppContext>, ManualClock, String) {
    let (b, clock) = console::builder(db);
    clock.advance(SystemClock.now() - clock.now());
    let b = b.sso(SsoSection {
        authority_host: idp.authority_host(),
        ca_file: Some(idp.ca_file.clone()),
    });
    let state = actix_web::web::Data::new(b.build().unwrap());
    let (_, totp) = ready_user(&mut db.conn(), "root", Role::Admin);
    let app = console::app(state.clone()).await;
    let admin = bearer(&app, &clock, "root", &totp).await;
    (state, clock, admin)
}

/// The settings body for the test provider.
pub fn settings(source: &str, secret: &str) -> serde_json::Value {
    serde_json::json!({
        "enabled": true, "tenant_id": TENANT, "client_id": CLIENT_ID, "client_secret": secret,
        "scopes": "openid profile", "role_source": source,
        "group_map": [{"entra_group": linux_patch_tests::oidc::G_OPS, "role": "operator", "groups": ["ops"]}],
    })
}

/// `PUT /api/v1/settings/sso` as `admin`.
pub async fn put_settings<S, B>(app: &S, admin: &str, body: serde_json::Value) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    send(
        app,
        &mut Jar::default(),
        TestRequest::put()
            .uri("/api/v1/settings/sso")
            .insert_header(("authorization", admin))
            .set_json(body),
    )
    .await
}

/// Starts a sign-in at the console, lets `edit` change the authorization URL (attacks), signs in at the
/// provider as `login`, and returns the provider's redirect (the callback URL).
pub async fn at_provider<S, B>(
    app: &S,
    jar: &mut Jar,
    idp: &EntraProvider,
    login: &str,
    edit: impl Fn(String) -> String,
) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let r = send(app, jar, TestRequest::get().uri("/login/sso")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let url = edit(r.location.clone().unwrap());
    assert!(
        url.contains("code_challenge_method=S256") && url.contains("nonce=") && url.contains("state="),
        "{url}"
    );
    idp.sign_in(&idp.client(), &url, login).await
}

/// Sends the provider's redirect to the console's callback.
pub async fn callback<S, B>(app: &S, jar: &mut Jar, url: &str) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let path = url
        .strip_prefix("https://localhost:8443")
        .unwrap_or_else(|| panic!("not our callback: {url}"));
    send(app, jar, TestRequest::get().uri(path)).await
}

/// The last audit row with `action`: (actor, details).
pub fn last_audit(db: &TestDb, action: &str) -> Option<(String, serde_json::Value)> {
    use linux_patch_manager::db::schema::audit_log as al;
    al::table
        .filter(al::action.eq(action))
        .order(al::id.desc())
        .select((al::actor, al::details))
        .first(&mut db.conn())
        .optional()
        .unwrap()
}

/// Asserts a refused sign-in: 403, the message on the page, an audit row with `reason`, no session.
#[track_caller]
pub fn assert_refused(db: &TestDb, r: &Resp, reason: &str, says: &str) {
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains(says), "page does not say `{says}`: {}", r.body);
    let session = r.set_cookies.get("__Host-lpm_access");
    assert!(session.is_none_or(|v| v.is_empty()), "a session was issued");
    let (_, d) = last_audit(db, "sso.login_refused").expect("no sso.login_refused audit row");
    assert_eq!(d["reason"], reason, "{d}");
}
