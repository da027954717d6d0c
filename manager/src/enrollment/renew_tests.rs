//! Unit tests of the renewal request checks.

use super::*;
use openssl::ec::{EcGroup, EcKey};
use openssl::pkey::Private;
use openssl::sign::Signer;
use openssl::x509::{X509Builder, X509NameBuilder, X509ReqBuilder};

fn key() -> PKey<Private> {
    let g = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&g).unwrap()).unwrap()
}

fn cert(k: &PKey<Private>) -> String {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, "web-01").unwrap();
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(k).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    b.sign(k, MessageDigest::sha256()).unwrap();
    String::from_utf8(b.build().to_pem().unwrap()).unwrap()
}

fn csr(k: &PKey<Private>, cn: Option<&str>) -> String {
    let mut b = X509ReqBuilder::new().unwrap();
    if let Some(cn) = cn {
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
        b.set_subject_name(&name.build()).unwrap();
    }
    b.set_pubkey(k).unwrap();
    b.sign(k, MessageDigest::sha256()).unwrap();
    String::from_utf8(b.build().to_pem().unwrap()).unwrap()
}

fn signed(by: &PKey<Private>, certificate: &str, csr: &str, at: &str) -> RenewRequest {
    let msg = renewal_message(at, certificate, csr);
    let mut s = Signer::new(MessageDigest::sha256(), by).unwrap();
    let sig = s.sign_oneshot_to_vec(&msg).unwrap();
    RenewRequest {
        certificate: certificate.into(),
        csr: csr.into(),
        signed_at: at.into(),
        signature: sig.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

#[test]
fn a_signed_request_for_a_new_key_passes_and_names_its_certificate() {
    let (old, new) = (key(), key());
    let c = cert(&old);
    let now: DateTime<Utc> = "2026-06-01T12:00:00Z".parse().unwrap();
    let r = signed(
        &old,
        &c,
        &csr(&new, Some("Web-01.Example.lan")),
        "2026-06-01T12:05:00Z",
    );
    let ok = check(&r, now).unwrap();
    assert_eq!(ok.common_name, "web-01.example.lan");
    let der = X509::from_pem(c.as_bytes()).unwrap().to_der().unwrap();
    let hex: String = openssl::sha::sha256(&der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(ok.fingerprint, hex);
    assert_eq!(ok.key_fingerprint.len(), 95);
}

#[test]
fn forged_stale_reused_key_and_nameless_requests_are_refused() {
    let (old, new, other) = (key(), key(), key());
    let c = cert(&old);
    let now: DateTime<Utc> = "2026-06-01T12:00:00Z".parse().unwrap();
    let at = "2026-06-01T12:00:00Z";
    let fresh = csr(&new, Some("web-01"));
    let cases = [
        (signed(&other, &c, &fresh, at), "signature"),
        (signed(&old, &c, &fresh, "2026-06-01T11:49:00Z"), "signed_at"),
        (signed(&old, &c, &csr(&old, Some("web-01")), at), "new key"),
        (signed(&old, &c, &csr(&new, None), at), "common name"),
        (signed(&old, "junk", &fresh, at), "certificate"),
    ];
    for (r, want) in cases {
        let e = check(&r, now).unwrap_err();
        assert!(e.contains(want), "{want}: {e}");
    }
    // A signature over one CSR does not cover another.
    let mut swapped = signed(&old, &c, &fresh, at);
    swapped.csr = csr(&other, Some("web-01"));
    assert!(check(&swapped, now).unwrap_err().contains("signature"));
    let mut odd = signed(&old, &c, &fresh, at);
    odd.signature = "zz".into();
    assert!(check(&odd, now).unwrap_err().contains("not hex"));
}
