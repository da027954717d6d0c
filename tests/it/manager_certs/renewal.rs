//! The console's own certificate in the register, and the daily renewal of what expires within 30 days.

use super::audit_actions;
use chrono::Duration;
use linux_patch_manager::ca::runtime::renewal_pass;
use linux_patch_manager::ca::{load_trust, registry};
use linux_patch_manager::db::models::scope::Scope;
use linux_patch_manager::db::models::Certificate;
use linux_patch_manager::services::certificates;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::state;
use linux_patch_tests::pg::TestDb;
use openssl::x509::X509;

/// Serial (lowercase hex) of the first certificate in a PEM file.
fn first_serial(path: &std::path::Path) -> String {
    let chain = X509::stack_from_pem(&std::fs::read(path).unwrap()).unwrap();
    let bn = chain[0].serial_number().to_bn().unwrap();
    bn.to_hex_str().unwrap().to_lowercase()
}

#[actix_web::test]
async fn console_and_client_certificates_are_recorded_and_renewed_before_expiry() {
    let db = TestDb::new();
    let (st, clock) = state(&db);
    load_trust(&st.ca_ctx()).await.unwrap();
    let dns = ["console.example.lan".to_owned()];
    let ips = ["10.0.0.1".parse().unwrap()];
    let web = st.ca.ensure_web_cert(&st.data_dir, &dns, &ips, &clock).unwrap();
    let mut c = db.conn();
    let row = registry::record_web_cert(&mut c, &st.ca, &st.data_dir, &web, clock.now()).unwrap();
    let again = registry::record_web_cert(&mut c, &st.ca, &st.data_dir, &web, clock.now()).unwrap();
    assert_eq!(row.id, again.id, "recorded once");
    assert_eq!(
        (row.kind.as_str(), row.subject.as_str()),
        ("web", "console.example.lan")
    );
    assert_eq!(row.sans, "DNS:console.example.lan, IP:10.0.0.1");
    assert_eq!(row.serial, first_serial(&web.cert));
    let client = Certificate::current(&mut c, "manager_client", None, clock.now())
        .unwrap()
        .unwrap();

    // Nothing is due at first; 340 days later both certificates have less than 30 days left.
    assert!(renewal_pass(&st.ca_ctx(), true).await.unwrap().is_empty());
    clock.advance(Duration::days(340));
    let renewed = renewal_pass(&st.ca_ctx(), true).await.unwrap();
    let mut kinds: Vec<_> = renewed.iter().map(|r| r.new.kind.clone()).collect();
    kinds.sort();
    assert_eq!(kinds, ["manager_client", "web"]);
    let new_web = renewed.iter().find(|r| r.new.kind == "web").unwrap();
    assert_eq!(
        (new_web.old.id, new_web.new.sans.as_str()),
        (row.id, row.sans.as_str())
    );
    assert_eq!(
        first_serial(&web.cert),
        new_web.new.serial,
        "the console's files hold the new certificate"
    );
    let key = openssl::pkey::PKey::private_key_from_pem(&std::fs::read(&web.key).unwrap()).unwrap();
    let leaf = X509::from_pem(new_web.new.cert_pem.as_bytes()).unwrap();
    assert!(leaf.public_key().unwrap().public_eq(&key));
    let next = Certificate::current(&mut c, "manager_client", None, clock.now())
        .unwrap()
        .unwrap();
    assert_ne!(next.serial, client.serial);
    assert_eq!(
        Certificate::by_id(&mut c, client.id)
            .unwrap()
            .unwrap()
            .superseded_by,
        Some(next.id)
    );
    assert!(
        renewal_pass(&st.ca_ctx(), true).await.unwrap().is_empty(),
        "renewed once"
    );
    let rows = audit_actions(&db);
    for serial in [&next.serial, &new_web.new.serial] {
        assert!(
            rows.iter()
                .any(|(a, act, t)| a == "system" && act == "cert.renew" && t == &format!("cert:{serial}")),
            "{rows:?}"
        );
    }

    // A revoked console certificate is replaced when the manager next starts.
    certificates::revoke(&st, Scope::All, "root1", new_web.new.id, "key leaked")
        .await
        .unwrap();
    let current = registry::record_web_cert(&mut c, &st.ca, &st.data_dir, &web, clock.now()).unwrap();
    assert_ne!(current.serial, new_web.new.serial);
    assert!(current.revoked_at.is_none());
    assert_eq!(first_serial(&web.cert), current.serial);
}
