//! A host's certificate bundle as a `.tar.gz`: `ca.pem`, `server.pem`, `server.key` (0600), `crl.pem`.

use super::registry::HostBundle;
use super::CaError;
use chrono::{DateTime, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;

/// The archive's members: name, contents, mode.
fn members(b: &HostBundle) -> [(&'static str, &str, u32); 4] {
    [
        ("ca.pem", b.ca_pem.as_str(), 0o644),
        ("server.pem", b.server_pem.as_str(), 0o644),
        ("server.key", b.server_key.as_str(), 0o600),
        ("crl.pem", b.crl_pem.as_str(), 0o644),
    ]
}

/// The bundle as a gzip-compressed tar archive of regular files (mtime `now`, owner root).
pub fn tar_gz(b: &HostBundle, now: DateTime<Utc>) -> Result<Vec<u8>, CaError> {
    let io = |e: std::io::Error| CaError(format!("cannot build the bundle archive: {e}"));
    let mut tar = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    let mtime = u64::try_from(now.timestamp()).unwrap_or(0);
    for (name, body, mode) in members(b) {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(body.len() as u64);
        h.set_mode(mode);
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        tar.append_data(&mut h, name, body.as_bytes()).map_err(io)?;
    }
    tar.into_inner().map_err(io)?.finish().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn archive_holds_the_four_files_with_the_key_private() {
        let b = HostBundle {
            ca_pem: "CA".into(),
            server_pem: "CERT".into(),
            server_key: "KEY".into(),
            crl_pem: "CRL".into(),
            serial: "01".into(),
            certificate_id: 1,
        };
        let gz = tar_gz(&b, DateTime::UNIX_EPOCH).unwrap();
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(gz.as_slice()));
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mode = e.header().mode().unwrap();
            let mut body = String::new();
            e.read_to_string(&mut body).unwrap();
            seen.push((name, mode, body));
        }
        assert_eq!(
            seen,
            [
                ("ca.pem".into(), 0o644, "CA".into()),
                ("server.pem".into(), 0o644, "CERT".into()),
                ("server.key".into(), 0o600, "KEY".into()),
                ("crl.pem".into(), 0o644, "CRL".into()),
            ]
        );
    }
}
