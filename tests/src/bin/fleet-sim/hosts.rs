//! Everything one listening host needs before it serves: TLS configuration with its own certificate (one
//! shared client-certificate verifier), its allow-list and edge, its simulated backend, its state
//! directories with the outcome of a first index refresh, and its bound listener.

use crate::pki::Leaf;
use crate::plan::{self, Health, PlannedHost};
use crate::serve::HostSetup;
use linux_patch_api::audit::Auditor;
use linux_patch_api::backend::SharedBackend;
use linux_patch_api::cache_state::CacheState;
use linux_patch_api::config::AllowList;
use linux_patch_api::net::listener::EdgeState;
use linux_patch_api::paths::Paths;
use linux_patch_shared::clock::SharedClock;
use linux_patch_tests::fleet::HostRecord;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::{RootCertStore, ServerConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Settings shared by every host.
pub struct Common {
    /// The fleet CA (verifies client certificates).
    pub ca_der: Vec<u8>,
    /// Port of every host.
    pub port: u16,
    /// Allow-list entries added to every host's.
    pub extra_allow: Vec<String>,
    /// Where per-host state directories go.
    pub state_root: PathBuf,
    /// Simulated duration factor.
    pub time_scale: f64,
    /// Server threads (hosts are dealt round-robin).
    pub workers: usize,
    /// Time.
    pub clock: SharedClock,
    /// Audit sink.
    pub auditor: Auditor,
}

/// The fleet, ready to serve.
pub struct Built {
    /// What `hosts.json` lists.
    pub records: Vec<HostRecord>,
    /// Listening hosts, one batch per server thread.
    pub batches: Vec<Vec<HostSetup>>,
}

/// Stored TLS sessions per host (resumption works; 8 keeps 10,000 hosts small).
const SESSIONS_PER_HOST: usize = 8;

/// Sets up every planned host; `leaves` are the certificates of the listening ones, in order.
pub fn build(planned: &[PlannedHost], leaves: Vec<Leaf>, c: &Common) -> Result<Built, String> {
    let provider = linux_patch_shared::tls::provider();
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(c.ca_der.clone()))
        .map_err(|e| format!("fleet CA unusable: {e}"))?;
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("client verifier: {e}"))?;
    let mut leaves = leaves.into_iter();
    let mut batches: Vec<Vec<HostSetup>> = (0..c.workers.max(1)).map(|_| Vec::new()).collect();
    let mut records = Vec::with_capacity(planned.len());
    for h in planned {
        let address = SocketAddr::from((h.ip, c.port));
        let mut allow = vec!["127.0.0.1".to_owned(), h.ip.to_string()];
        for extra in &c.extra_allow {
            if !allow.contains(extra) {
                allow.push(extra.clone());
            }
        }
        let mut record = HostRecord {
            index: h.index,
            hostname: h.name.clone(),
            address,
            state: h.health.as_str().to_owned(),
            delay_ms: h.delay_ms,
            cert_sha256: None,
            cert_pem: None,
            allow: allow.clone(),
        };
        if h.health == Health::Unreachable {
            records.push(record);
            continue;
        }
        let leaf = leaves.next().ok_or("fewer certificates than listening hosts")?;
        record.cert_sha256 = Some(hex(&openssl::sha::sha256(&leaf.cert_der)));
        record.cert_pem = Some(crate::pki::pem("CERTIFICATE", &leaf.cert_der));
        let mut tls = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| format!("TLS 1.3 unavailable: {e}"))?
            .with_client_cert_verifier(verifier.clone())
            .with_single_cert(
                vec![CertificateDer::from(leaf.cert_der)],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key_der)),
            )
            .map_err(|e| format!("{}: certificate unusable: {e}", h.name))?;
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        tls.session_storage = ServerSessionMemoryCache::new(SESSIONS_PER_HOST);
        let allow_list = AllowList::from_entries(Path::new("--allow"), "", &allow)
            .map_err(|e| format!("allow-list of {}: {e}", h.name))?;
        let edge = Arc::new(EdgeState::new(
            allow_list,
            tls,
            c.auditor.clone(),
            c.clock.clone(),
        ));
        let backend: SharedBackend = plan::backend(h, c.clock.clone(), c.time_scale);
        let paths = host_paths(&c.state_root.join(&h.name));
        seed_state(h, &paths, c.clock.clone())?;
        let listener = std::net::TcpListener::bind(address)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let worker = h.index % batches.len();
        batches[worker].push(HostSetup {
            addr: address,
            listener,
            edge,
            backend,
            paths,
            delay: h.delay_ms.map(Duration::from_millis),
        });
        records.push(record);
    }
    Ok(Built { records, batches })
}

/// Creates the host's job and state directories and records a first index refresh (run instantly on a
/// twin of its backend), so health is `ok` or, for an unhealthy host, `degraded` from the first call.
fn seed_state(h: &PlannedHost, paths: &Paths, clock: SharedClock) -> Result<(), String> {
    for dir in [&paths.jobs_dir, &paths.state_dir] {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let now = clock.now();
    let refreshed = plan::backend(h, clock, 0.0).refresh_index(Duration::from_secs(1));
    let state = CacheState {
        last_success: refreshed.is_ok().then_some(now),
        last_attempt: Some(now),
        last_ok: refreshed.is_ok(),
        last_error: refreshed.err().map(|e| e.to_string()),
    };
    let file = paths.state_dir.join("cache.json");
    let json = serde_json::to_vec(&state).map_err(|e| e.to_string())?;
    std::fs::write(&file, json).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

/// A flat layout (`jobs/` and `state/` directly under the host's directory): half the directories of the
/// agent's `var/lib/linux_patch_api` tree, which matters at 10,000 hosts. No configuration files are read.
fn host_paths(dir: &Path) -> Paths {
    Paths {
        config_dir: dir.to_path_buf(),
        config_file: dir.join("config.yaml"),
        whitelist_file: dir.join("whitelist.yaml"),
        data_dir: dir.to_path_buf(),
        jobs_dir: dir.join("jobs"),
        state_dir: dir.join("state"),
        log_dir: dir.to_path_buf(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
