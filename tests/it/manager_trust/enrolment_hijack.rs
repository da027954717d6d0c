//! Medium 3: a second submitter takes over a pending enrolment request (machine id and FQDN are not
//! secret), and the manager hands out a private key it holds; the agent's own key and CSR close both.

use actix_web::test::TestRequest;
use linux_patch_manager::db::models::Role;
use linux_patch_tests::console::{app, send, state, Jar, Resp};
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::signin::{bearer, ready_user};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::{X509ReqBuilder, X509};
use serde_json::json;

const MACHINE: &str = "0123456789abcdef0123456789abcdef";

fn key() -> PKey<Private> {
    let g = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&g).unwrap()).unwrap()
}

fn csr(k: &PKey<Private>) -> String {
    let mut b = X509ReqBuilder::new().unwrap();
    b.set_pubkey(k).unwrap();
    b.sign(k, MessageDigest::sha256()).unwrap();
    String::from_utf8(b.build().to_pem().unwrap()).unwrap()
}

fn fingerprint(k: &PKey<Private>) -> String {
    let d = openssl::hash::hash(MessageDigest::sha256(), &k.public_key_to_der().unwrap()).unwrap();
    d.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// `POST /api/v1/enroll` with a CSR; a manager that does not know CSRs yet gets the same request without.
async fn ask<S, B>(app: &S, ip: &str, k: &PKey<Private>) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let mut body = json!({"machine_id": MACHINE, "fqdn": "victim.example.test", "ip": ip,
        "os": "Debian GNU/Linux 12 (bookworm)", "port": 12443, "csr": csr(k)});
    let r = send(
        app,
        &mut Jar::default(),
        TestRequest::post().uri("/api/v1/enroll").set_json(&body),
    )
    .await;
    if r.status == 400 && r.body.contains("csr") && r.body.contains("unknown field") {
        body.as_object_mut().unwrap().remove("csr");
        return send(
            app,
            &mut Jar::default(),
            TestRequest::post().uri("/api/v1/enroll").set_json(&body),
        )
        .await;
    }
    r
}

#[actix_web::test]
async fn second_submitter_takes_over_a_pending_enrolment() {
    let db = TestDb::new();
    let (_, admin) = ready_user(&mut db.conn(), "boss", Role::Admin);
    let (st, clock) = state(&db);
    let app = app(st).await;
    let (agent_key, attacker_key) = (key(), key());

    let r = ask(&app, "10.0.0.7", &agent_key).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let agent_token = r.json()["data"]["polling_token"].as_str().unwrap().to_owned();
    // The attacker knows machine id and FQDN and asks again, with its own address and key.
    let r = ask(&app, "10.6.6.6", &attacker_key).await;
    let attacker_token =
        (r.status == 201).then(|| r.json()["data"]["polling_token"].as_str().unwrap().to_owned());

    // The admin sees the request with the agent's key fingerprint, and approves it.
    let auth = bearer(&app, &clock, "boss", &admin).await;
    let list = send(
        &app,
        &mut Jar::default(),
        TestRequest::get()
            .uri("/api/v1/enrollments")
            .insert_header(("authorization", auth.clone())),
    )
    .await;
    assert_eq!(list.status, 200, "{}", list.body);
    let pending = list.json()["data"]["pending"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(pending.len(), 1, "{}", list.body);
    let id = pending[0]["id"].as_i64().unwrap();
    let shown_ip = pending[0]["ip"].as_str().unwrap_or_default().to_owned();
    let r = send(
        &app,
        &mut Jar::default(),
        TestRequest::post()
            .uri(&format!("/api/v1/enrollments/{id}/approve"))
            .insert_header(("authorization", auth)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // What each token gets now.
    let poll = |t: String| TestRequest::get().uri(&format!("/api/v1/enroll/status/{t}"));
    let mut stolen = Vec::new();
    if let Some(t) = &attacker_token {
        let r = send(&app, &mut Jar::default(), poll(t.clone())).await;
        if r.status == 200 {
            stolen.push(format!(
                "the attacker's token got the bundle: {}",
                &r.body[..r.body.len().min(200)]
            ));
        }
    }
    let r = send(&app, &mut Jar::default(), poll(agent_token.clone())).await;
    if r.body.contains("PRIVATE KEY") {
        stolen.push("the manager handed out a private key it holds".into());
    }
    assert!(stolen.is_empty(), "{stolen:?}");
    assert!(
        attacker_token.is_none(),
        "a second submitter replaced the pending request"
    );
    assert_eq!(shown_ip, "10.0.0.7");
    assert_eq!(
        pending[0]["key_fingerprint"].as_str(),
        Some(fingerprint(&agent_key).as_str())
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let cert = X509::from_pem(r.json()["data"]["server_pem"].as_str().unwrap().as_bytes()).unwrap();
    assert!(
        cert.public_key().unwrap().public_eq(&agent_key),
        "the certificate is for the agent's own key"
    );
    // Delivered once.
    assert_ne!(
        send(&app, &mut Jar::default(), poll(agent_token)).await.status,
        200
    );
}
