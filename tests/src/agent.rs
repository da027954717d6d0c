//! The real `linux-patch-api` binary started in a temporary prefix with per-test certificates.

use crate::apt::{apt_sandbox, AptSandbox};
use crate::certs::Pki;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Path of a workspace binary next to the test executable (`target/<profile>/NAME`).
pub fn workspace_bin(name: &str) -> PathBuf {
    if let Ok(p) = std::env::var(format!("{}_BIN", name.to_uppercase().replace('-', "_"))) {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    let mut dir = exe.parent().unwrap().to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir.join(name);
    assert!(
        bin.exists(),
        "{} not built: run `cargo build --workspace --bins` first (`make test` does)",
        bin.display()
    );
    bin
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How to configure the agent under test.
#[derive(Debug, Clone)]
pub struct AgentSetup {
    /// Allow-list entries.
    pub allow: Vec<String>,
    /// `backend.env`; empty = a fresh apt sandbox (or the host database with `host_database`).
    pub backend_env: BTreeMap<String, String>,
    /// `security.rate_limit_per_minute`.
    pub rate_limit_per_minute: u32,
    /// `server.max_body_bytes`.
    pub max_body_bytes: usize,
    /// Use this machine's own package database (read-only) instead of a fresh apt sandbox.
    pub host_database: bool,
    /// `security.job_timeout_secs`.
    pub job_timeout_secs: u64,
    /// `security.max_concurrent_jobs`.
    pub max_concurrent_jobs: u32,
    /// `system.reboot_command`; tests never use the real one (default: `true`).
    pub reboot_command: Vec<String>,
    /// Program and arguments the agent command is appended to (e.g. `unshare ...`), empty for none.
    pub launcher: Vec<String>,
    /// `backend.kind` (default `apt`); any other kind gets no apt sandbox.
    pub backend_kind: String,
    /// `server.bind_address` (default `127.0.0.1`).
    pub bind_address: std::net::Ipv4Addr,
    /// `server.port`; `None` = a free port.
    pub port: Option<u16>,
    /// `logging.remote_syslog` (`udp://...`, `tcp://...`), `None` for null.
    pub remote_syslog: Option<String>,
}

impl Default for AgentSetup {
    fn default() -> Self {
        Self {
            allow: vec!["127.0.0.1".into()],
            backend_env: BTreeMap::new(),
            rate_limit_per_minute: 600,
            max_body_bytes: 1_048_576,
            host_database: false,
            job_timeout_secs: 300,
            max_concurrent_jobs: 5,
            reboot_command: vec!["true".into()],
            launcher: Vec::new(),
            backend_kind: "apt".into(),
            bind_address: std::net::Ipv4Addr::LOCALHOST,
            port: None,
            remote_syslog: None,
        }
    }
}

/// A running agent; killed and its prefix removed on drop.
#[derive(Debug)]
pub struct AgentProc {
    child: Child,
    /// The agent's prefix (config, state, logs).
    pub prefix: tempfile::TempDir,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The certificates it uses (CA, server, a valid client).
    pub pki: Pki,
    /// The apt sandbox the agent reads (unless it reads the host's database); dropped after the agent.
    pub sandbox: Option<AptSandbox>,
}

impl AgentProc {
    /// Writes config, allow-list and certificates into a fresh prefix and starts the agent, against a
    /// fresh apt sandbox unless `host_database`, an explicit `backend_env` or another `backend_kind` is given.
    pub fn start(setup: &AgentSetup) -> Self {
        Self::start_with_pki(setup, Pki::new())
    }

    /// Like [`AgentProc::start`] with given certificates (e.g. issued by the manager's internal CA).
    pub fn start_with_pki(setup: &AgentSetup, pki: Pki) -> Self {
        let prefix = tempfile::tempdir().unwrap();
        let port = setup.port.unwrap_or_else(free_port);
        let sandbox = (setup.backend_kind == "apt" && !setup.host_database && setup.backend_env.is_empty())
            .then(apt_sandbox);
        let mut setup = setup.clone();
        if let Some(s) = &sandbox {
            setup.backend_env = s.env();
        }
        write_config(prefix.path(), port, &setup, &pki);
        let bin = workspace_bin("linux-patch-api");
        let mut cmd = match setup.launcher.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(&bin);
                c
            }
            None => Command::new(&bin),
        };
        let child = cmd
            .arg("--prefix")
            .arg(prefix.path())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(prefix.path().join("agent.stderr")).unwrap())
            .spawn()
            .unwrap();
        let mut agent = Self {
            child,
            prefix,
            addr: SocketAddr::from((setup.bind_address, port)),
            pki,
            sandbox,
        };
        agent.wait_started();
        agent
    }

    /// Kills the agent with SIGKILL (no chance to clean up) and waits for it to be gone.
    pub fn kill_hard(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Starts the agent again on the same prefix, port and certificates (after `kill_hard`).
    pub fn restart(&mut self) {
        let starts = self
            .audit_records()
            .iter()
            .filter(|r| r["event"] == "agent.started")
            .count();
        let stderr = std::fs::OpenOptions::new()
            .append(true)
            .open(self.prefix.path().join("agent.stderr"))
            .unwrap();
        self.child = Command::new(workspace_bin("linux-patch-api"))
            .arg("--prefix")
            .arg(self.prefix.path())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self
            .audit_records()
            .iter()
            .filter(|r| r["event"] == "agent.started")
            .count()
            <= starts
        {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("agent exited at restart with {status}:\n{}", self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "agent did not restart in 30 s:\n{}",
                self.logs()
            );
            wait_a_little();
        }
    }

    /// The version of `name` installed in the agent's apt sandbox, if any.
    pub fn version_of(&self, name: &str) -> Option<String> {
        let sandbox = self.sandbox.as_ref().expect("the agent reads an apt sandbox");
        sandbox
            .dpkg_query_w()
            .into_iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v)
    }

    /// The agent's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A field of `/proc/PID/status` in KiB (`VmRSS`, `VmHWM`).
    pub fn status_kib(&self, field: &str) -> Option<u64> {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = text.lines().find(|l| l.starts_with(&format!("{field}:")))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// `etc/linux_patch_api` in the prefix.
    pub fn etc(&self) -> PathBuf {
        self.prefix.path().join("etc/linux_patch_api")
    }

    /// `audit.log` in the prefix.
    pub fn audit_log(&self) -> PathBuf {
        self.prefix.path().join("var/log/linux_patch_api/audit.log")
    }

    /// Parsed audit records so far.
    pub fn audit_records(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.audit_log())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line is not JSON ({e}): {l}")))
            .collect()
    }

    /// Waits (polling, up to `timeout`) for an audit record matching `pred`.
    pub fn wait_audit(
        &self,
        timeout: Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(r) = self.audit_records().into_iter().find(|r| pred(r)) {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "audit record not found; log:\n{}",
                self.logs()
            );
            std::thread::yield_now();
            wait_a_little();
        }
    }

    /// Audit records of one event, in order.
    pub fn audit_events(&self, event: &str) -> Vec<serde_json::Value> {
        self.audit_records()
            .into_iter()
            .filter(|r| r["event"] == event)
            .collect()
    }

    /// The agent's operational log (stderr) so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.prefix.path().join("agent.stderr")).unwrap_or_default()
    }

    /// Replaces a file under `etc/linux_patch_api` the way deployment tools do: a temporary file in the
    /// same directory, renamed over the old one (readers never see a partial file).
    pub fn replace_etc_file(&self, name: &str, contents: &[u8]) {
        let target = self.etc().join(name);
        let tmp = target.with_file_name(format!(".{}.tmp", target.file_name().unwrap().to_string_lossy()));
        std::fs::write(&tmp, contents).unwrap();
        std::fs::rename(&tmp, &target).unwrap();
    }

    /// The agent's stderr and audit log, for failure messages.
    pub fn logs(&self) -> String {
        let err = std::fs::read_to_string(self.prefix.path().join("agent.stderr")).unwrap_or_default();
        let audit = std::fs::read_to_string(self.audit_log()).unwrap_or_default();
        format!("--- stderr\n{err}--- audit.log\n{audit}")
    }

    fn wait_started(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("agent exited at start with {status}:\n{}", self.logs());
            }
            if self.audit_records().iter().any(|r| r["event"] == "agent.started") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "agent did not start in 30 s:\n{}",
                self.logs()
            );
            wait_a_little();
        }
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `config.yaml`, `whitelist.yaml` and `certs/` for an agent on `setup.bind_address`:`port`.
pub fn write_config(prefix: &Path, port: u16, setup: &AgentSetup, pki: &Pki) {
    let etc = prefix.join("etc/linux_patch_api");
    std::fs::create_dir_all(etc.join("certs")).unwrap();
    std::fs::write(etc.join("certs/ca.pem"), pki.ca.cert_pem()).unwrap();
    pki.server
        .write(&etc.join("certs/server.pem"), &etc.join("certs/server.key"));
    let env: String = setup
        .backend_env
        .iter()
        .map(|(k, v)| format!("    {k}: \"{v}\"\n"))
        .collect();
    let env = if env.is_empty() {
        "  env: {}\n".to_owned()
    } else {
        format!("  env:\n{env}")
    };
    std::fs::write(
        etc.join("config.yaml"),
        format!(
            "server: {{ bind_address: {}, port: {port}, request_timeout_secs: 10, max_body_bytes: {} }}\n\
             tls: {{ ca_cert: certs/ca.pem, server_cert: certs/server.pem, server_key: certs/server.key }}\n\
             logging: {{ level: debug{} }}\n\
             security: {{ rate_limit_per_minute: {}, job_timeout_secs: {}, max_concurrent_jobs: {} }}\n\
             system: {{ reboot_command: {} }}\n\
             backend:\n  kind: {}\n{env}",
            setup.bind_address,
            setup.max_body_bytes,
            // Only when set: tests edit the `logging: { level: debug }` line as written.
            setup
                .remote_syslog
                .as_deref()
                .map_or(String::new(), |r| format!(", remote_syslog: \"{r}\"")),
            setup.rate_limit_per_minute,
            setup.job_timeout_secs,
            setup.max_concurrent_jobs,
            serde_json::to_string(&setup.reboot_command).unwrap(),
            setup.backend_kind,
        ),
    )
    .unwrap();
    let allow: String = setup.allow.iter().map(|a| format!("  - {a}\n")).collect();
    std::fs::write(etc.join("whitelist.yaml"), format!("allow:\n{allow}")).unwrap();
}

/// A short pause while polling for a process or file (test kit only; never in product code).
#[allow(clippy::disallowed_methods)]
pub fn wait_a_little() {
    std::thread::sleep(Duration::from_millis(25));
}
