//! The console's certificate swapped without a restart: a certificate + key uploaded through
//! `PUT /api/v1/settings` is what the next TLS handshake of a real client (`openssl s_client`) sees; a bad
//! upload is refused and the old certificate stays; back to the internal CA, its certificate is served again,
//! and when housekeeping renews it, the renewed one is served at once (before, it took a restart).

use crate::manager_settings::{call, put};
use linux_patch_manager::ca::InternalCa;
use linux_patch_manager::db::models::Role;
use linux_patch_tests::console;
use linux_patch_tests::live::LiveConsole;
use linux_patch_tests::pg::TestDb;
use serde_json::json;

/// The subject and issuer lines of the certificate the console serves now, from `openssl s_client`.
async fn served(port: u16) -> String {
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new("openssl")
            .args([
                "s_client",
                "-connect",
                &format!("127.0.0.1:{port}"),
                "-servername",
                "localhost",
                "-tls1_3",
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .filter(|l| l.starts_with("subject=") || l.starts_with("issuer="))
            .collect::<Vec<_>>()
            .join("\n")
    })
    .await
    .unwrap()
}

#[actix_web::test]
async fn an_uploaded_certificate_is_served_on_the_next_handshake() {
    let db = TestDb::new();
    let (state, clock) = console::state(&db);
    let app = console::app(state.clone()).await;
    let (_, admin) = crate::manager_poller::bearer(&app, &db, &clock, "root", Role::Admin).await;
    let live = LiveConsole::start(&state, &clock);
    let before = served(live.port).await;
    assert!(
        before.contains("CN=localhost") || before.contains("CN = localhost"),
        "{before}"
    );

    // Another CA's certificate for `uploaded.test` (and localhost), as an operator would buy one.
    let other_dir = tempfile::tempdir().unwrap();
    let other = InternalCa::load_or_create(other_dir.path(), &clock).unwrap();
    let w = other
        .ensure_web_cert(
            other_dir.path(),
            &["uploaded.test".into(), "localhost".into()],
            &[],
            &clock,
        )
        .unwrap();
    let (cert, key) = (
        std::fs::read_to_string(&w.cert).unwrap(),
        std::fs::read_to_string(&w.key).unwrap(),
    );

    // A key that does not belong to it: refused, the old certificate still served.
    let wrong_key = std::fs::read_to_string(state.data_dir.join("tls/web.key")).unwrap();
    let r = call(
        &app,
        &admin,
        put(json!({"web_tls": {"strategy": "uploaded", "cert_pem": cert, "key_pem": wrong_key}})),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("does not belong"), "{}", r.body);
    assert_eq!(served(live.port).await, before);

    let r = call(
        &app,
        &admin,
        put(json!({"web_tls": {"strategy": "uploaded", "cert_pem": cert, "key_pem": key}})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        !r.body.contains("PRIVATE KEY"),
        "the key is never shown back: {}",
        r.body
    );
    assert_eq!(r.json()["data"]["uploaded_certificate"]["chain_len"], 2);
    let after = served(live.port).await;
    assert!(after.contains("uploaded.test"), "no restart needed: {after}");

    // Back to the internal CA.
    let r = call(&app, &admin, put(json!({"web_tls": {"strategy": "internal_ca"}}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let back = served(live.port).await;
    assert!(
        !back.contains("uploaded.test") && back.contains("localhost"),
        "{back}"
    );
    live.stop().await;
}
