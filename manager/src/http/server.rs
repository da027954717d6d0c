//! `linux-patch-manager serve`: the CA and the console's certificate, the HTTPS listener behind the
//! allow-list, until SIGTERM/SIGINT; the embedded database stops after the server.

use super::edge::{self, Edge};
use crate::app::AppContext;
use crate::app::{ActorMode, AppBuilder};
use crate::ca::InternalCa;
use crate::config::{ManagerConfig, TlsSection};
use crate::db::Database;
use crate::error::ManagerError;
use crate::paths::Paths;
use actix_service::{fn_service, map_config, ServiceFactoryExt};
use actix_web::dev::AppConfig;
use actix_web::{web, App};
use linux_patch_shared::clock::{SharedClock, SystemClock};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// The names and addresses the internal CA's web certificate covers.
fn web_names(cfg: &ManagerConfig, public: &webauthn_rs::prelude::Url) -> (Vec<String>, Vec<IpAddr>) {
    let mut dns = vec!["localhost".to_owned()];
    let mut ips: Vec<IpAddr> = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    let mut add = |h: &str| match h.parse::<IpAddr>() {
        Ok(ip) if !ips.contains(&ip) => ips.push(ip),
        Ok(_) => {}
        Err(_) if !h.is_empty() && !dns.iter().any(|d| d == h) => dns.push(h.to_owned()),
        Err(_) => {}
    };
    if let Some(h) = public.host_str() {
        add(h);
    }
    add(&crate::config::host_name());
    if !cfg.listen.ip().is_unspecified() {
        add(&cfg.listen.ip().to_string());
    }
    (dns, ips)
}

/// The console's HTTPS server on `listener` for `state`: the allow-list and TLS edge, then every route
/// (`serve` runs it; the test kit runs the same stack in-process with a manual clock).
pub fn listen(
    state: web::Data<AppContext>,
    listener: std::net::TcpListener,
    edge: Arc<Edge>,
    workers: usize,
) -> Result<actix_server::Server, ManagerError> {
    Ok(actix_server::Server::build()
        .workers(workers)
        // A SIGTERM stops within 10 s in all: in-flight requests get 5 s, then the cluster stops.
        .shutdown_timeout(5)
        .disable_signals()
        .listen("linux-patch-manager", listener, move || {
            let edge = edge.clone();
            let app = App::new().app_data(state.clone()).configure(super::configure);
            let http = actix_http::HttpService::build()
                .client_request_timeout(Duration::from_secs(30))
                .client_disconnect_timeout(Duration::from_secs(2))
                .finish(map_config(app, |_| AppConfig::default()))
                .map_err(|e| log::debug!("connection ended with an HTTP error: {e}"));
            fn_service(move |tcp: TcpStream| edge::accept(edge.clone(), tcp)).and_then(http)
        })
        .map_err(|e| ManagerError::Internal(format!("cannot start the listener: {e}")))?
        .run())
}

/// Runs the console until a signal stops it; `db` (and the embedded cluster) is dropped afterwards.
pub fn serve(paths: &Paths, cfg: &ManagerConfig, db: Database) -> Result<(), ManagerError> {
    let clock: SharedClock = Arc::new(SystemClock);
    let internal = |e: crate::ca::CaError| ManagerError::Internal(e.to_string());
    let ca = InternalCa::load_or_create(&cfg.data_dir, &*clock).map_err(internal)?;
    let public = webauthn_rs::prelude::Url::parse(&cfg.public_url())
        .map_err(|e| ManagerError::Internal(format!("public_url: {e}")))?;
    let files = match &cfg.file.tls {
        TlsSection::InternalCa {} => None,
        TlsSection::Files { cert, key } => Some((paths.resolve(cert), paths.resolve(key))),
    };
    let fingerprint = ca.fingerprint_sha256();
    let listener = std::net::TcpListener::bind(cfg.listen)
        .map_err(|e| ManagerError::Internal(format!("cannot listen on {}: {e}", cfg.listen)))?;
    let (dns, ips) = web_names(cfg, &public);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get().min(4))
        .unwrap_or(2);
    let builder = AppBuilder::new(db.pool(), clock, cfg.data_dir.clone(), ca, public.clone())
        .poller(cfg.file.poller.clone())
        .enrollment(cfg.file.enrollment.clone())
        .audit_retention_days(cfg.file.audit.retention_days)
        .deploy_concurrency(cfg.file.deployments.concurrency)
        .renew_web(matches!(cfg.file.tls, TlsSection::InternalCa {}))
        .allow(cfg.allow.clone())
        .web_names(dns, ips)
        .sso(crate::config::sso::SsoSection {
            ca_file: cfg.file.sso.ca_file.as_ref().map(|p| paths.resolve(p)),
            ..cfg.file.sso.clone()
        })
        .cluster(db.cluster())
        .mode(ActorMode::Ticking);
    let result = actix_rt::System::new().block_on(async move {
        // The actors run on this, the main arbiter (the agent client is !Send); their first ticks come after
        // the agents' trust (manager client certificate, CA, CRL) is in force, before anything calls an agent.
        let state = web::Data::new(builder.build()?);
        crate::ca::load_trust(&state.ca_ctx()).await?;
        // The console's certificate by the strategy in force (runtime settings, else config.yaml's `tls:`).
        crate::services::settings::install_certificate(&state, files).await?;
        // The optional weekly compliance e-mail (Settings > Scheduled reports), checked every few minutes.
        crate::services::weekly_report::start(state.get_ref().clone());
        let edge = Arc::new(Edge::new(state.gate.clone()).map_err(ManagerError::Internal)?);
        let server = listen(state, listener, edge, workers)?;
        // Our own handlers, installed before we announce the listener, so a SIGTERM right after start still
        // stops the server gracefully (and then the embedded cluster) instead of killing the process.
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())
            .map_err(|e| ManagerError::Internal(format!("cannot handle SIGTERM: {e}")))?;
        let mut int = signal(SignalKind::interrupt())
            .map_err(|e| ManagerError::Internal(format!("cannot handle SIGINT: {e}")))?;
        let handle = server.handle();
        actix_rt::spawn(async move {
            tokio::select! {
                _ = term.recv() => log::info!("SIGTERM received: stopping"),
                _ = int.recv() => log::info!("SIGINT received: stopping"),
            }
            handle.stop(true).await;
        });
        println!(
            "linux-patch-manager {} listening on {} (TLS 1.3) — console {}",
            env!("CARGO_PKG_VERSION"),
            cfg.listen,
            public
        );
        println!("internal CA fingerprint (SHA-256): {fingerprint}");
        linux_patch_shared::notify::ready(&format!("console {public} listening on {}", cfg.listen));
        server
            .await
            .map_err(|e| ManagerError::Internal(format!("server failed: {e}")))
    });
    log::info!("linux-patch-manager stopped");
    drop(db);
    result
}
