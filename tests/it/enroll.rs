//! Agent self-enrolment end to end: the real manager and the real agent binary (`--enroll`), fingerprint
//! and trust-on-first-use, approval through the API and the CLI, denial, the bundle on disk, mTLS serving
//! afterwards; the manager's enrolment API in-process (bad bodies, rate limit, tokens, purge, RBAC).
//! Shared helpers here; the tests in `agent_flow`, `refusals` and `manager_api`.

mod agent_flow;
mod manager_api;
mod refusals;

use linux_patch_manager::db::models::Role;
use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::agent::{free_port, wait_a_little, workspace_bin};
use linux_patch_tests::client::{connect, request, tls13, Response};
use linux_patch_tests::manager::ManagerProc;
pub use linux_patch_tests::signin::{api_token, ready_user};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub const MACHINE_ID: &str = "4c4c4544004b3510804ab4c04f4e3132";

/// One HTTPS request to the real manager (verifying its certificate against its CA).
pub fn call(m: &ManagerProc, method: &str, path: &str, bearer: Option<&str>, body: Option<&str>) -> Response {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut tls = connect(m.addr, tls13(&m.ca(), None), None).await.unwrap();
        let auth = bearer.map(|b| format!("Bearer {b}"));
        let mut headers: Vec<(&str, &str)> = vec![("Content-Type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("Authorization", a));
        }
        request(&mut tls, method, path, &headers, body.unwrap_or("").as_bytes())
            .await
            .unwrap()
    })
}

/// A bearer token of a fresh admin `name` on the real manager.
pub fn admin_token(m: &ManagerProc, name: &str) -> String {
    let (_, secret) = ready_user(&mut m.db().conn(), name, Role::Admin);
    api_token(m, name, &secret)
}

/// The manager's CA fingerprint as `serve` printed it.
pub fn fingerprint(m: &ManagerProc) -> String {
    m.stdout()
        .lines()
        .find_map(|l| l.strip_prefix("internal CA fingerprint (SHA-256): "))
        .unwrap()
        .trim()
        .to_owned()
}

/// An agent prefix ready for `--enroll`: config (simulated backend, loopback, a free port), an allow-list
/// that does not admit the manager yet, a machine id. No certificates.
#[derive(Debug)]
pub struct EnrollSandbox {
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl EnrollSandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let etc = dir.path().join("etc/linux_patch_api");
        std::fs::create_dir_all(&etc).unwrap();
        std::fs::write(
            etc.join("config.yaml"),
            format!(
                "# my agent\nserver: {{ bind_address: 127.0.0.1, port: {port} }}\n\
                 tls: {{ ca_cert: certs/ca.pem, server_cert: certs/server.pem, server_key: certs/server.key, crl: null }}\n\
                 logging: {{ level: debug }}\nbackend:\n  kind: simulated\n"
            ),
        )
        .unwrap();
        std::fs::write(
            etc.join("whitelist.yaml"),
            "allow:\n  - 127.0.0.2   # the lab box\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("etc/machine-id"), format!("{MACHINE_ID}\n")).unwrap();
        Self { dir, port }
    }

    pub fn etc(&self) -> PathBuf {
        self.dir.path().join("etc/linux_patch_api")
    }

    pub fn pin(&self) -> PathBuf {
        self.dir
            .path()
            .join("var/lib/linux_patch_api/state/manager-ca.pem")
    }

    /// Starts `linux-patch-api --prefix DIR --enroll URL ARGS...` (stdout/stderr to files in the prefix).
    pub fn enroll(&self, url: &str, args: &[&str]) -> Enrolling {
        let out = self.dir.path().join("agent.stdout");
        let err = self.dir.path().join("agent.stderr");
        let child = Command::new(workspace_bin("linux-patch-api"))
            .arg("--prefix")
            .arg(self.dir.path())
            .args([
                "--enroll",
                url,
                "--enroll-name",
                "agent-1.example.test",
                "--enroll-ip",
                "127.0.0.1",
            ])
            .args(["--enroll-poll-secs", "1"])
            .args(args)
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        Enrolling {
            child: Some(child),
            out,
            err,
        }
    }
}

/// A running `--enroll`; killed on drop.
#[derive(Debug)]
pub struct Enrolling {
    child: Option<Child>,
    out: PathBuf,
    err: PathBuf,
}

impl Enrolling {
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// Waits (30 s at most) until stdout contains `text`.
    pub fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.stdout().contains(text) {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "agent exited ({status}) before printing `{text}`:\n{}\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no `{text}`:\n{}\n{}",
                self.stdout(),
                self.stderr()
            );
            wait_a_little();
        }
    }

    /// Waits (30 s at most) for the process to exit; returns its code.
    pub fn wait_exit(&mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                return status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "agent still running:\n{}\n{}",
                self.stdout(),
                self.stderr()
            );
            wait_a_little();
        }
    }
}

impl Drop for Enrolling {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Rows of `enrollments` in the manager's database.
pub fn enrollment_rows(db: &linux_patch_tests::pg::TestDb) -> i64 {
    use diesel::prelude::*;
    use linux_patch_manager::db::schema::enrollments;
    enrollments::table.count().get_result(&mut db.conn()).unwrap()
}

/// Audit actions recorded, in order.
pub fn audit_actions(db: &linux_patch_tests::pg::TestDb) -> Vec<String> {
    use diesel::prelude::*;
    use linux_patch_manager::db::schema::audit_log;
    audit_log::table
        .order(audit_log::id.asc())
        .select(audit_log::action)
        .load(&mut db.conn())
        .unwrap()
}

pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}
