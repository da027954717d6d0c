//! The internal CA's certificate register through the real console handlers and a real database (list,
//! renew, revoke, host bundles, RBAC, audit), and with real TLS against the real agent binary: a revoked
//! agent certificate is refused by the manager's trust, a revoked manager client certificate by an agent
//! that reads the manager's CRL.

use actix_web::test::TestRequest;
use linux_patch_manager::ca::load_trust;
use linux_patch_manager::db::models::{Certificate, Group, Host, Role};
use linux_patch_shared::clock::Clock;

use linux_patch_tests::console::{app, form, send, state, Jar};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{ready_user, sign_in};
use openssl::x509::{X509Crl, X509};
use std::path::Path;
use std::process::Command;

mod renewal;
mod tls;

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

/// Unpacks a bundle archive with the real `tar` into `dir`; `tar -tv` listing lines.
pub(super) fn untar(gz: &[u8], dir: &Path) -> Vec<String> {
    let file = dir.join("bundle.tar.gz");
    std::fs::write(&file, gz).unwrap();
    let out = Command::new("tar").arg("-tvzf").arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let st = Command::new("tar")
        .args(["-xpzf"])
        .arg(&file)
        .arg("-C")
        .arg(dir)
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::remove_file(&file).unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

pub(super) fn audit_actions(db: &TestDb) -> Vec<(String, String, String)> {
    linux_patch_manager::audit::recent(&mut db.conn(), None, 1000)
        .unwrap()
        .into_iter()
        .map(|r| (r.actor, r.action, r.target))
        .collect()
}

pub(super) fn serials_in(crl_pem: &str) -> Vec<String> {
    let crl = X509Crl::from_pem(crl_pem.as_bytes()).unwrap();
    crl.get_revoked()
        .map(|s| {
            s.iter()
                .map(|r| {
                    r.serial_number()
                        .to_bn()
                        .unwrap()
                        .to_hex_str()
                        .unwrap()
                        .to_lowercase()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[actix_web::test]
async fn admins_list_renew_and_revoke_operators_get_only_their_bundles() {
    let db = TestDb::new();
    let (_, admin_secret) = ready_user(&mut db.conn(), "root1", Role::Admin);
    let (_, op_secret) = ready_user(&mut db.conn(), "op1", Role::Operator);
    let (st, clock) = state(&db);
    let now = clock.now();
    let (web1, hidden) = {
        let mut c = db.conn();
        let web1 = Host::insert(&mut c, "web-01.example.lan", "10.0.0.5", 12443, now).unwrap();
        let hidden = Host::insert(&mut c, "db-01.example.lan", "10.0.0.6", 12443, now).unwrap();
        let g = Group::insert(&mut c, "databases", now).unwrap();
        Host::set_groups(&mut c, hidden.id, &[g.id]).unwrap();
        (web1, hidden)
    };
    load_trust(&st.ca_ctx()).await.unwrap();
    assert!(st.trust.current().is_some());
    let app = app(st.clone()).await;
    let mut admin = sign_in(&app, &clock, "root1", &admin_secret).await;

    // The host bundle: four files, the key private, a server certificate for the host's name and address.
    // Issue 13: issued by an administrator's POST (CSRF), never a GET.
    let admin_csrf = send(&app, &mut admin, get("/hosts"))
        .await
        .input_value("csrf")
        .unwrap();
    let r = send(
        &app,
        &mut admin,
        get(&format!("/hosts/{}/bundle.tar.gz", web1.id)),
    )
    .await;
    assert_ne!(r.status, 200, "GET issues nothing: {}", r.body);
    let gz = test_body(
        &app,
        &mut admin,
        &format!("/hosts/{}/bundle.tar.gz", web1.id),
        &admin_csrf,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let listing = untar(&gz, dir.path());
    assert_eq!(listing.len(), 4, "{listing:?}");
    let key_line = listing.iter().find(|l| l.ends_with("server.key")).unwrap();
    assert!(key_line.starts_with("-rw-------"), "{key_line}");
    let server = X509::from_pem(&std::fs::read(dir.path().join("server.pem")).unwrap()).unwrap();
    let ca = X509::from_pem(&std::fs::read(dir.path().join("ca.pem")).unwrap()).unwrap();
    assert!(
        !server.verify(&ca.public_key().unwrap()).unwrap(),
        "agent certificates do not chain to the root clients trust"
    );
    let agents_ca = X509::from_pem(&std::fs::read(st.data_dir.join("ca/agents-ca.pem")).unwrap()).unwrap();
    assert!(server.verify(&agents_ca.public_key().unwrap()).unwrap());
    let text = String::from_utf8(server.to_text().unwrap()).unwrap();
    assert!(
        text.contains("DNS:web-01.example.lan") && text.contains("IP Address:10.0.0.5"),
        "{text}"
    );
    assert!(text.contains("TLS Web Server Authentication"), "{text}");
    // One certificate issued; its key was handed over in the archive and is not kept.
    let certs = Certificate::all(&mut db.conn()).unwrap();
    let agent_certs: Vec<_> = certs.iter().filter(|c| c.kind == "agent_server").collect();
    assert_eq!(agent_certs.len(), 1);
    let agent_cert = agent_certs[0].clone();
    assert_eq!(
        (agent_cert.host_id, agent_cert.sans.as_str()),
        (Some(web1.id), "DNS:web-01.example.lan, IP:10.0.0.5")
    );
    assert!(!st
        .data_dir
        .join(format!("certs/{}.key", agent_cert.serial))
        .exists());

    // The page lists both certificates with their status; the API the same, without keys.
    let page = send(&app, &mut admin, get("/certificates")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&agent_cert.serial) && page.body.contains("linux-patch-manager"));
    assert!(page.body.contains(&format!("href=\"/hosts/{}\"", web1.id)));
    assert_eq!(
        page.text_of(&format!("status-{}", agent_cert.id)).as_deref(),
        Some("valid")
    );
    let csrf = page.input_value("csrf").unwrap();
    let api = send(&app, &mut admin, get("/api/v1/certificates")).await.json();
    let list = api["data"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(!api.to_string().contains("PRIVATE KEY"));

    // Renew: a new certificate with the same names; the old one is superseded, still valid.
    let r = send(
        &app,
        &mut admin,
        form(
            &format!("/certificates/{}/renew", agent_cert.id),
            &[("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(r.notice().is_some(), "{:?}", r.location);
    let old = Certificate::by_id(&mut db.conn(), agent_cert.id)
        .unwrap()
        .unwrap();
    let new = Certificate::by_id(&mut db.conn(), old.superseded_by.unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        (new.sans.as_str(), new.host_id, new.kind.as_str()),
        (old.sans.as_str(), old.host_id, "agent_server")
    );
    assert_eq!(old.status(clock.now()), "superseded");
    let again = send(
        &app,
        &mut admin,
        form(
            &format!("/certificates/{}/renew", agent_cert.id),
            &[("csrf", &csrf)],
        ),
    )
    .await;
    assert!(again.flash_error().is_some(), "renewing twice is refused");

    // Revoke: a reason is required; then the CRL lists the serial; twice is a conflict.
    let r = send(
        &app,
        &mut admin,
        form(
            &format!("/certificates/{}/revoke", new.id),
            &[("csrf", &csrf), ("reason", "  ")],
        ),
    )
    .await;
    assert!(r.flash_error().is_some());
    assert!(Certificate::by_id(&mut db.conn(), new.id)
        .unwrap()
        .unwrap()
        .revoked_at
        .is_none());
    let r = send(
        &app,
        &mut admin,
        TestRequest::post()
            .uri(&format!("/api/v1/certificates/{}/revoke", new.id))
            .insert_header(("x-csrf-token", csrf.as_str()))
            .set_json(serde_json::json!({"reason": "host decommissioned"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["data"]["revoked"]["status"], "revoked");
    let crl = send(&app, &mut Jar::default(), get("/crl.pem")).await;
    assert_eq!(crl.status, 200, "the CRL is public");
    assert_eq!(serials_in(&crl.body), [new.serial.as_str()]);
    let on_disk = std::fs::read_to_string(st.data_dir.join("ca/crl.pem")).unwrap();
    assert_eq!(serials_in(&on_disk), [new.serial.as_str()]);
    let r = send(
        &app,
        &mut admin,
        TestRequest::post()
            .uri(&format!("/api/v1/certificates/{}/revoke", new.id))
            .insert_header(("x-csrf-token", csrf.as_str()))
            .set_json(serde_json::json!({"reason": "again"})),
    )
    .await;
    assert_eq!(r.status, 409);

    // Revoking the manager's own client certificate issues a new one at once.
    let client = Certificate::current(&mut db.conn(), "manager_client", None, clock.now())
        .unwrap()
        .unwrap();
    let r = send(
        &app,
        &mut admin,
        form(
            &format!("/certificates/{}/revoke", client.id),
            &[("csrf", &csrf), ("reason", "key compromise")],
        ),
    )
    .await;
    assert!(r.notice().is_some(), "{:?}", r.location);
    let next = Certificate::current(&mut db.conn(), "manager_client", None, clock.now())
        .unwrap()
        .unwrap();
    assert_ne!(next.serial, client.serial);

    // Operators: no Certificates page or actions, bundles only for hosts in scope (others do not exist).
    let mut op = sign_in(&app, &clock, "op1", &op_secret).await;
    assert_eq!(send(&app, &mut op, get("/certificates")).await.status, 403);
    assert_eq!(send(&app, &mut op, get("/api/v1/certificates")).await.status, 403);
    let op_page = send(&app, &mut op, get("/hosts")).await;
    let op_csrf = op_page.input_value("csrf").unwrap();
    let r = send(
        &app,
        &mut op,
        TestRequest::post()
            .uri(&format!("/api/v1/certificates/{}/renew", next.id))
            .insert_header(("x-csrf-token", op_csrf.as_str())),
    )
    .await;
    assert_eq!(r.status, 403);
    // Issue 13: operators get no bundle (it holds a private key), in scope or not.
    let op_post = |uri: String| {
        TestRequest::post()
            .uri(&uri)
            .insert_header(("x-csrf-token", op_csrf.clone()))
    };
    assert_eq!(
        send(
            &app,
            &mut op,
            op_post(format!("/api/v1/hosts/{}/bundle", web1.id))
        )
        .await
        .status,
        403
    );
    assert_eq!(
        send(
            &app,
            &mut op,
            op_post(format!("/api/v1/hosts/{}/bundle", hidden.id))
        )
        .await
        .status,
        403
    );
    assert_eq!(
        send(
            &app,
            &mut admin,
            TestRequest::post()
                .uri("/api/v1/hosts/999999/bundle")
                .insert_header(("x-csrf-token", admin_csrf.as_str()))
        )
        .await
        .status,
        404
    );

    // Every operation is audited with its actor.
    let rows = audit_actions(&db);
    let has = |actor: &str, action: &str, serial: &str| {
        rows.iter()
            .any(|(a, act, t)| a == actor && act == action && t == &format!("cert:{serial}"))
    };
    assert!(has("system", "cert.issue", &client.serial), "{rows:?}");
    assert!(has("root1", "cert.issue", &agent_cert.serial), "{rows:?}");
    assert!(
        has("root1", "cert.bundle_download", &agent_cert.serial),
        "{rows:?}"
    );
    assert!(has("root1", "cert.renew", &new.serial), "{rows:?}");
    assert!(has("root1", "cert.revoke", &new.serial), "{rows:?}");
    assert!(has("root1", "cert.revoke", &client.serial), "{rows:?}");
    assert!(has("system", "cert.issue", &next.serial), "{rows:?}");
    // Issue 13: the operator could not get web-01 (whose certificate was revoked) re-issued.
    assert!(
        !rows
            .iter()
            .any(|(a, act, _)| a == "op1" && (act == "cert.bundle_download" || act == "cert.issue")),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|(a, act, _)| a == "op1" && act == "cert.renew"));
}

/// The raw body of a CSRF-signed POST form (bytes; the kit's `Resp` keeps text).
async fn test_body<S, B>(app: &S, jar: &mut Jar, uri: &str, csrf: &str) -> Vec<u8>
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let req = jar
        .apply(form(uri, &[("csrf", csrf)]))
        .peer_addr("127.0.0.1:50000".parse().unwrap())
        .to_request();
    let r = actix_web::test::call_service(app, req).await;
    assert_eq!(r.status(), 200);
    actix_web::test::read_body(r).await.to_vec()
}
