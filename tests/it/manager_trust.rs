//! Issue 13: attacks on the manager's trust, each performed for real (real handlers, real database, real
//! `openssl s_server` and `curl`), asserting that the attacker gets nothing usable.

use actix_web::test::TestRequest;
use linux_patch_manager::ca::load_trust;
use linux_patch_manager::db::models::{Certificate, Role};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{app, send, state};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, sign_in};
use std::path::Path;
use std::process::{Child, Command, Stdio};

mod discovery_limits;
mod enrolment_flood;
mod enrolment_hijack;
mod flash_from_url;
mod jwt_keys_at_rest;
mod lockout;
mod pending_list;
mod poller_identity;
mod session_lifetime;
mod session_prune;
mod stale_challenge;
mod stolen_session;
mod ws_after_reload;

fn json_post(uri: &str, csrf: &str, body: serde_json::Value) -> TestRequest {
    TestRequest::post()
        .uri(uri)
        .insert_header(("x-csrf-token", csrf))
        .set_json(body)
}

/// `openssl s_server` serving `cert` + `key` on a free loopback port; killed on drop.
struct SServer(Child, u16);

impl SServer {
    fn start(cert: &Path, key: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            linux_patch_tests::agent::wait_a_little();
        }
        Self(child, port)
    }

    /// Whether `curl --cacert ca` completes a verified handshake with it as `name`.
    fn verified_as(&self, name: &str, ca: &Path) -> bool {
        let out = Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "--max-time", "10", "--cacert"])
            .arg(ca)
            .arg("--resolve")
            .arg(format!("{name}:{}:127.0.0.1", self.1))
            .arg(format!("https://{name}:{}/", self.1))
            .output()
            .unwrap();
        out.status.success()
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Unpacks a bundle archive (`tar`) into `dir`.
fn untar(gz: &[u8], dir: &Path) {
    let file = dir.join("b.tar.gz");
    std::fs::write(&file, gz).unwrap();
    let st = Command::new("tar")
        .arg("-xzf")
        .arg(&file)
        .arg("-C")
        .arg(dir)
        .status()
        .unwrap();
    assert!(st.success());
}

/// High 1: an operator registers a host named like the console, fetches its bundle (server certificate +
/// key) and serves it; a client that trusts the documented `ca.pem` must not accept it as the console, nor
/// accept any host bundle at all. Operators get no key material; a revoked host is not silently re-issued.
#[actix_web::test]
async fn operator_bundle_served_as_the_console_is_refused() {
    let db = TestDb::new();
    let (_, admin_secret) = ready_user(&mut db.conn(), "root1", Role::Admin);
    let (_, op_secret) = ready_user(&mut db.conn(), "op1", Role::Operator);
    let (st, clock) = state(&db);
    load_trust(&st.ca_ctx()).await.unwrap();
    let app = app(st.clone()).await;
    let ca_file = st.data_dir.join("ca/ca.pem");
    let mut op = sign_in(&app, &clock, "op1", &op_secret).await;
    let op_csrf = send(&app, &mut op, TestRequest::get().uri("/hosts"))
        .await
        .input_value("csrf")
        .unwrap();

    // The console's own name (public URL https://localhost:8443) cannot be registered as a host.
    let r = send(
        &app,
        &mut op,
        json_post(
            "/api/v1/hosts",
            &op_csrf,
            serde_json::json!({"hostname": "localhost", "ip": "127.0.0.9", "port": 12999}),
        ),
    )
    .await;
    let console_host = (r.status == 201).then(|| r.json()["data"]["id"].as_i64().unwrap());
    // An ordinary host in the operator's scope (ungrouped).
    let r = send(
        &app,
        &mut op,
        json_post(
            "/api/v1/hosts",
            &op_csrf,
            serde_json::json!({"hostname": "decoy.example.lan", "ip": "127.0.0.10", "port": 12998}),
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let decoy = r.json()["data"]["id"].as_i64().unwrap();

    // The operator tries every bundle route; whatever answers 200 is served with openssl s_server.
    let dir = tempfile::tempdir().unwrap();
    let mut obtained = Vec::new();
    for id in console_host.into_iter().chain([decoy]) {
        for (method, uri) in [
            ("GET", format!("/api/v1/hosts/{id}/bundle")),
            ("POST", format!("/api/v1/hosts/{id}/bundle")),
            ("GET", format!("/hosts/{id}/bundle.tar.gz")),
            ("POST", format!("/hosts/{id}/bundle.tar.gz")),
        ] {
            let req = if method == "GET" {
                TestRequest::get().uri(&uri)
            } else {
                TestRequest::post()
                    .uri(&uri)
                    .insert_header(("x-csrf-token", op_csrf.as_str()))
                    .set_form([("csrf", op_csrf.as_str())])
            };
            let req = op
                .apply(req)
                .peer_addr("127.0.0.1:50000".parse().unwrap())
                .to_request();
            let resp = actix_web::test::call_service(&app, req).await;
            if resp.status() == 200 {
                let body = actix_web::test::read_body(resp).await;
                let d = dir.path().join(format!("op-{id}-{method}-{}", obtained.len()));
                std::fs::create_dir_all(&d).unwrap();
                untar(&body, &d);
                obtained.push((id, method, uri.clone(), d));
            }
        }
    }
    let mut accepted = Vec::new();
    for (_, _, uri, d) in &obtained {
        let s = SServer::start(&d.join("server.pem"), &d.join("server.key"));
        for name in ["localhost", "decoy.example.lan"] {
            if s.verified_as(name, &ca_file) {
                accepted.push(format!("{uri} as {name}"));
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "curl --cacert ca.pem verified an operator's bundle: {accepted:?}"
    );
    assert!(
        obtained.is_empty(),
        "an operator obtained private keys: {:?}",
        obtained.iter().map(|o| &o.2).collect::<Vec<_>>()
    );
    assert!(
        console_host.is_none(),
        "the console's name was registered as a host"
    );

    // Even the admin's bundle (handed over once) is no console certificate for a client trusting ca.pem.
    let mut admin = sign_in(&app, &clock, "root1", &admin_secret).await;
    let csrf = send(&app, &mut admin, TestRequest::get().uri("/hosts"))
        .await
        .input_value("csrf")
        .unwrap();
    let req = admin
        .apply(
            TestRequest::post()
                .uri(&format!("/api/v1/hosts/{decoy}/bundle"))
                .insert_header(("x-csrf-token", csrf.as_str())),
        )
        .peer_addr("127.0.0.1:50000".parse().unwrap())
        .to_request();
    let resp = actix_web::test::call_service(&app, req).await;
    assert_eq!(resp.status(), 200);
    let d = dir.path().join("admin");
    std::fs::create_dir_all(&d).unwrap();
    untar(&actix_web::test::read_body(resp).await, &d);
    let s = SServer::start(&d.join("server.pem"), &d.join("server.key"));
    assert!(
        !s.verified_as("decoy.example.lan", &ca_file),
        "an agent certificate chains to the root browsers are told to trust"
    );
    // The key was handed over and not kept.
    let cert = Certificate::current(&mut db.conn(), "agent_server", Some(decoy), clock.now())
        .unwrap()
        .unwrap();
    assert!(!st.data_dir.join(format!("certs/{}.key", cert.serial)).exists());

    // After a revocation the operator cannot get a new certificate; only an admin re-issues.
    let r = send(
        &app,
        &mut admin,
        json_post(
            &format!("/api/v1/certificates/{}/revoke", cert.id),
            &csrf,
            serde_json::json!({"reason": "lost"}),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(
        &app,
        &mut op,
        TestRequest::post()
            .uri(&format!("/api/v1/hosts/{decoy}/bundle"))
            .insert_header(("x-csrf-token", op_csrf.as_str())),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        Certificate::current(&mut db.conn(), "agent_server", Some(decoy), clock.now())
            .unwrap()
            .is_none()
    );
}
