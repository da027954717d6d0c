//! Phase 3: the approved bundle checked against the pinned CA and written where `config.yaml` says,
//! `tls.crl` set, the manager's address allowed, `enroll.complete` audited.

use super::files;
use super::fingerprint;
use super::key::OwnKey;
use super::trust::Pinned;
use crate::audit::Auditor;
use crate::audit_fields;
use crate::config::file::{parse_yaml_text, ConfigFile};
use crate::paths::Paths;
use linux_patch_shared::api::enroll::EnrollBundle;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;

/// Refuses a bundle whose CA is not the pinned one, whose certificate is not for this agent's own key, or
/// whose parts do not parse.
pub fn check(bundle: &EnrollBundle, own: &OwnKey, pinned: &Pinned) -> Result<(), String> {
    let ca = fingerprint::of_pem(&bundle.ca_pem).map_err(|e| format!("the bundle's CA: {e}"))?;
    if ca != pinned.fingerprint {
        return Err(format!(
            "the bundle's CA (SHA256 {ca}) is not the pinned manager CA (SHA256 {}): refusing it",
            pinned.fingerprint
        ));
    }
    CertificateDer::from_pem_slice(bundle.server_pem.as_bytes())
        .map_err(|e| format!("the bundle's server certificate: {e}"))?;
    if !own.certified_by(&bundle.server_pem) {
        return Err(format!(
            "the bundle's server certificate is not for this agent's key (SHA256 {}): refusing it",
            own.fingerprint
        ));
    }
    CertificateRevocationListDer::from_pem_slice(bundle.crl_pem.as_bytes())
        .map_err(|e| format!("the bundle's CRL: {e}"))?;
    Ok(())
}

/// Writes the bundle and edits `config.yaml` and `whitelist.yaml`; `manager_ip` is the address the
/// agent reached the manager at.
pub fn install(
    paths: &Paths,
    bundle: &EnrollBundle,
    own: &OwnKey,
    pinned: &Pinned,
    manager_ip: Ipv4Addr,
    auditor: &Auditor,
    stamp: &str,
) -> Result<(), String> {
    check(bundle, own, pinned)?;
    let key_pem = own.key_pem()?;
    let cfg_path = &paths.config_file;
    let text =
        std::fs::read_to_string(cfg_path).map_err(|e| format!("cannot read {}: {e}", cfg_path.display()))?;
    let cfg: ConfigFile = parse_yaml_text(cfg_path, &text).map_err(|e| e.to_string())?;
    let (dest, set_crl) = files::bundle_paths(&cfg, &paths.config_dir);
    files::write_bundle(
        &dest,
        &bundle.ca_pem,
        &bundle.server_pem,
        &key_pem,
        &bundle.crl_pem,
    )?;
    if let Some(value) = &set_crl {
        let edited = files::set_crl(&text, value).ok_or_else(|| {
            format!(
                "cannot set tls.crl in {} safely; set `crl: {value}` under tls: by hand",
                cfg_path.display()
            )
        })?;
        let mode = std::fs::metadata(cfg_path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        files::write_atomic(cfg_path, edited.as_bytes(), mode)?;
    }
    let wl = &paths.whitelist_file;
    let added = if files::allows(wl, manager_ip) {
        false
    } else {
        let existing = match std::fs::read_to_string(wl) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("cannot read {}: {e}", wl.display())),
        };
        let edited = files::allow_ip(existing.as_deref(), manager_ip, stamp).ok_or_else(|| {
            format!(
                "cannot add {manager_ip} to {} safely; add `- {manager_ip}` under allow: by hand",
                wl.display()
            )
        })?;
        let mode = std::fs::metadata(wl)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        files::write_atomic(wl, edited.as_bytes(), mode)?;
        true
    };
    auditor.emit(
        log::Level::Info,
        "enroll.complete",
        audit_fields! {"hostname" => bundle.hostname, "ca_fingerprint" => pinned.fingerprint,
        "server_cert" => dest.cert.display().to_string(), "crl" => dest.crl.display().to_string(),
        "crl_configured" => set_crl.is_some(), "manager_ip" => manager_ip.to_string(), "whitelist_added" => added},
    );
    println!(
        "enrolment complete: registered as {}; certificates in {}{}",
        bundle.hostname,
        dest.cert
            .parent()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        if added {
            format!("; {manager_ip} added to {}", wl.display())
        } else {
            String::new()
        }
    );
    Ok(())
}
