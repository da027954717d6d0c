//! An enrolled agent's own conversation with its manager, on a schedule (`manager.refresh_secs`) and when a
//! client certificate it has not seen before is accepted (rate-limited): fetch `/crl.pem` (verified against
//! the pinned CA) into `tls.crl`, and renew the server certificate through `POST /api/v1/enroll/renew` when
//! it is due. The configuration watcher swaps the written files in. Agents set up by hand (no
//! `state/manager.json`) do none of this.

pub mod budget;
pub mod crl;
pub mod renew;

use crate::audit::Auditor;
use crate::audit_fields;
use crate::config::TlsPaths;
use crate::enroll::client::{self, ManagerUrl};
use crate::enroll::files::write_atomic;
use crate::net::listener::EdgeState;
use crate::paths::Paths;
use linux_patch_shared::api::enroll::RenewAnswer;
use linux_patch_shared::clock::SharedClock;
use linux_patch_shared::Envelope;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The enrolling manager and its pinned CA.
#[derive(Debug, Clone)]
pub struct Link {
    /// The manager.
    pub url: ManagerUrl,
    /// The pinned CA (PEM).
    pub ca_pem: String,
}

/// The link of an enrolled agent; `Ok(None)` when the agent was not enrolled (no `manager.json`).
pub fn load(state_dir: &Path) -> Result<Option<Link>, String> {
    let file = crate::enroll::files::manager_file(state_dir);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", file.display())),
    };
    let parsed: crate::enroll::files::ManagerRecord =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let url = ManagerUrl::parse(&parsed.url).map_err(|e| format!("{}: {e}", file.display()))?;
    let pin = crate::enroll::files::pin_file(state_dir);
    let ca_pem = std::fs::read_to_string(&pin).map_err(|e| format!("{}: {e}", pin.display()))?;
    Ok(Some(Link { url, ca_pem }))
}

/// What the task needs.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Directories.
    pub paths: Paths,
    /// The edge: the certificate files in force, and the unknown-client signal.
    pub edge: Arc<EdgeState>,
    /// Audit.
    pub auditor: Auditor,
    /// `manager.refresh_secs` (0 = off).
    pub refresh_secs: u64,
    /// Where time comes from (the renewal request's `signed_at`).
    pub clock: SharedClock,
}

/// Starts the task on the current actix system when the agent is enrolled and the interval is not 0.
pub fn start(setup: Setup) {
    if setup.refresh_secs == 0 {
        return;
    }
    match load(&setup.paths.state_dir) {
        Ok(Some(link)) => {
            log::info!(
                "enrolled with {}: fetching its CRL and checking the server certificate every {} s",
                link.url.base,
                setup.refresh_secs
            );
            actix_rt::spawn(run(setup, link));
        }
        Ok(None) => log::debug!("not enrolled: no CRL fetch or certificate renewal"),
        Err(e) => log::error!("cannot read the enrolment record: {e}; no CRL fetch or certificate renewal"),
    }
}

async fn run(s: Setup, link: Link) {
    let every = Duration::from_secs(s.refresh_secs);
    let mut budget = budget::Budget::default();
    loop {
        pass(&s, &link).await;
        let next = Instant::now() + every;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(next) => break,
                () = s.edge.unknown_client() => {
                    if budget.take(std::time::Instant::now()) {
                        log::info!("a client certificate not seen before: fetching the manager's CRL now");
                        break;
                    }
                    log::debug!("a client certificate not seen before; CRL fetches woken this way are rate-limited");
                }
            }
        }
    }
}

/// One round: the CRL, then the renewal check.
async fn pass(s: &Setup, link: &Link) {
    let Some(tls) = s.edge.tls_files() else {
        return;
    };
    let url = link.url.clone();
    let addr = match actix_rt::task::spawn_blocking(move || url.resolve()).await {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return fail(s, "crl.fetch_failed", &e),
        Err(e) => return fail(s, "crl.fetch_failed", &e.to_string()),
    };
    let config = match client::pinned(&link.ca_pem) {
        Ok(c) => c,
        Err(e) => return fail(s, "crl.fetch_failed", &e),
    };
    if let Err(e) = fetch_crl(s, link, &tls, config.clone(), addr).await {
        fail(s, "crl.fetch_failed", &e);
    }
    if let Err(e) = maybe_renew(s, link, &tls, config, addr).await {
        fail(s, "cert.renew_failed", &e);
    }
}

fn fail(s: &Setup, event: &'static str, reason: &str) {
    log::warn!("{event}: {reason}");
    s.auditor
        .emit(log::Level::Warn, event, audit_fields! {"reason" => reason});
}

async fn fetch_crl(
    s: &Setup,
    link: &Link,
    tls: &TlsPaths,
    config: Arc<rustls::ClientConfig>,
    addr: std::net::SocketAddrV4,
) -> Result<(), String> {
    let Some(path) = &tls.crl else {
        return Err("tls.crl is not set in config.yaml: the manager's CRL has nowhere to go".into());
    };
    let a = client::call(config, &link.url, addr, "/crl.pem", None).await?;
    if a.status != 200 {
        return Err(format!("GET /crl.pem answered {}", a.status));
    }
    let fetched = String::from_utf8(a.body).map_err(|_| "the CRL is not text".to_owned())?;
    let current = std::fs::read_to_string(path).ok();
    match crl::judge(&fetched, &link.ca_pem, current.as_deref(), s.clock.now())? {
        crl::Verdict::Same => Ok(()),
        crl::Verdict::Write { revoked, added } => {
            write_atomic(path, fetched.as_bytes(), 0o644)?;
            s.auditor.emit(
                log::Level::Info,
                "crl.updated",
                audit_fields! {"crl" => path.display().to_string(), "revoked" => revoked.len(),
                "added" => added.into_iter().collect::<Vec<_>>()},
            );
            Ok(())
        }
    }
}

async fn maybe_renew(
    s: &Setup,
    link: &Link,
    tls: &TlsPaths,
    config: Arc<rustls::ClientConfig>,
    addr: std::net::SocketAddrV4,
) -> Result<(), String> {
    let (cert_pem, cn, due) = renew::current(tls, s.clock.now())?;
    if !due {
        return Ok(());
    }
    let key = renew::pending_key(&s.paths.state_dir, &cn)?;
    let signed_at = s.clock.now().to_rfc3339();
    let body =
        serde_json::to_value(renew::request(tls, &cert_pem, &key, &signed_at)?).map_err(|e| e.to_string())?;
    let a = client::call(config, &link.url, addr, "/api/v1/enroll/renew", Some(&body)).await?;
    let env: Envelope<RenewAnswer> = serde_json::from_slice(&a.body)
        .map_err(|e| format!("unexpected answer from the manager ({}): {e}", a.status))?;
    let answer = match (a.status, env.data, env.error) {
        (200, Some(d), _) => d,
        (status, _, Some(e)) => return Err(format!("the manager refused ({status}): {}", e.message)),
        (status, _, None) => return Err(format!("the manager answered {status}")),
    };
    renew::install(tls, &s.paths.state_dir, &key, &answer)?;
    s.auditor.emit(
        log::Level::Info,
        "cert.renewed",
        audit_fields! {"serial" => answer.serial, "not_after" => answer.not_after,
        "key_fingerprint" => key.fingerprint, "server_cert" => tls.server_cert.display().to_string()},
    );
    Ok(())
}
