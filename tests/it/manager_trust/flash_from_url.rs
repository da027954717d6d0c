//! Low: `?error=` / `?notice=` in a link were shown as the console's own banner, so a crafted link could make
//! the console say anything; messages now come only from the server (a cookie sealed with the session's
//! secret), shown once.

use super::*;
use linux_patch_tests::console::form;

const LURE: &str = "Your session is compromised: call 555-0100 now";

#[actix_web::test]
async fn crafted_link_puts_attacker_text_in_a_console_banner() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "root", &secret).await;
    let q = serde_html_form::to_string([("error", LURE), ("notice", LURE)]).unwrap();
    let mut shown = Vec::new();
    for page in [
        "/",
        "/hosts",
        "/groups",
        "/users",
        "/enrollment",
        "/certificates",
        "/discovery",
        "/deployments",
        "/deployments/new",
        "/windows",
    ] {
        let r = send(&app, &mut jar, TestRequest::get().uri(&format!("{page}?{q}"))).await;
        assert_eq!(r.status, 200, "{page}: {}", r.body);
        if r.body.contains("555-0100") {
            shown.push(page);
        }
    }
    assert!(
        shown.is_empty(),
        "a crafted link's text shown as a console message on {shown:?}"
    );

    // A forged flash cookie (the attacker's text, any seal) is not shown either, and is removed.
    let forged = format!(
        "v1.{}.AAAA",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            format!("{{\"error\":\"{LURE}\"}}")
        )
    );
    jar.0.insert("__Host-lpm_flash".into(), forged);
    let r = send(&app, &mut jar, TestRequest::get().uri("/groups")).await;
    assert!(!r.body.contains("555-0100"), "a forged flash cookie was shown");
    assert!(jar.get("__Host-lpm_flash").is_none(), "the forged cookie stays");

    // A real message after an action is shown on the next page, once.
    let page = send(&app, &mut jar, TestRequest::get().uri("/groups")).await;
    let csrf = page.input_value("csrf").unwrap();
    let r = send(
        &app,
        &mut jar,
        form("/groups", &[("csrf", &csrf), ("name", "web")]),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location.clone().unwrap();
    assert!(
        !to.contains("notice") && !to.contains("error"),
        "message in the URL: {to}"
    );
    assert_eq!(r.notice().as_deref(), Some("group web created"));
    let next = send(&app, &mut jar, TestRequest::get().uri(&to)).await;
    assert!(next.body.contains("group web created"), "{}", next.body);
    let again = send(&app, &mut jar, TestRequest::get().uri(&to)).await;
    assert!(
        !again.body.contains("group web created"),
        "the message was shown twice"
    );

    // A flash sealed for one session does not open in another (another user's cookie carried over).
    let r = send(
        &app,
        &mut jar,
        form("/groups", &[("csrf", &csrf), ("name", "db")]),
    )
    .await;
    let sealed = r.set_cookies.get("__Host-lpm_flash").cloned().unwrap();
    let (_, other_secret) = ready_user(&mut db.conn(), "eve", Role::Admin);
    let mut other = sign_in(&app, &clock, "eve", &other_secret).await;
    other.0.insert("__Host-lpm_flash".into(), sealed);
    let r = send(&app, &mut other, TestRequest::get().uri("/groups")).await;
    assert!(
        !r.body.contains("group db created"),
        "another session's flash opened"
    );
}
