//! The fleet simulator from the outside: its `hosts.json` format, starting the `fleet-sim` binary and
//! waiting until it serves, and an mTLS client that checks it reached the host it meant (server name = the
//! host's IP address, so the served certificate must carry it).

use crate::agent::{wait_a_little, workspace_bin};
use crate::certs::Issued;
use crate::client::{client_config, request, tcp, Response};
use rustls::pki_types::{CertificateDer, ServerName};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `hosts.json`, written last by `fleet-sim` (its presence means every listener is up).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FleetFile {
    /// The fleet CA (PEM file, relative to the output directory).
    pub ca_cert: String,
    /// The manager client certificate (PEM file).
    pub manager_cert: String,
    /// Its private key (PEM file, mode 0600).
    pub manager_key: String,
    /// Every simulated host.
    pub hosts: Vec<HostRecord>,
}

/// One simulated host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRecord {
    /// Position in the fleet (0-based).
    pub index: usize,
    /// Host name (certificate CN and DNS SAN; the simulated backend's seed).
    pub hostname: String,
    /// Where it listens (nothing listens for an unreachable host).
    pub address: SocketAddr,
    /// `healthy`, `unhealthy` (index refresh fails: health `degraded`), `slow` (every response delayed)
    /// or `unreachable` (no listener: connection refused).
    pub state: String,
    /// The response delay of a slow host, ms.
    pub delay_ms: Option<u64>,
    /// SHA-256 of its server certificate (DER), hex; null for an unreachable host.
    pub cert_sha256: Option<String>,
    /// Its server certificate (PEM), for recording it as the host's certificate; null when unreachable.
    #[serde(default)]
    pub cert_pem: Option<String>,
    /// Its allow-list.
    pub allow: Vec<String>,
}

/// A running `fleet-sim`; killed on drop.
#[derive(Debug)]
pub struct FleetProc {
    child: Child,
    /// Its output directory.
    pub out: PathBuf,
    /// The parsed `hosts.json`.
    pub file: FleetFile,
    /// The CA, PEM.
    pub ca_pem: String,
    /// The manager client certificate and key.
    pub manager: Issued,
    /// How long from spawn until `hosts.json` appeared.
    pub start_time: Duration,
    _tmp: Option<tempfile::TempDir>,
}

impl FleetProc {
    /// Lowers the simulator's CPU priority (every thread; Linux nice values are per thread) to `nice`, so a
    /// benchmark measures the manager rather than the machines the simulator stands in for; returns how many
    /// threads were reniced.
    pub fn renice(&self, nice: i32) -> usize {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.child.id())).unwrap();
        let mut n = 0;
        for t in tasks.flatten() {
            let ok = Command::new("renice")
                .args(["-n", &nice.to_string(), "-p"])
                .arg(t.file_name())
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            n += usize::from(ok);
        }
        n
    }

    /// Starts `fleet-sim ARGS --out <temp dir>` and waits (up to `timeout`) until it is ready.
    pub fn start(args: &[&str], timeout: Duration) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().to_path_buf();
        let started = Instant::now();
        let mut child = Command::new(workspace_bin("fleet-sim"))
            .args(args)
            .arg("--out")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(out.join("fleet-sim.stderr")).unwrap())
            .spawn()
            .unwrap();
        let hosts = out.join("hosts.json");
        while !hosts.exists() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("fleet-sim exited with {status}:\n{}", stderr(&out));
            }
            assert!(
                started.elapsed() < timeout,
                "fleet-sim not ready in {timeout:?}:\n{}",
                stderr(&out)
            );
            wait_a_little();
        }
        let start_time = started.elapsed();
        let file: FleetFile = serde_json::from_slice(&std::fs::read(&hosts).unwrap()).unwrap();
        let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
        let ca_pem = read(&file.ca_cert);
        let manager = Issued {
            cert_pem: read(&file.manager_cert),
            key_pem: read(&file.manager_key),
        };
        Self {
            child,
            out,
            file,
            ca_pem,
            manager,
            start_time,
            _tmp: Some(tmp),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A field of `/proc/PID/status` in KiB (`VmRSS`, `VmHWM`).
    pub fn status_kib(&self, field: &str) -> Option<u64> {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = text.lines().find(|l| l.starts_with(&format!("{field}:")))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// What the simulator wrote to stderr.
    pub fn stderr(&self) -> String {
        stderr(&self.out)
    }
}

fn stderr(out: &Path) -> String {
    std::fs::read_to_string(out.join("fleet-sim.stderr")).unwrap_or_default()
}

impl Drop for FleetProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one call to a simulated host gave.
#[derive(Debug)]
pub struct HostAnswer {
    /// The server certificate it presented (verified against the fleet CA and the host's IP).
    pub cert: CertificateDer<'static>,
    /// The HTTP response.
    pub response: Response,
}

/// `GET target` on `host` over mTLS as `client`, from `source` (any local address when `None`); the
/// server must prove it owns `host.address`'s IP.
pub async fn call_host(
    host: &HostRecord,
    ca_pem: &str,
    client: &Issued,
    source: Option<IpAddr>,
    target: &str,
) -> std::io::Result<HostAnswer> {
    let config = client_config(ca_pem, Some(client), &[&rustls::version::TLS13]);
    let stream = tcp(host.address, source).await?;
    let name = ServerName::IpAddress(host.address.ip().into());
    let mut tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await?;
    let cert = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.clone().into_owned())
        .ok_or_else(|| std::io::Error::other("no server certificate"))?;
    let response = request(&mut tls, "GET", target, &[], b"").await?;
    Ok(HostAnswer { cert, response })
}

/// Subject CN and SAN entries (`DNS:...`, `IP:...`) of a certificate.
pub fn names_of(cert: &CertificateDer<'_>) -> (String, Vec<String>) {
    let id = linux_patch_api::net::ClientIdentity::from_der(cert.as_ref()).unwrap();
    (id.common_name.unwrap_or_default(), id.sans)
}

/// SHA-256 of a certificate, hex.
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    linux_patch_api::net::ClientIdentity::from_der(cert.as_ref())
        .unwrap()
        .fingerprint_sha256
}
