//! Trusting the manager: fetch `/ca.pem` once without verification, compare its fingerprint with the
//! operator's (`--ca-fingerprint`) or trust it on first use, and pin it; a pin refuses any other CA.

use super::client::{self, ManagerUrl};
use super::files;
use super::fingerprint;
use crate::audit::Auditor;
use crate::audit_fields;
use std::net::SocketAddrV4;
use std::path::Path;

/// The manager's CA as pinned: PEM and fingerprint.
#[derive(Debug, Clone)]
pub struct Pinned {
    /// PEM text.
    pub pem: String,
    /// Fingerprint (`AB:CD:...`).
    pub fingerprint: String,
}

/// Decides whether to trust `fetched` (the CA PEM the manager served): `expected` is `--ca-fingerprint`,
/// `pin` the stored PEM. Returns the fingerprint and whether this is trust on first use.
pub fn decide(fetched: &str, expected: Option<&str>, pin: Option<&str>) -> Result<(String, bool), String> {
    let got = fingerprint::of_pem(fetched).map_err(|e| format!("the manager's /ca.pem is unusable: {e}"))?;
    if let Some(want) = expected {
        let want = fingerprint::parse(want)?;
        if want != got {
            return Err(format!(
                "the manager's CA fingerprint is SHA256 {got}, not the expected {want}: refusing to enrol \
                 (wrong manager, or someone in between)"
            ));
        }
    }
    if let Some(pin) = pin {
        let pinned =
            fingerprint::of_pem(pin).map_err(|e| format!("the pinned manager CA is unusable: {e}"))?;
        if pinned != got {
            return Err(format!(
                "the manager now presents CA SHA256 {got}, but this agent pinned SHA256 {pinned}: refusing \
                 to enrol (remove the pin file only if the manager's CA really changed)"
            ));
        }
        return Ok((got, false));
    }
    Ok((got, expected.is_none()))
}

/// Fetches, checks and pins the manager's CA (stored at `<state_dir>/manager-ca.pem`).
pub async fn establish(
    url: &ManagerUrl,
    addr: SocketAddrV4,
    expected: Option<&str>,
    state_dir: &Path,
    auditor: &Auditor,
) -> Result<Pinned, String> {
    let a = client::call(client::unverified()?, url, addr, "/ca.pem", None)
        .await
        .map_err(|e| format!("cannot fetch the manager's CA: {e}"))?;
    if a.status != 200 {
        return Err(format!(
            "cannot fetch the manager's CA: {}/ca.pem answered {}",
            url.base, a.status
        ));
    }
    let fetched = String::from_utf8(a.body).map_err(|_| "the manager's /ca.pem is not text".to_owned())?;
    let pin_file = files::pin_file(state_dir);
    let pin = match std::fs::read_to_string(&pin_file) {
        Ok(p) => Some(p),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("cannot read {}: {e}", pin_file.display())),
    };
    let decided = decide(&fetched, expected, pin.as_deref());
    let (fp, tofu) = match decided {
        Ok(d) => d,
        Err(e) => {
            auditor.emit(
                log::Level::Warn,
                "enroll.ca_refused",
                audit_fields! {"manager" => url.base, "reason" => e},
            );
            return Err(e);
        }
    };
    if tofu {
        println!("trusting the manager's CA on first use: SHA256 {fp}");
        auditor.emit(
            log::Level::Warn,
            "enroll.ca_trusted_on_first_use",
            audit_fields! {"manager" => url.base, "fingerprint" => fp},
        );
    } else {
        auditor.emit(
            log::Level::Info,
            "enroll.ca_verified",
            audit_fields! {"manager" => url.base, "fingerprint" => fp,
            "pinned_before" => pin.is_some()},
        );
    }
    if pin.is_none() {
        files::private_dir(state_dir)?;
        files::write_atomic(&pin_file, fetched.as_bytes(), 0o644)?;
    }
    Ok(Pinned {
        pem: fetched,
        fingerprint: fp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate made with openssl (any certificate serves for fingerprints).
    fn cert(cn: &str) -> String {
        use openssl::{asn1::Asn1Time, ec::*, hash::MessageDigest, nid::Nid, pkey::PKey, x509::*};
        let key = PKey::from_ec_key(
            EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
        )
        .unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", cn).unwrap();
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap()).unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap()).unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        String::from_utf8(b.build().to_pem().unwrap()).unwrap()
    }

    #[test]
    fn fingerprint_pin_and_tofu_decisions() {
        let (a, b) = (cert("a"), cert("b"));
        let fa = fingerprint::of_pem(&a).unwrap();
        assert_eq!(
            decide(&a, None, None).unwrap(),
            (fa.clone(), true),
            "no pin, no fingerprint: TOFU"
        );
        let lower = fa.replace(':', "").to_lowercase();
        assert_eq!(decide(&a, Some(&lower), None).unwrap(), (fa.clone(), false));
        let e = decide(&a, Some(&fingerprint::of_pem(&b).unwrap()), None).unwrap_err();
        assert!(e.contains("refusing to enrol"), "{e}");
        assert_eq!(
            decide(&a, None, Some(&a)).unwrap(),
            (fa, false),
            "pinned and same"
        );
        let e = decide(&b, None, Some(&a)).unwrap_err();
        assert!(e.contains("pinned"), "{e}");
        assert!(decide("junk", None, None).is_err());
        assert!(decide(&a, Some("xyz"), None).is_err());
    }
}
