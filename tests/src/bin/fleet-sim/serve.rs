//! Serving the reachable hosts. Each worker arbiter builds ONE instance of the agent's HTTP service (the
//! real route table, gate and envelope) and runs one accept loop per host it owns; the agent's own edge
//! (allow-list at accept, TLS 1.3 with a client certificate) runs per host with that host's certificate
//! and allow-list, and the connection finds its host's `AppState` by its local address. No thread per host.

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::web;
use linux_patch_api::app;
use linux_patch_api::audit::Auditor;
use linux_patch_api::backend::SharedBackend;
use linux_patch_api::config::ConfigFile;
use linux_patch_api::net::listener::{self, Accepted, EdgeState};
use linux_patch_api::paths::Paths;
use linux_patch_api::state::AppState;
use linux_patch_shared::clock::SharedClock;
use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// What a worker needs to serve one host.
pub struct HostSetup {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its bound listener.
    pub listener: std::net::TcpListener,
    /// Its edge: allow-list and TLS configuration.
    pub edge: Arc<EdgeState>,
    /// Its simulated backend.
    pub backend: SharedBackend,
    /// Its state directories.
    pub paths: Paths,
    /// Response delay of a slow host.
    pub delay: Option<Duration>,
}

/// Settings every host shares.
pub struct Settings {
    /// `server.request_timeout_secs`.
    pub request_timeout: Duration,
    /// `server.max_body_bytes`.
    pub max_body: usize,
    /// `security.*` and `system.*` for the actors.
    pub config: ConfigFile,
    /// `security.rate_limit_per_minute`.
    pub rate_limit: u32,
    /// Time.
    pub clock: SharedClock,
    /// Audit sink (the `log` facade; silent unless a logger is installed).
    pub auditor: Auditor,
}

/// Connection data of a slow host's connections: wait this long before answering each request.
#[derive(Debug, Clone, Copy)]
struct SlowBy(Duration);

/// Delays a slow host's requests on the async executor (no thread waits).
async fn slow(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Some(SlowBy(d)) = req.conn_data::<SlowBy>().copied() {
        actix_rt::time::sleep(d).await;
    }
    next.call(req).await
}

type Hosts = Rc<RefCell<HashMap<SocketAddr, (web::Data<AppState>, Option<SlowBy>)>>>;

/// Sets up `hosts` on the current arbiter and serves them until the arbiter stops; reports how many
/// hosts it serves (or why it could not) on `ready`.
pub async fn run_worker(
    hosts: Vec<HostSetup>,
    settings: Arc<Settings>,
    ready: tokio::sync::oneshot::Sender<Result<usize, String>>,
) {
    let by_addr: Hosts = Rc::default();
    let lookup = by_addr.clone();
    let app = app::api_app(None, settings.max_body).wrap(from_fn(slow));
    let factory = app::http_service(app, settings.request_timeout, move |io, ext| {
        let Ok(local) = io.get_ref().0.local_addr() else {
            return;
        };
        if let Some((state, delay)) = lookup.borrow().get(&local) {
            ext.insert(state.clone());
            if let Some(d) = delay {
                ext.insert(*d);
            }
        }
    });
    let service = match factory.new_service(()).await {
        Ok(s) => Rc::new(s),
        Err(()) => {
            let _ = ready.send(Err("cannot build the HTTP service".into()));
            return;
        }
    };
    let count = hosts.len();
    for h in hosts {
        let actors = app::start_actors(
            &h.paths,
            &settings.config,
            &h.backend,
            &settings.clock,
            &settings.auditor,
            Vec::new(),
        );
        let state = web::Data::new(AppState {
            backend: h.backend,
            clock: settings.clock.clone(),
            auditor: settings.auditor.clone(),
            paths: h.paths,
            started_at: settings.clock.now(),
            max_body_bytes: settings.max_body,
            rate: AppState::rate_limiter(settings.rate_limit),
            actors,
            edge: h.edge.clone(),
        });
        by_addr.borrow_mut().insert(h.addr, (state, h.delay.map(SlowBy)));
        let listener = match tokio::net::TcpListener::from_std(h.listener) {
            Ok(l) => l,
            Err(e) => {
                let _ = ready.send(Err(format!("{}: cannot serve: {e}", h.addr)));
                return;
            }
        };
        actix_rt::spawn(accept_loop(listener, h.edge, service.clone()));
    }
    let _ = ready.send(Ok(count));
}

/// Accepts connections of one host: the agent's edge, then the shared HTTP service.
async fn accept_loop<S>(listener: tokio::net::TcpListener, edge: Arc<EdgeState>, service: Rc<S>)
where
    S: Service<Accepted, Response = (), Error = ()> + 'static,
{
    loop {
        match listener.accept().await {
            Ok((tcp, _)) => {
                let (edge, service) = (edge.clone(), service.clone());
                actix_rt::spawn(async move {
                    if let Ok(accepted) = listener::accept(edge, tcp).await {
                        let _ = service.call(accepted).await;
                    }
                });
            }
            // Out of file descriptors or similar: back off instead of spinning.
            Err(_) => actix_rt::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
