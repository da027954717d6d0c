//! Self-enrolment (`linux-patch-api --enroll https://manager:8443`): trust the manager's CA (fingerprint or
//! first use, then pinned), ask to join, poll until an admin decides, install the bundle — then the
//! caller starts serving mTLS in the same process.

pub mod client;
pub mod detect;
pub mod files;
pub mod fingerprint;
pub mod key;
pub mod provision;
pub mod trust;

use crate::audit::Auditor;
use crate::audit_fields;
use crate::paths::Paths;
use client::{Answer, ManagerUrl};
use linux_patch_shared::api::enroll::{EnrollBundle, EnrollPending, EnrollRequest, EnrollTicket};
use linux_patch_shared::Envelope;
use serde::de::DeserializeOwned;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::Path;
use std::time::Duration;

/// What the command line asks for.
#[derive(Debug, Clone, Default)]
pub struct EnrollArgs {
    /// `https://manager:8443`.
    pub url: String,
    /// `--ca-fingerprint`.
    pub ca_fingerprint: Option<String>,
    /// `--enroll-name` (else detected).
    pub name: Option<String>,
    /// `--enroll-ip` (else the source address of the route to the manager).
    pub ip: Option<String>,
    /// `--enroll-poll-secs` (else the manager's interval).
    pub poll_secs: Option<u64>,
}

/// Why enrolment stopped: the message to print and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollError {
    /// For the operator.
    pub message: String,
    /// Process exit code.
    pub code: i32,
}

impl EnrollError {
    fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code,
        }
    }
}

/// Exit code when the manager refused (denied, unknown request, bad request) or trust failed.
pub const EXIT_REFUSED: i32 = crate::error::EXIT_RUNTIME;

fn refused(m: impl Into<String>) -> EnrollError {
    EnrollError::new(EXIT_REFUSED, m)
}

/// Everything about this host the request carries, detected unless overridden.
pub fn describe(
    prefix: &Path,
    args: &EnrollArgs,
    manager: SocketAddrV4,
    port: u16,
) -> Result<EnrollRequest, String> {
    let fqdn = match &args.name {
        Some(n) => n.trim().to_ascii_lowercase(),
        None => detect::fqdn()?,
    };
    let ip = match &args.ip {
        Some(i) => i
            .trim()
            .parse::<Ipv4Addr>()
            .map_err(|_| format!("--enroll-ip: `{}` is not an IPv4 address", i.escape_default()))?,
        None => detect::source_address(manager.into())?,
    };
    Ok(EnrollRequest {
        machine_id: detect::machine_id(prefix)?,
        fqdn,
        ip: ip.to_string(),
        os: detect::os_pretty_name(),
        port,
        csr: String::new(),
    })
}

fn data<T: DeserializeOwned>(a: &Answer) -> Result<T, String> {
    let env: Envelope<T> = serde_json::from_slice(&a.body)
        .map_err(|e| format!("unexpected answer from the manager ({}): {e}", a.status))?;
    env.data
        .ok_or_else(|| "the manager's answer carries no data".to_owned())
}

/// The manager's error message in an answer (or the status).
fn message(a: &Answer) -> String {
    serde_json::from_slice::<Envelope<serde_json::Value>>(&a.body)
        .ok()
        .and_then(|e| e.error)
        .map_or_else(|| format!("HTTP {}", a.status), |e| e.message)
}

/// Runs phases 1 to 3 against the manager; on success the bundle is installed.
pub fn run(
    prefix: &Path,
    paths: &Paths,
    port: u16,
    args: &EnrollArgs,
    auditor: &Auditor,
) -> Result<(), EnrollError> {
    let url = ManagerUrl::parse(&args.url).map_err(|e| EnrollError::new(crate::error::EXIT_USAGE, e))?;
    if let Some(f) = &args.ca_fingerprint {
        fingerprint::parse(f)
            .map_err(|e| EnrollError::new(crate::error::EXIT_USAGE, format!("--ca-fingerprint: {e}")))?;
    }
    let addr = url.resolve().map_err(refused)?;
    let mut request = describe(prefix, args, addr, port).map_err(refused)?;
    // The key is made here and never leaves this host; the manager certifies it from the CSR.
    let own = key::OwnKey::generate(&request.fqdn).map_err(refused)?;
    request.csr = own.csr_pem.clone();
    println!(
        "this agent's key: SHA256 {} — the administrator approving the request sees the same fingerprint",
        own.fingerprint
    );
    let system = actix_rt::System::new();
    system.block_on(async move {
        let pinned = trust::establish(
            &url,
            addr,
            args.ca_fingerprint.as_deref(),
            &paths.state_dir,
            auditor,
        )
        .await
        .map_err(refused)?;
        let tls = client::pinned(&pinned.pem).map_err(refused)?;
        let ticket = ask(&tls, &url, addr, &request, auditor).await?;
        let mut every = args.poll_secs.unwrap_or(ticket.poll_interval_secs).max(1);
        let token_path = format!("/api/v1/enroll/status/{}", ticket.polling_token);
        let bundle: EnrollBundle = loop {
            println!(
                "pending approval by an administrator (request {}, polling every {every} s)",
                request.fqdn
            );
            actix_rt::time::sleep(Duration::from_secs(every)).await;
            let a = match client::call(tls.clone(), &url, addr, &token_path, None).await {
                Ok(a) => a,
                Err(e) => {
                    println!("cannot reach the manager ({e}); retrying in {every} s");
                    continue;
                }
            };
            match a.status {
                200 => break data(&a).map_err(refused)?,
                202 => {
                    let p: EnrollPending = data(&a).map_err(refused)?;
                    every = args.poll_secs.unwrap_or(p.poll_interval_secs).max(1);
                }
                403 => {
                    auditor.emit(
                        log::Level::Warn,
                        "enroll.denied",
                        audit_fields! {"manager" => url.base},
                    );
                    return Err(refused("enrolment denied by the manager"));
                }
                404 => {
                    auditor.emit(
                        log::Level::Warn,
                        "enroll.unknown",
                        audit_fields! {"manager" => url.base},
                    );
                    return Err(refused(
                        "enrolment request unknown or purged on the manager; run --enroll again",
                    ));
                }
                s if s == 429 || s >= 500 => println!("the manager is busy ({}); retrying", message(&a)),
                _ => {
                    return Err(refused(format!(
                        "the manager refused the status poll: {}",
                        message(&a)
                    )))
                }
            }
        };
        let stamp = linux_patch_shared::clock::Clock::now(&linux_patch_shared::clock::SystemClock)
            .format("%Y-%m-%d")
            .to_string();
        provision::install(paths, &bundle, &own, &pinned, *addr.ip(), auditor, &stamp).map_err(refused)?;
        // Where the running agent fetches the CRL and renews its certificate from.
        files::save_manager(&paths.state_dir, &url.base).map_err(refused)
    })
}

/// Phase 1: `POST /api/v1/enroll`, retried while the manager is unreachable, busy or rate-limiting.
async fn ask(
    tls: &std::sync::Arc<rustls::ClientConfig>,
    url: &ManagerUrl,
    addr: SocketAddrV4,
    request: &EnrollRequest,
    auditor: &Auditor,
) -> Result<EnrollTicket, EnrollError> {
    let body = serde_json::to_value(request).map_err(|e| refused(e.to_string()))?;
    loop {
        let wait = match client::call(tls.clone(), url, addr, "/api/v1/enroll", Some(&body)).await {
            Ok(a) if a.status == 201 => {
                let t: EnrollTicket = data(&a).map_err(refused)?;
                auditor.emit(
                    log::Level::Info,
                    "enroll.requested",
                    audit_fields! {"manager" => url.base, "fqdn" => request.fqdn, "ip" => request.ip,
                    "machine_id" => request.machine_id},
                );
                println!(
                    "enrolment requested at {} as {} ({})",
                    url.base, request.fqdn, request.ip
                );
                return Ok(t);
            }
            Ok(a) if a.status == 429 || a.status >= 500 => {
                let wait = a.retry_after.unwrap_or(30).clamp(1, 600);
                println!("the manager is busy ({}); retrying in {wait} s", message(&a));
                wait
            }
            Ok(a) => {
                return Err(refused(format!(
                    "the manager refused the enrolment request: {}",
                    message(&a)
                )))
            }
            Err(e) => {
                println!("cannot reach the manager ({e}); retrying in 30 s");
                30
            }
        };
        actix_rt::time::sleep(Duration::from_secs(wait)).await;
    }
}

/// `--enroll` from the command line: creates `config.yaml` if missing, starts logging, enrols. Returns
/// the logging handle for the serving that follows, or the exit code after printing why it stopped.
pub fn from_cli(prefix: &Path, paths: &Paths, args: &EnrollArgs) -> Result<log4rs::Handle, i32> {
    let fail = |m: String, code: i32| {
        eprintln!("linux-patch-api: {m}");
        code
    };
    match files::ensure_config(&paths.config_file) {
        Ok(true) => println!(
            "created {} with the default settings",
            paths.config_file.display()
        ),
        Ok(false) => {}
        Err(e) => return Err(fail(e, crate::error::EXIT_STARTUP)),
    }
    let (cfg, text): (crate::config::ConfigFile, String) =
        crate::config::file::parse_yaml(&paths.config_file)
            .map_err(|e| fail(format!("invalid configuration: {e}"), crate::error::EXIT_CONFIG))?;
    crate::config::file::validate(&paths.config_file, &text, &cfg)
        .map_err(|e| fail(format!("invalid configuration: {e}"), crate::error::EXIT_CONFIG))?;
    let handle = crate::audit::logging::init(
        cfg.logging.level.filter(),
        &paths.log_dir,
        cfg.logging.retention_days,
    )
    .map_err(|e| {
        fail(
            format!("cannot set up logging in {}: {e}", paths.log_dir.display()),
            crate::error::EXIT_STARTUP,
        )
    })?;
    let clock: linux_patch_shared::clock::SharedClock =
        std::sync::Arc::new(linux_patch_shared::clock::SystemClock);
    let auditor = Auditor::new(clock);
    match run(prefix, paths, cfg.server.port, args, &auditor) {
        Ok(()) => Ok(handle),
        Err(e) => {
            log::error!("enrolment failed: {}", e.message);
            Err(fail(e.message, e.code))
        }
    }
}
