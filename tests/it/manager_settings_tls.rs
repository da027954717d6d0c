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

/// The real `serve`: `tls: files` from config.yaml is served; after a restart with an uploaded certificate
/// stored in the runtime settings (key sealed with the manager's secrets.key), the uploaded one is served.
#[actix_web::test]
async fn serve_uses_configured_files_then_the_stored_upload_after_a_restart() {
    use linux_patch_manager::settings::apply::{Initial, WEB_TLS_KEY};
    use linux_patch_manager::settings::TlsStrategy;
    use linux_patch_shared::clock::SystemClock;
    let certs = tempfile::tempdir().unwrap();
    let issue = |name: &str| {
        let dir = certs.path().join(name);
        let ca = InternalCa::load_or_create(&dir, &SystemClock).unwrap();
        let w = ca
            .ensure_web_cert(&dir, &[name.to_owned(), "localhost".into()], &[], &SystemClock)
            .unwrap();
        (w.cert, w.key)
    };
    let (fcert, fkey) = issue("files.test");
    // Relative paths resolve against config.yaml's directory (under the test's prefix).
    let extra = "tls: { strategy: files, cert: certs/files.pem, key: certs/files.key }\n";
    let mut m = linux_patch_tests::manager::ManagerProc::prepare_configured(extra);
    let dir = m.prefix().join("etc/linux_patch_manager/certs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&fcert, dir.join("files.pem")).unwrap();
    std::fs::copy(&fkey, dir.join("files.key")).unwrap();
    m.launch();
    let first = served(m.addr.port()).await;
    assert!(first.contains("files.test"), "{first}");

    m.stop();
    let (ucert, ukey) = issue("uploaded.test");
    let key = linux_patch_manager::secrets::SecretsKey::load_or_create(&m.data_dir()).unwrap();
    let mut s = Initial {
        poller: Default::default(),
        concurrency: 64,
        audit_days: 183,
        allow: vec!["127.0.0.0/8".parse().unwrap()],
        internal_ca: false,
    }
    .settings();
    s.web_tls.strategy = TlsStrategy::Uploaded;
    s.web_tls.cert_pem = Some(std::fs::read_to_string(&ucert).unwrap());
    s.web_tls.key_sealed = Some(key.seal(WEB_TLS_KEY, &std::fs::read(&ukey).unwrap()).unwrap());
    linux_patch_manager::db::models::settings_row::store(
        &mut m.db().conn(),
        &serde_json::to_value(&s).unwrap(),
        linux_patch_shared::clock::Clock::now(&SystemClock),
        "test",
    )
    .unwrap();
    m.launch();
    let second = served(m.addr.port()).await;
    assert!(second.contains("uploaded.test"), "{second}\n{}", m.stderr());
}
