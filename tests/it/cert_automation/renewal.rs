//! An enrolled agent renews its own server certificate through the manager before it expires; the manager
//! keeps reaching it (old and new certificate pinned); a revoked certificate cannot renew.

use super::*;
use diesel::RunQueryDsl;
use linux_patch_manager::ca::Signer;
use linux_patch_shared::api::enroll::{renewal_message, RenewRequest};
use linux_patch_shared::clock::ManualClock;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::x509::X509;

/// Replaces the host's certificate by one for the same key that has one day left of nine (recorded on the
/// manager as the host's current certificate, written over the agent's `server.pem`); its PEM.
fn make_due(m: &ManagerProc, sb: &EnrollSandbox, host_id: i64) -> String {
    let cert_file = sb.etc().join("certs/server.pem");
    let current = X509::from_pem(&std::fs::read(&cert_file).unwrap()).unwrap();
    let ca = InternalCa::load_or_create(&m.data_dir(), &SystemClock).unwrap();
    let req = IssueRequest {
        common_name: "agent-1.example.test".into(),
        dns: vec!["agent-1.example.test".into()],
        ips: vec!["127.0.0.1".parse().unwrap()],
        usage: Usage::Server,
        days: 9,
    };
    let eight_days_ago = ManualClock::new(SystemClock.now() - chrono::Duration::days(8));
    let (pem, serial, not_after) = ca
        .sign(
            Signer::Agents,
            &req,
            &current.public_key().unwrap(),
            &eight_days_ago,
        )
        .unwrap();
    let mut c = m.db().conn();
    diesel::sql_query(
        "INSERT INTO certificates (serial, kind, subject, sans, host_id, cert_pem, key_file, not_before, \
         not_after, created_at) VALUES ($1, 'agent_server', 'agent-1.example.test', \
         'DNS:agent-1.example.test, IP:127.0.0.1', $2, $3, '', now() - interval '8 days', $4, now())",
    )
    .bind::<diesel::sql_types::Text, _>(&serial)
    .bind::<diesel::sql_types::BigInt, _>(host_id)
    .bind::<diesel::sql_types::Text, _>(&pem)
    .bind::<diesel::sql_types::Timestamptz, _>(not_after)
    .execute(&mut c)
    .unwrap();
    diesel::sql_query(
        "UPDATE certificates SET superseded_by = (SELECT id FROM certificates WHERE serial = $1) \
         WHERE host_id = $2 AND serial <> $1 AND superseded_by IS NULL",
    )
    .bind::<diesel::sql_types::Text, _>(&serial)
    .bind::<diesel::sql_types::BigInt, _>(host_id)
    .execute(&mut c)
    .unwrap();
    let tmp = cert_file.with_extension("tmp");
    std::fs::write(&tmp, &pem).unwrap();
    std::fs::rename(&tmp, &cert_file).unwrap();
    pem
}

/// A CSR for a fresh P-256 key with CN = `cn`.
fn fresh_csr(cn: &str) -> String {
    let g = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
    let fresh = PKey::from_ec_key(openssl::ec::EcKey::generate(&g).unwrap()).unwrap();
    let mut name = openssl::x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(openssl::nid::Nid::COMMONNAME, cn)
        .unwrap();
    let mut b = openssl::x509::X509ReqBuilder::new().unwrap();
    b.set_subject_name(&name.build()).unwrap();
    b.set_pubkey(&fresh).unwrap();
    b.sign(&fresh, MessageDigest::sha256()).unwrap();
    String::from_utf8(b.build().to_pem().unwrap()).unwrap()
}

/// A renewal request for `csr`, signed by `key_pem` over `cert_pem` (what whoever holds a certificate and its
/// key can send).
fn signed_for(cert_pem: &str, key_pem: &str, csr: &str) -> String {
    let at = SystemClock.now().to_rfc3339();
    let key = PKey::private_key_from_pem(key_pem.as_bytes()).unwrap();
    let mut signer = openssl::sign::Signer::new(MessageDigest::sha256(), &key).unwrap();
    let sig = signer
        .sign_oneshot_to_vec(&renewal_message(&at, cert_pem, csr))
        .unwrap();
    serde_json::to_string(&RenewRequest {
        certificate: cert_pem.into(),
        csr: csr.into(),
        signed_at: at,
        signature: sig.iter().map(|b| format!("{b:02x}")).collect(),
    })
    .unwrap()
}

/// A renewal request for a fresh key.
fn signed_request(cert_pem: &str, key_pem: &str, cn: &str) -> String {
    signed_for(cert_pem, key_pem, &fresh_csr(cn))
}

fn agent_certs(m: &ManagerProc, host_id: i64) -> Vec<Certificate> {
    Certificate::all(&mut m.db().conn())
        .unwrap()
        .into_iter()
        .filter(|c| c.host_id == Some(host_id))
        .collect()
}

#[test]
fn an_enrolled_agent_renews_its_certificate_and_a_revoked_one_cannot() {
    let m = ManagerProc::start_configured("poller: { health_interval_secs: 1, retry_base_secs: 1 }\n");
    let (sb, agent, host_id, token) = enrolled(&m, 1);
    let agents_ca = m.agents_ca();
    let (_, me) = manager_identity(&m);
    let key_file = sb.etc().join("certs/server.key");
    let key_before = std::fs::read_to_string(&key_file).unwrap();
    let short = make_due(&m, &sb, host_id);
    let short_der = X509::from_pem(short.as_bytes()).unwrap().to_der().unwrap();

    // Within a few rounds the agent has a new key and a new certificate, and serves them.
    wait_until(30, "the agent renews its certificate", &agent, || {
        !events(&sb, "cert.renewed").is_empty()
    });
    let renewed = &events(&sb, "cert.renewed")[0];
    let cert_now = std::fs::read_to_string(sb.etc().join("certs/server.pem")).unwrap();
    let new = X509::from_pem(cert_now.as_bytes()).unwrap();
    let serial = new
        .serial_number()
        .to_bn()
        .unwrap()
        .to_hex_str()
        .unwrap()
        .to_lowercase();
    assert_eq!(renewed["serial"], serial.as_str(), "{renewed}");
    let key_now = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(key_now, key_before, "a new key");
    let new_key = PKey::private_key_from_pem(key_now.as_bytes()).unwrap();
    assert!(new.public_key().unwrap().public_eq(&new_key));
    let secs_left = openssl::asn1::Asn1Time::days_from_now(0)
        .unwrap()
        .diff(new.not_after())
        .unwrap()
        .days;
    assert!(secs_left >= 364, "a full year: {secs_left} days");
    assert!(
        !sb.dir
            .path()
            .join("var/lib/linux_patch_api/state/renew-key.pem")
            .exists(),
        "the pending key is gone once installed"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    wait_until(10, "the agent serves the new certificate", &agent, || {
        health_as(&agents_ca, &me, sb.port).is_ok_and(|(s, der)| s == 200 && der == new.to_der().unwrap())
    });

    // The manager recorded it: current, the short one superseded but still pinned until it expires.
    let rows = agent_certs(&m, host_id);
    let recorded = rows.iter().find(|c| c.serial == serial).expect("recorded");
    assert!(recorded.superseded_by.is_none() && recorded.revoked_at.is_none());
    let old = rows.iter().find(|c| c.cert_pem == short).unwrap();
    assert_eq!(old.superseded_by, Some(recorded.id));
    let pins = Certificate::agent_pins(&mut m.db().conn(), &[host_id], SystemClock.now()).unwrap();
    for der in [short_der.as_slice(), new.to_der().unwrap().as_slice()] {
        assert!(
            pins.iter().any(|(_, f)| f == &sha256(der)),
            "old and new pinned: {pins:?}"
        );
    }
    let actions = crate::manager_certs::audit_actions(m.db());
    assert!(
        actions
            .iter()
            .any(|(actor, action, target)| actor == "agent:agent-1.example.test"
                && action == "cert.renew"
                && target == &format!("cert:{serial}")),
        "{actions:?}"
    );
    // ... and keeps polling it with the new certificate pinned.
    let checked_after = || {
        use diesel::prelude::*;
        use linux_patch_manager::db::schema::hosts;
        hosts::table
            .find(host_id)
            .select((hosts::state, hosts::health_checked_at))
            .first::<(String, Option<chrono::DateTime<chrono::Utc>>)>(&mut m.db().conn())
            .unwrap()
    };
    let t_renewed = SystemClock.now();
    wait_until(30, "the manager polls the renewed agent", &agent, || {
        let (state, at) = checked_after();
        state == "healthy" && at.is_some_and(|t| t > t_renewed)
    });

    // The same request twice (an answer lost on the way) gets the same certificate; another key from the
    // replaced certificate gets none.
    let csr = fresh_csr("agent-1.example.test");
    let renew = |body: &str| call(&m, "POST", "/api/v1/enroll/renew", None, Some(body));
    let first = renew(&signed_for(&cert_now, &key_now, &csr));
    assert_eq!(first.status, 200, "{}", String::from_utf8_lossy(&first.body));
    let again = renew(&signed_for(&cert_now, &key_now, &csr));
    assert_eq!(again.status, 200, "{}", String::from_utf8_lossy(&again.body));
    assert_eq!(first.json()["data"]["serial"], again.json()["data"]["serial"]);
    let other = renew(&signed_request(&cert_now, &key_now, "agent-1.example.test"));
    assert_eq!(other.status, 409, "{}", String::from_utf8_lossy(&other.body));

    // The attack: whoever holds a revoked certificate and its key cannot get a new one.
    let r = call(
        &m,
        "POST",
        &format!("/api/v1/certificates/{}/revoke", recorded.id),
        Some(&token),
        Some(r#"{"reason":"host compromised"}"#),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let before = agent_certs(&m, host_id).len();
    let attack = call(
        &m,
        "POST",
        "/api/v1/enroll/renew",
        None,
        Some(&signed_request(&cert_now, &key_now, "agent-1.example.test")),
    );
    assert_eq!(attack.status, 403, "{}", String::from_utf8_lossy(&attack.body));
    assert!(
        String::from_utf8_lossy(&attack.body).contains("revoked"),
        "{}",
        String::from_utf8_lossy(&attack.body)
    );
    assert_eq!(agent_certs(&m, host_id).len(), before, "nothing issued");
    let actions = crate::manager_certs::audit_actions(m.db());
    let revoked_fp = sha256(&X509::from_pem(cert_now.as_bytes()).unwrap().to_der().unwrap());
    assert!(
        actions.iter().any(|(actor, action, target)| actor == "enrollment"
            && action == "cert.renew_refused"
            && target == &format!("sha256:{revoked_fp}")),
        "the attempt is audited: {actions:?}"
    );

    // Neither can a certificate the manager never recorded, a forged signature, or another host's name.
    let stranger = root_client(&m, "agent-1.example.test");
    let r = call(
        &m,
        "POST",
        "/api/v1/enroll/renew",
        None,
        Some(&signed_request(
            &stranger.cert_pem,
            &stranger.key_pem,
            "agent-1.example.test",
        )),
    );
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    let r = call(
        &m,
        "POST",
        "/api/v1/enroll/renew",
        None,
        Some(&signed_request(&short, &stranger.key_pem, "agent-1.example.test")),
    );
    assert_eq!(r.status, 403, "forged: {}", String::from_utf8_lossy(&r.body));
    let r = call(
        &m,
        "POST",
        "/api/v1/enroll/renew",
        None,
        Some(&signed_request(&short, &key_before, "other.example.test")),
    );
    assert_eq!(
        r.status,
        400,
        "another name: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(agent_certs(&m, host_id).len(), before, "nothing issued");
}
