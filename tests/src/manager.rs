//! The real `linux-patch-manager` binary in a temporary prefix: its own test database on the private
//! cluster, the internal CA, a first admin with its one-time password, `serve` on a free port.

use crate::agent::{free_port, workspace_bin};
use crate::pg::TestDb;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A running manager.
#[derive(Debug)]
pub struct ManagerProc {
    /// `https://localhost:PORT`.
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub addr: SocketAddr,
    /// The manager's root CA (PEM file).
    pub ca_pem: PathBuf,
    /// The first admin's name.
    pub admin: String,
    /// Its one-time password (must be changed at first login).
    pub admin_password: String,
    child: Option<Child>,
    prefix: tempfile::TempDir,
    db: std::sync::Arc<TestDb>,
}

/// Runs the manager CLI with `--prefix`.
pub fn cli(prefix: &Path, args: &[&str]) -> std::process::Output {
    Command::new(workspace_bin("linux-patch-manager"))
        .arg("--prefix")
        .arg(prefix)
        .args(args)
        .output()
        .unwrap()
}

impl ManagerProc {
    /// Starts a manager that allows 127.0.0.1 only.
    pub fn start() -> Self {
        Self::start_with_allow(&["127.0.0.1"])
    }

    /// Starts a manager with this allow-list.
    pub fn start_with_allow(allow: &[&str]) -> Self {
        Self::start_with(allow, false)
    }

    /// Starts a manager on its embedded private PostgreSQL cluster (no `database.url`).
    pub fn start_embedded() -> Self {
        Self::start_with(&["127.0.0.1"], true)
    }

    /// Starts a manager (allow-list 127.0.0.0/8) whose `config.yaml` also holds `extra` (YAML top-level keys,
    /// e.g. `"poller: { retry_base_secs: 1 }\n"`).
    pub fn start_configured(extra: &str) -> Self {
        let mut m = Self::prepare_configured(extra);
        m.spawn();
        m
    }

    /// Like [`ManagerProc::start_configured`] but not started yet: the database is migrated, the admin
    /// exists and the internal CA is created, so a test can seed rows and issue certificates first; then
    /// [`ManagerProc::launch`].
    pub fn prepare_configured(extra: &str) -> Self {
        let m = Self::start_full(&["127.0.0.0/8"], false, extra, false);
        linux_patch_manager::ca::InternalCa::load_or_create(
            &m.data_dir(),
            &linux_patch_shared::clock::SystemClock,
        )
        .unwrap();
        m
    }

    /// Like [`ManagerProc::prepare_configured`] but on the manager's own embedded PostgreSQL cluster (no
    /// `database.url`): its rows are reached through [`ManagerProc::embedded_url`] while it runs.
    pub fn prepare_embedded(extra: &str) -> Self {
        let m = Self::start_full(&["127.0.0.0/8"], true, extra, false);
        linux_patch_manager::ca::InternalCa::load_or_create(
            &m.data_dir(),
            &linux_patch_shared::clock::SystemClock,
        )
        .unwrap();
        m
    }

    /// Like [`ManagerProc::prepare_configured`] but on the database at `url` (a cluster the test owns, so it
    /// may stop and start it).
    pub fn prepare_on_url(url: &str, extra: &str) -> Self {
        let extra = format!("database: {{ url: \"{url}\" }}\n{extra}");
        let m = Self::start_full(&["127.0.0.0/8"], true, &extra, false);
        linux_patch_manager::ca::InternalCa::load_or_create(
            &m.data_dir(),
            &linux_patch_shared::clock::SystemClock,
        )
        .unwrap();
        m
    }

    /// The libpq URL of the embedded cluster's database (over its Unix socket; reachable while it runs).
    pub fn embedded_url(&self) -> String {
        format!(
            "postgresql://postgres@/linux_patch_manager?host={}",
            self.data_dir().join("run").display()
        )
    }

    /// The embedded cluster's data directory (`postmaster.pid` is in it while it runs).
    pub fn embedded_pgdata(&self) -> PathBuf {
        self.data_dir().join("postgres")
    }

    /// A second manager process on `first`'s database with a copy of its data directory (the same CA, the same
    /// manager client certificate and key), on its own port; prepared, not started ([`ManagerProc::launch`]).
    /// Start `first` before, so its client certificate exists.
    pub fn second_on(first: &ManagerProc) -> Self {
        let prefix = tempfile::tempdir().unwrap();
        std::fs::set_permissions(prefix.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = free_port();
        let etc = prefix.path().join("etc/linux_patch_manager");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(
            etc.join("config.yaml"),
            format!(
                "listen: 127.0.0.1:{port}\npublic_url: https://localhost:{port}\ndatabase: {{ url: \"{}\" }}\nallow: [\"127.0.0.0/8\"]\n",
                first.db.url()
            ),
        )
        .unwrap();
        let data = prefix.path().join("var/lib/linux_patch_manager");
        std::fs::create_dir_all(data.parent().unwrap()).unwrap();
        let status = Command::new("cp")
            .arg("-a")
            .arg(first.data_dir())
            .arg(&data)
            .status()
            .unwrap();
        assert!(status.success(), "copy the data directory");
        ManagerProc {
            url: format!("https://localhost:{port}"),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            ca_pem: data.join("ca/ca.pem"),
            admin: first.admin.clone(),
            admin_password: first.admin_password.clone(),
            child: None,
            prefix,
            db: first.db.clone(),
        }
    }

    /// Starts `serve` on a prepared manager.
    pub fn launch(&mut self) {
        assert!(self.child.is_none(), "already running");
        self.spawn();
    }

    fn start_with(allow: &[&str], embedded: bool) -> Self {
        Self::start_full(allow, embedded, "", true)
    }

    fn start_full(allow: &[&str], embedded: bool, extra: &str, spawn: bool) -> Self {
        let db = TestDb::new();
        let prefix = tempfile::tempdir().unwrap();
        std::fs::set_permissions(prefix.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = free_port();
        let etc = prefix.path().join("etc/linux_patch_manager");
        std::fs::create_dir_all(&etc).unwrap();
        let allow: Vec<String> = allow.iter().map(|a| format!("\"{a}\"")).collect();
        std::fs::write(
            etc.join("config.yaml"),
            format!(
                "listen: 127.0.0.1:{port}\npublic_url: https://localhost:{port}\n{}allow: [{}]\n{extra}",
                if embedded {
                    String::new()
                } else {
                    format!("database: {{ url: \"{}\" }}\n", db.url())
                },
                allow.join(", ")
            ),
        )
        .unwrap();
        let out = cli(prefix.path(), &["user", "create", "--admin", "admin"]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "user create: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let admin_password = stdout
            .lines()
            .find_map(|l| l.strip_prefix("one-time password: "))
            .unwrap()
            .trim()
            .to_owned();
        let mut m = ManagerProc {
            url: format!("https://localhost:{port}"),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            ca_pem: prefix.path().join("var/lib/linux_patch_manager/ca/ca.pem"),
            admin: "admin".into(),
            admin_password,
            child: None,
            prefix,
            db: std::sync::Arc::new(db),
        };
        if spawn {
            m.spawn();
        }
        m
    }

    fn spawn(&mut self) {
        let p = self.prefix.path();
        let child = Command::new(workspace_bin("linux-patch-manager"))
            .arg("--prefix")
            .arg(p)
            .arg("serve")
            .stdout(std::fs::File::create(p.join("manager.stdout")).unwrap())
            .stderr(std::fs::File::create(p.join("manager.stderr")).unwrap())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.stdout().contains("listening on") {
                return;
            }
            if let Some(c) = self.child.as_mut() {
                if let Some(status) = c.try_wait().unwrap() {
                    panic!("manager exited ({status}) before listening: {}", self.stderr());
                }
            }
            assert!(
                Instant::now() < deadline,
                "manager did not start: {}",
                self.stderr()
            );
            crate::agent::wait_a_little();
        }
    }

    /// Stops it (SIGTERM) and waits.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(c.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
            let _ = c.wait();
        }
    }

    /// Kills it with SIGKILL (no graceful stop, as the OOM killer would), then starts it again on the same
    /// prefix and database.
    pub fn crash_and_restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_file(self.prefix.path().join("manager.stdout"));
        self.spawn();
    }

    /// Stops and starts it again on the same prefix and database.
    pub fn restart(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(self.prefix.path().join("manager.stdout"));
        self.spawn();
    }

    /// The root CA as PEM text.
    pub fn ca(&self) -> String {
        std::fs::read_to_string(&self.ca_pem).unwrap()
    }

    /// The agents' CA (PEM): what agents' server certificates chain to (only the manager trusts it).
    pub fn agents_ca(&self) -> String {
        std::fs::read_to_string(
            self.prefix
                .path()
                .join("var/lib/linux_patch_manager/ca/agents-ca.pem"),
        )
        .unwrap()
    }

    /// What it printed.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.prefix.path().join("manager.stdout")).unwrap_or_default()
    }

    /// What it logged.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.prefix.path().join("manager.stderr")).unwrap_or_default()
    }

    /// The prefix.
    pub fn prefix(&self) -> &Path {
        self.prefix.path()
    }

    /// A directory for test artefacts (screenshots, page dumps), inside the prefix.
    pub fn out_dir(&self) -> PathBuf {
        let d = self.prefix.path().join("out");
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Its database.
    pub fn db(&self) -> &TestDb {
        &self.db
    }

    /// Its data directory (`ca/`, `certs/`, `tls/`).
    pub fn data_dir(&self) -> PathBuf {
        self.prefix.path().join("var/lib/linux_patch_manager")
    }

    /// Its process id (while running).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }
}

impl Drop for ManagerProc {
    fn drop(&mut self) {
        self.stop();
    }
}
