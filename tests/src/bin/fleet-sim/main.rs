//! `fleet-sim`: N simulated agents in one process — the real agent HTTP stack and mTLS edge per host,
//! each with its own certificate, allow-list and simulated backend — for demos and fleet-scale tests.
//! See `--help` and docs/agent.md.

mod args;
mod hosts;
mod pki;
mod plan;
mod seeded;
mod serve;

use linux_patch_api::audit::Auditor;
use linux_patch_api::config::ConfigFile;
use linux_patch_shared::clock::{SharedClock, SystemClock};
use linux_patch_tests::fleet::FleetFile;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    match args::parse(std::env::args().skip(1)) {
        Ok(None) => print!("{}", args::USAGE),
        Ok(Some(a)) => {
            if let Err(e) = run(a) {
                eprintln!("fleet-sim: {e}");
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("fleet-sim: {e}");
            std::process::exit(2);
        }
    }
}

/// Raises the soft open-files limit to the hard one; fails when even that is below `needed`.
fn raise_nofile(needed: u64) -> Result<(), String> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(|e| format!("getrlimit: {e}"))?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).map_err(|e| format!("setrlimit: {e}"))?;
    }
    if hard < needed {
        return Err(format!(
            "needs at least {needed} open files but the hard limit is {hard}: raise it (`ulimit -Hn {needed}` \
             as root, or LimitNOFILE= in a unit) or use fewer hosts"
        ));
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot chmod {}: {e}", path.display()))
}

fn run(a: args::Args) -> Result<(), String> {
    let t0 = Instant::now();
    let trouble = plan::Trouble {
        unhealthy: a.unhealthy,
        slow: a.slow,
        unreachable: a.unreachable,
    };
    let mut planned = plan::plan(a.hosts, a.base, trouble)?;
    if let Some(path) = &a.seed {
        let names: Vec<&str> = planned.iter().map(|h| h.name.as_str()).collect();
        let seed = seeded::load(path, &names)?;
        plan::apply_seed(&mut planned, seed);
    }
    let listening = planned
        .iter()
        .filter(|h| h.health != plan::Health::Unreachable)
        .count();
    raise_nofile(listening as u64 + 1024)?;

    std::fs::create_dir_all(&a.out).map_err(|e| format!("cannot create {}: {e}", a.out.display()))?;
    let hosts_json = a.out.join("hosts.json");
    let _ = std::fs::remove_file(&hosts_json);
    let state_root = a.out.join("state");
    if state_root.exists() {
        std::fs::remove_dir_all(&state_root)
            .map_err(|e| format!("cannot clear {}: {e}", state_root.display()))?;
    }

    let pki_err = |e: openssl::error::ErrorStack| format!("certificate issuance failed: {e}");
    let ca = match &a.ca {
        Some(dir) => pki::Ca::load(dir)?,
        None => pki::Ca::new().map_err(pki_err)?,
    };
    let manager = ca.issue(2, "fleet-manager", None).map_err(pki_err)?;
    write(&a.out.join("ca.pem"), &ca.cert_pem().map_err(pki_err)?, 0o644)?;
    write(
        &a.out.join("manager.pem"),
        pki::pem("CERTIFICATE", &manager.cert_der).as_bytes(),
        0o644,
    )?;
    write(
        &a.out.join("manager.key"),
        pki::pem("PRIVATE KEY", &manager.key_der).as_bytes(),
        0o600,
    )?;
    let t_certs = Instant::now();
    let names: Vec<(String, std::net::Ipv4Addr)> = planned
        .iter()
        .filter(|h| h.health != plan::Health::Unreachable)
        .map(|h| (h.name.clone(), h.ip))
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let leaves = ca.issue_all(&names, threads).map_err(pki_err)?;
    let certs_took = t_certs.elapsed();

    let clock: SharedClock = Arc::new(SystemClock);
    let auditor = Auditor::new(clock.clone());
    let t_setup = Instant::now();
    let built = hosts::build(
        &planned,
        leaves,
        &hosts::Common {
            ca_der: ca.cert_der().map_err(pki_err)?,
            port: a.port,
            extra_allow: a.allow.clone(),
            state_root,
            time_scale: a.time_scale,
            workers: a.workers,
            clock: clock.clone(),
            auditor: auditor.clone(),
        },
    )?;
    let setup_took = t_setup.elapsed();
    let mut config = ConfigFile::default();
    config.system.reboot_command = vec!["true".into()];
    let settings = Arc::new(serve::Settings {
        request_timeout: Duration::from_secs(config.server.request_timeout_secs),
        max_body: config.server.max_body_bytes,
        rate_limit: config.security.rate_limit_per_minute,
        config,
        clock,
        auditor,
    });
    let file = FleetFile {
        ca_cert: "ca.pem".into(),
        manager_cert: "manager.pem".into(),
        manager_key: "manager.key".into(),
        hosts: built.records,
    };
    let system = actix_rt::System::new();
    system.block_on(async move {
        let mut arbiters = Vec::new();
        let mut waiting = Vec::new();
        for batch in built.batches {
            // A running simulated job holds a blocking-pool thread while it "takes time": give every host
            // room for one, so a fleet-wide deployment never queues the handlers' quick blocking reads.
            let blocking = batch.len() + 256;
            let arbiter = actix_rt::Arbiter::try_with_tokio_rt(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .max_blocking_threads(blocking)
                    .build()
            })
            .map_err(|e| format!("cannot start a server thread: {e}"))?;
            let (tx, rx) = tokio::sync::oneshot::channel();
            let settings = settings.clone();
            arbiter.spawn_fn(move || {
                actix_rt::spawn(serve::run_worker(batch, settings, tx));
            });
            arbiters.push(arbiter);
            waiting.push(rx);
        }
        let mut serving = 0;
        for rx in waiting {
            serving += rx.await.map_err(|_| "a server thread died".to_owned())??;
        }
        let tmp = a.out.join(".hosts.json.tmp");
        let json = serde_json::to_vec_pretty(&file).map_err(|e| e.to_string())?;
        write(&tmp, &json, 0o644)?;
        std::fs::rename(&tmp, &hosts_json).map_err(|e| format!("cannot write hosts.json: {e}"))?;
        let count = |s: &str| file.hosts.iter().filter(|h| h.state == s).count();
        eprintln!(
            "fleet-sim: {} server certificates in {:.2} s, hosts set up in {:.2} s",
            names.len(),
            certs_took.as_secs_f64(),
            setup_took.as_secs_f64()
        );
        println!(
            "fleet-sim ready: {} hosts ({serving} listening: {} healthy, {} unhealthy, {} slow; {} unreachable) \
             from {} port {} in {:.2} s; {}",
            file.hosts.len(),
            count("healthy"),
            count("unhealthy"),
            count("slow"),
            count("unreachable"),
            a.base,
            a.port,
            t0.elapsed().as_secs_f64(),
            hosts_json.display()
        );
        wait_for_stop().await;
        for arbiter in arbiters {
            arbiter.stop();
        }
        Ok::<(), String>(())
    })
}

async fn wait_for_stop() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
