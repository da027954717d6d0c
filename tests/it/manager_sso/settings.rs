//! SSO settings over the API (validated, the secret sealed and never shown, audited with it redacted) and
//! "Test connection" with the provider up, with a wrong secret, and down.

use super::*;

#[actix_rt::test]
async fn sso_settings_are_validated_sealed_redacted_and_audited() {
    let db = TestDb::new();
    let idp = EntraProvider::start(REDIRECT);
    let (state, _clock, admin) = setup(&db, &idp).await;
    let app = console::app(state.clone()).await;

    // A multi-tenant alias is refused with the reason; nothing is stored.
    let mut bad = settings("app_roles", CLIENT_SECRET);
    bad["tenant_id"] = "organizations".into();
    let r = put_settings(&app, &admin, bad).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("multi-tenant alias"), "{}", r.body);
    assert!(last_audit(&db, "settings.sso").is_none());

    let r = put_settings(&app, &admin, settings("app_roles", CLIENT_SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(
        &app,
        &mut Jar::default(),
        TestRequest::get()
            .uri("/api/v1/settings/sso")
            .insert_header(("authorization", admin.as_str())),
    )
    .await;
    let v = r.json()["data"].clone();
    assert_eq!(v["client_secret_set"], true, "{v}");
    assert_eq!(v["redirect_uri"], REDIRECT);
    assert_eq!(v["issuer"], format!("{}/{TENANT}/v2.0", idp.authority_host()));
    assert!(
        !r.body.contains(CLIENT_SECRET),
        "the secret was shown: {}",
        r.body
    );

    // Sealed at rest.
    use linux_patch_manager::db::schema::sso_settings as s;
    let stored: String = s::table.select(s::client_secret).first(&mut db.conn()).unwrap();
    assert!(
        stored.starts_with("enc:v1:") && !stored.contains(CLIENT_SECRET),
        "{stored}"
    );

    // Audited before/after with the secret redacted; an empty secret keeps the stored one.
    let (actor, d) = last_audit(&db, "settings.sso").unwrap();
    assert_eq!(actor, "root");
    assert_eq!(d["after"]["client_secret"], "(set)", "{d}");
    assert!(!d.to_string().contains(CLIENT_SECRET));
    let mut again = settings("app_roles", "");
    again["scopes"] = "openid profile email".into();
    assert_eq!(put_settings(&app, &admin, again).await.status, 200);
    let (_, d) = last_audit(&db, "settings.sso").unwrap();
    assert_eq!(d["before"]["scopes"], "openid profile", "{d}");
    assert_eq!(d["after"]["scopes"], "openid profile email", "{d}");
    assert_eq!(d["after"]["client_secret"], "(unchanged)", "{d}");

    // The sign-in page offers SSO now.
    let page = send(&app, &mut Jar::default(), TestRequest::get().uri("/login")).await;
    assert!(page.body.contains("Sign in with Microsoft"), "{}", page.body);
}

async fn test_connection(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
    admin: &str,
) -> serde_json::Value {
    let r = send(
        app,
        &mut Jar::default(),
        TestRequest::post()
            .uri("/api/v1/settings/sso/test")
            .insert_header(("authorization", admin)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["data"].clone()
}

fn step(report: &serde_json::Value, name: &str) -> serde_json::Value {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no step {name}: {report}"))
}

#[actix_rt::test]
async fn sso_test_connection_up_wrong_secret_and_down() {
    let db = TestDb::new();
    let mut idp = EntraProvider::start(REDIRECT);
    let (state, _clock, admin) = setup(&db, &idp).await;
    let app = console::app(state.clone()).await;

    assert_eq!(
        put_settings(&app, &admin, settings("app_roles", CLIENT_SECRET))
            .await
            .status,
        200
    );
    let up = test_connection(&app, &admin).await;
    assert_eq!(up["ok"], true, "{up}");
    for s in ["discovery", "issuer", "jwks", "client_secret"] {
        assert_eq!(step(&up, s)["ok"], true, "{up}");
    }

    assert_eq!(
        put_settings(&app, &admin, settings("app_roles", "not-the-secret"))
            .await
            .status,
        200
    );
    let wrong = test_connection(&app, &admin).await;
    assert_eq!(wrong["ok"], false, "{wrong}");
    assert_eq!(step(&wrong, "jwks")["ok"], true, "{wrong}");
    let s = step(&wrong, "client_secret");
    assert_eq!(s["ok"], false, "{wrong}");
    assert!(
        s["detail"].as_str().unwrap().contains("invalid_client"),
        "{wrong}"
    );

    idp.stop();
    let down = test_connection(&app, &admin).await;
    assert_eq!(down["ok"], false, "{down}");
    let s = step(&down, "discovery");
    assert_eq!(s["ok"], false, "{down}");
    assert!(
        s["detail"]
            .as_str()
            .unwrap()
            .contains(".well-known/openid-configuration"),
        "{down}"
    );
    let (_, d) = last_audit(&db, "settings.sso_test").unwrap();
    assert_eq!(d["ok"], false);
}
