//! Unit tests of the CRL checks, with CRLs made by openssl.

use super::*;
use linux_patch_shared::clock::{Clock, SystemClock};

fn judge(fetched: &str, pinned_ca: &str, current: Option<&str>) -> Result<Verdict, String> {
    super::judge(fetched, pinned_ca, current, SystemClock.now())
}
use openssl::asn1::Asn1Integer;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{AuthorityKeyIdentifier, SubjectKeyIdentifier};
use openssl::x509::{CrlNumber, X509Builder, X509CrlBuilder, X509NameBuilder, X509RevokedBuilder};

fn ca(cn: &str) -> (X509, PKey<Private>) {
    let g = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let k = PKey::from_ec_key(EcKey::generate(&g).unwrap()).unwrap();
    let mut n = X509NameBuilder::new().unwrap();
    n.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    let n = n.build();
    let mut b = X509Builder::new().unwrap();
    b.set_subject_name(&n).unwrap();
    b.set_issuer_name(&n).unwrap();
    b.set_pubkey(&k).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
    b.set_not_after(&Asn1Time::days_from_now(10).unwrap()).unwrap();
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(ski).unwrap();
    b.sign(&k, MessageDigest::sha256()).unwrap();
    (b.build(), k)
}

/// A CRL by `ca` listing `serials` (hex), issued `age_days` ago, valid `days` from then.
fn crl(ca: &(X509, PKey<Private>), serials: &[&str], age_days: i64, days: i64) -> String {
    let now = SystemClock.now().timestamp();
    let mut b = X509CrlBuilder::new().unwrap();
    b.set_issuer_name(ca.0.subject_name()).unwrap();
    let holder = X509Builder::new().unwrap();
    let aki = AuthorityKeyIdentifier::new()
        .keyid(true)
        .build(&holder.x509v3_context(Some(&ca.0), None))
        .unwrap();
    b.append_extension(aki).unwrap();
    let number = BigNum::from_dec_str(&(now - age_days * 86_400).to_string()).unwrap();
    b.append_extension(CrlNumber::new(number).unwrap().build().unwrap())
        .unwrap();
    b.set_last_update(&Asn1Time::from_unix(now - age_days * 86_400).unwrap())
        .unwrap();
    b.set_next_update(&Asn1Time::from_unix(now + (days - age_days) * 86_400).unwrap())
        .unwrap();
    for s in serials {
        let mut r = X509RevokedBuilder::new().unwrap();
        let sn: Asn1Integer = BigNum::from_hex_str(s).unwrap().to_asn1_integer().unwrap();
        r.set_serial_number(&sn).unwrap();
        r.set_revocation_date(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.add_revoked(r.build()).unwrap();
    }
    b.sign(&ca.1, MessageDigest::sha256()).unwrap();
    String::from_utf8(b.build().unwrap().to_pem().unwrap()).unwrap()
}

fn pem(c: &(X509, PKey<Private>)) -> String {
    String::from_utf8(c.0.to_pem().unwrap()).unwrap()
}

#[test]
fn a_crl_of_the_pinned_ca_is_written_when_new_and_kept_when_the_same() {
    let root = ca("root");
    let first = crl(&root, &["0a"], 0, 7);
    let v = judge(&first, &pem(&root), None).unwrap();
    assert!(
        matches!(&v, Verdict::Write { added, .. } if added.contains("0a")),
        "{v:?}"
    );
    let again = crl(&root, &["0a"], 0, 7);
    assert_eq!(judge(&again, &pem(&root), Some(&first)).unwrap(), Verdict::Same);
    let more = crl(&root, &["0a", "0B"], 0, 7);
    match judge(&more, &pem(&root), Some(&first)).unwrap() {
        Verdict::Write { added, revoked } => {
            assert_eq!(added, BTreeSet::from(["0b".to_owned()]));
            assert_eq!(revoked.len(), 2);
        }
        v => panic!("{v:?}"),
    }
    // The file in force is past half its validity: rewritten with the same list.
    let old = crl(&root, &["0a"], 5, 7);
    assert!(matches!(
        judge(&again, &pem(&root), Some(&old)).unwrap(),
        Verdict::Write { .. }
    ));
    // An unreadable file in force is replaced.
    assert!(matches!(
        judge(&again, &pem(&root), Some("junk")).unwrap(),
        Verdict::Write { .. }
    ));
}

#[test]
fn foreign_expired_older_and_garbage_crls_are_refused() {
    let (root, other) = (ca("root"), ca("root"));
    let e = judge(&crl(&other, &[], 0, 7), &pem(&root), None).unwrap_err();
    assert!(e.contains("not signed by the pinned"), "{e}");
    let e = judge(&crl(&root, &[], 9, 7), &pem(&root), None).unwrap_err();
    assert!(e.contains("expired"), "{e}");
    let newer = crl(&root, &["0a"], 0, 7);
    let e = judge(&crl(&root, &[], 2, 7), &pem(&root), Some(&newer)).unwrap_err();
    assert!(e.contains("older"), "{e}");
    assert!(judge("<html>", &pem(&root), None)
        .unwrap_err()
        .contains("not a PEM CRL"));
}
