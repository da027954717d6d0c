//! Start-up: TLS, backend, state directories, then the HTTP server on the mTLS edge until a signal.

use crate::actors::cache_refresher::CacheRefresher;
use crate::actors::config_watcher;
use crate::actors::job_manager::{JobManager, ManagerDeps};
use crate::actors::rollback_lock::RollbackLock;
use crate::audit::Auditor;
use crate::audit_fields;
use crate::backend::RunLimits;
use crate::backend::{self, CommandEnv, SharedBackend};
use crate::config::{AgentConfig, ConfigFile};
use crate::http;
use crate::jobs::changeset;
use crate::jobs::record::{JobRecord, JobStore};
use crate::net::listener::{self, EdgeState};
use crate::net::ClientIdentity;
use crate::paths::Paths;
use crate::state::{Actors, AppState};
use actix::Actor;
use actix_service::{fn_service, map_config, ServiceFactory, ServiceFactoryExt};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{AppConfig, Extensions, ServiceRequest, ServiceResponse};
use actix_web::{middleware::from_fn, web, App};
use linux_patch_shared::clock::{SharedClock, SystemClock};
use linux_patch_shared::tls::TlsConfigError;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// Why the agent could not start; each maps to a documented exit code.
#[derive(Debug)]
pub enum StartError {
    /// Certificates unusable (exit 3, like any configuration error).
    Tls(TlsConfigError),
    /// Could not bind, create directories, or set up the backend (exit 4).
    Startup(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Tls(e) => write!(f, "TLS configuration: {e}"),
            StartError::Startup(m) => f.write_str(m),
        }
    }
}

pub use crate::config::tls_config;

fn create_private_dir(dir: &std::path::Path) -> Result<(), StartError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| StartError::Startup(format!("cannot create {}: {e}", dir.display())))
}

/// Computes the pending updates once in the background so the first `GET /patches` or `GET /packages`
/// does not wait for the package manager's simulation.
fn warm_upgrade_cache(backend: SharedBackend) {
    let spawned = std::thread::Builder::new()
        .name("warm-upgrades".into())
        .spawn(move || {
            if let Err(e) = backend.upgrades() {
                log::warn!("could not compute pending updates at start: {e}");
            }
        });
    if let Err(e) = spawned {
        log::warn!("could not start the update-cache warm-up: {e}");
    }
}

/// Loads the job records; an interrupted job with a before-snapshot gets the change set it left behind.
fn load_jobs(
    paths: &Paths,
    cfg: &AgentConfig,
    backend: &SharedBackend,
    clock: &SharedClock,
    auditor: &Auditor,
) -> Result<Vec<JobRecord>, StartError> {
    let store = JobStore::new(&paths.jobs_dir);
    let retention = chrono::Duration::days(i64::from(cfg.file.security.job_retention_days));
    let loaded = store.load(clock.now(), retention).map_err(|e| {
        StartError::Startup(format!(
            "cannot read job records in {}: {e}",
            paths.jobs_dir.display()
        ))
    })?;
    for (file, err) in &loaded.unreadable {
        log::error!(
            "job record {} is unreadable and was left in place: {err}",
            file.display()
        );
    }
    let mut records = loaded.records;
    let current = backend.installed().ok().map(|p| changeset::snapshot(&p));
    for r in records
        .iter_mut()
        .filter(|r| loaded.interrupted.contains(&r.job.id))
    {
        if let (Some(before), Some(now)) = (r.before_snapshot(), &current) {
            r.job.change_set = Some(changeset::diff(&before, now, &|a, b| {
                backend.compare_versions(a, b)
            }));
            if let Err(e) = store.save(r) {
                log::error!("cannot persist job {}: {e}", r.job.id);
            }
        }
        log::warn!(
            "job {} was interrupted by the previous stop of the agent",
            r.job.id
        );
        auditor.emit(
            log::Level::Warn,
            "job.interrupted",
            audit_fields! {"job_id" => r.job.id, "kind" => r.job.kind, "change_set" => r.job.change_set},
        );
    }
    Ok(records)
}

/// Starts the actors the handlers talk to (inside the running actix System, on the current arbiter).
pub fn start_actors(
    paths: &Paths,
    cfg: &ConfigFile,
    backend: &SharedBackend,
    clock: &SharedClock,
    auditor: &Auditor,
    records: Vec<JobRecord>,
) -> Actors {
    let lock = RollbackLock::default().start();
    let refresher = CacheRefresher::new(
        backend.clone(),
        paths.state_dir.join("cache.json"),
        clock.clone(),
        auditor.clone(),
    )
    .start();
    let security = &cfg.security;
    let timeout = Duration::from_secs(security.job_timeout_secs);
    let deps = ManagerDeps {
        store: JobStore::new(&paths.jobs_dir),
        clock: clock.clone(),
        auditor: auditor.clone(),
        backend: backend.clone(),
        limits: RunLimits {
            timeout,
            lock_timeout: timeout,
        },
        max_concurrent: security.max_concurrent_jobs as usize,
        retention: chrono::Duration::days(i64::from(security.job_retention_days)),
        reboot_command: cfg.system.reboot_command.clone(),
        refresher: refresher.clone(),
        lock: lock.clone(),
    };
    let jobs = JobManager::new(deps, records).start();
    Actors {
        jobs,
        lock,
        refresher,
    }
}

/// The agent API as an actix-web application: the one route table behind the request gate, unknown paths
/// answered in the envelope. With `state` every request uses it; with `None` each connection must carry
/// its own `web::Data<AppState>` in its connection data (how the fleet simulator serves many agents from
/// one process).
pub fn api_app(
    state: Option<web::Data<AppState>>,
    max_body: usize,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let app = match state {
        Some(state) => App::new().app_data(state),
        None => App::new(),
    };
    app.wrap(from_fn(http::middleware::gate))
        .configure(|c| http::config(c, max_body))
        .default_service(web::to(http::not_found))
}

/// HTTP/1.1 over connections the edge accepted: client timeouts, the client certificate's identity in the
/// connection data, then `on_connect` (which may add more connection data), then `app` for each request.
pub fn http_service<T, B>(
    app: App<T>,
    request_timeout: Duration,
    on_connect: impl Fn(&TlsStream<TcpStream>, &mut Extensions) + 'static,
) -> impl ServiceFactory<listener::Accepted, Config = (), Response = (), Error = (), InitError = ()>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    actix_http::HttpService::build()
        .client_request_timeout(request_timeout)
        .client_disconnect_timeout(Duration::from_secs(2))
        .on_connect_ext(move |io: &TlsStream<TcpStream>, ext: &mut Extensions| {
            if let Some(who) = listener::identity_of(io) {
                ext.insert::<ClientIdentity>(who);
            }
            on_connect(io, ext);
        })
        .finish(map_config(app, |_| AppConfig::default()))
        .map_err(|e| log::debug!("connection ended with an HTTP error: {e}"))
}

/// Runs the agent until SIGTERM/SIGINT. Logging must already be initialised; with its handle the
/// configuration watcher can change the log level.
pub fn run(paths: Paths, cfg: AgentConfig, log_handle: Option<log4rs::Handle>) -> Result<(), StartError> {
    let tls = tls_config(&cfg).map_err(StartError::Tls)?;
    for dir in [&paths.data_dir, &paths.jobs_dir, &paths.state_dir] {
        create_private_dir(dir)?;
    }
    let cmd_env = CommandEnv {
        env: cfg.file.backend.env.clone(),
        extra_args: cfg.file.backend.extra_args.clone(),
    };
    let clock: SharedClock = Arc::new(SystemClock);
    let backend: SharedBackend = backend::select(cfg.file.backend.kind, cmd_env, clock.clone())
        .map_err(|e| StartError::Startup(format!("package backend: {e}")))?;
    let auditor = Auditor::new(clock.clone());
    if let Some(handle) = &log_handle {
        crate::audit::logging::attach_remote_syslog(
            handle,
            &cfg.file.logging,
            &paths.audit_log(),
            clock.clone(),
        )
        .map_err(|e| StartError::Startup(format!("logging.remote_syslog: {e}")))?;
    }
    let listener = std::net::TcpListener::bind(cfg.listen)
        .map_err(|e| StartError::Startup(format!("cannot listen on {}: {e}", cfg.listen)))?;
    let records = load_jobs(&paths, &cfg, &backend, &clock, &auditor)?;
    warm_upgrade_cache(backend.clone());

    let server_cfg = &cfg.file.server;
    let edge = Arc::new(EdgeState::new(
        cfg.allow.clone(),
        tls,
        auditor.clone(),
        clock.clone(),
    ));
    let request_timeout = Duration::from_secs(server_cfg.request_timeout_secs);
    let max_body = server_cfg.max_body_bytes;
    let rate_limit = cfg.file.security.rate_limit_per_minute;
    let workers = std::thread::available_parallelism()
        .map(|n| n.get().min(4))
        .unwrap_or(2);

    let system = actix_rt::System::new();
    system.block_on(async move {
        let actors = start_actors(&paths, &cfg.file, &backend, &clock, &auditor, records);
        let state = web::Data::new(AppState {
            backend: backend.clone(),
            clock: clock.clone(),
            auditor: auditor.clone(),
            paths: paths.clone(),
            started_at: clock.now(),
            max_body_bytes: max_body,
            rate: AppState::rate_limiter(rate_limit),
            actors,
            edge: edge.clone(),
        });
        edge.set_tls_files(cfg.tls.clone());
        let watched_edge = edge.clone();
        let server = actix_server::Server::build()
            .workers(workers)
            .shutdown_timeout(10)
            .listen("linux-patch-api", listener, move || {
                let edge = edge.clone();
                let app = api_app(Some(state.clone()), max_body);
                let http = http_service(app, request_timeout, |_, _| {});
                fn_service(move |tcp: TcpStream| listener::accept(edge.clone(), tcp)).and_then(http)
            })
            .map_err(|e| StartError::Startup(format!("cannot start listener: {e}")))?
            .run();
        crate::link::start(crate::link::Setup {
            paths: paths.clone(),
            edge: watched_edge.clone(),
            auditor: auditor.clone(),
            refresh_secs: cfg.file.manager.refresh_secs,
            clock: clock.clone(),
        });
        let _config_watcher = config_watcher::start_or_warn(config_watcher::Setup {
            paths: paths.clone(),
            started: cfg.clone(),
            edge: watched_edge,
            log: log_handle,
            auditor: auditor.clone(),
            clock: clock.clone(),
        });
        log::info!(
            "linux-patch-api {} listening on {} (TLS 1.3, client certificates required), backend {}",
            env!("CARGO_PKG_VERSION"),
            cfg.listen,
            backend.name()
        );
        auditor.emit(
            log::Level::Info,
            "agent.started",
            audit_fields! {"listen" => cfg.listen.to_string(), "backend" => backend.name(),
            "version" => env!("CARGO_PKG_VERSION"),
            "allow_entries" => cfg.allow.entries().len()},
        );
        linux_patch_shared::notify::ready(&format!("listening on {}", cfg.listen));
        let result = server
            .await
            .map_err(|e| StartError::Startup(format!("server failed: {e}")));
        auditor.emit(log::Level::Info, "agent.stopped", audit_fields! {});
        log::info!("linux-patch-api stopped");
        result
    })
}
