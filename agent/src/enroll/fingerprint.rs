//! SHA-256 fingerprints of the manager's CA: computed over the certificate's DER, printed as uppercase
//! hex pairs joined by `:` (as `openssl x509 -fingerprint -sha256` does), accepted with or without colons.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// The first certificate of a PEM text, as DER.
pub fn first_cert_der(pem: &str) -> Result<Vec<u8>, String> {
    let cert = CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .ok_or_else(|| "no PEM certificate found".to_owned())?
        .map_err(|e| format!("bad PEM certificate: {e}"))?;
    Ok(cert.as_ref().to_vec())
}

/// The fingerprint of `der` (`AB:CD:...`, 95 characters).
pub fn of_der(der: &[u8]) -> String {
    let digest = openssl::sha::sha256(der);
    digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The fingerprint of the first certificate in `pem`.
pub fn of_pem(pem: &str) -> Result<String, String> {
    first_cert_der(pem).map(|d| of_der(&d))
}

/// Normalises what an operator typed: optional `SHA256:`/`sha256=` prefix, colons, spaces, any case;
/// exactly 64 hex digits. Returns the canonical form.
pub fn parse(input: &str) -> Result<String, String> {
    let t = input.trim();
    let lower = t.to_ascii_lowercase();
    let t = ["sha256:", "sha256=", "sha256 "]
        .iter()
        .find_map(|p| lower.strip_prefix(p).map(|_| &t[p.len()..]))
        .unwrap_or(t);
    let hex: String = t.chars().filter(|c| *c != ':' && !c.is_whitespace()).collect();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`{}` is not a SHA-256 fingerprint (64 hex digits, with or without colons)",
            input.escape_default()
        ));
    }
    let upper = hex.to_ascii_uppercase();
    Ok(upper
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":"))
}

/// Whether two fingerprints (any accepted form) are the same.
pub fn same(a: &str, b: &str) -> bool {
    matches!((parse(a), parse(b)), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FP: &str =
        "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";

    #[test]
    fn any_case_with_or_without_colons_is_accepted() {
        let bare = FP.replace(':', "");
        for input in [
            FP.to_owned(),
            FP.to_lowercase(),
            bare.clone(),
            bare.to_lowercase(),
            format!("SHA256:{bare}"),
            format!("sha256={FP}"),
            format!("  {FP}\n"),
        ] {
            assert_eq!(parse(&input).unwrap(), FP, "{input}");
        }
        assert!(same(FP, &bare.to_lowercase()));
        assert!(!same(FP, &FP.replace("AB:CD", "AB:CE")));
    }

    #[test]
    fn wrong_lengths_and_characters_are_refused() {
        for bad in [
            "",
            "AB:CD",
            &FP.replace("AB", "XY"),
            &format!("{FP}:00"),
            "$(reboot)",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(!same("", ""));
    }

    #[test]
    fn the_digest_is_over_the_der() {
        let f = of_der(b"abc");
        assert_eq!(f.len(), 95);
        assert!(f.starts_with("BA:78:16:BF"), "{f}");
    }
}
