//! A real SMTP server for the notification tests: Debian's `python3-aiosmtpd` (tests/smtp/server.py) with STARTTLS required (a certificate from a test CA) and AUTH; stopped and started again on the same port to play an outage; the messages it accepted, as JSON files.

use linux_patch_manager::ca::InternalCa;
use linux_patch_shared::clock::SystemClock;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running (or stopped) aiosmtpd.
pub struct SmtpServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The CA that issued its certificate (PEM), for the manager's `smtp.ca_pem`.
    pub ca_pem: String,
    dir: tempfile::TempDir,
    user: String,
    password: String,
    child: Option<Child>,
}

impl SmtpServer {
    /// Starts one that accepts `user` / `password`.
    pub fn start(user: &str, password: &str) -> Self {
        let dir = tempfile::Builder::new().prefix("lpm-smtp-").tempdir().unwrap();
        let ca = InternalCa::load_or_create(dir.path(), &SystemClock).unwrap();
        ca.ensure_web_cert(
            dir.path(),
            &["localhost".into()],
            &[IpAddr::V4(Ipv4Addr::LOCALHOST)],
            &SystemClock,
        )
        .unwrap();
        let mut s = Self {
            port: crate::agent::free_port(),
            ca_pem: ca.cert_pem(),
            dir,
            user: user.into(),
            password: password.into(),
            child: None,
        };
        s.resume();
        s
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// Starts it again on the same port (after [`SmtpServer::stop`]).
    pub fn resume(&mut self) {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("smtp/server.py");
        let tls = self.dir.path().join("tls");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(self.port.to_string())
            .arg(tls.join("web.pem"))
            .arg(tls.join("web.key"))
            .args([&self.user, &self.password])
            .arg(self.out())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd (make prereqs installs it)");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        // aiosmtpd's Controller.start() returns once its own probe connection got the banner.
        assert_eq!(line.trim(), "ready", "aiosmtpd did not start");
        self.child = Some(child);
    }

    /// Stops it (connections are refused until [`SmtpServer::resume`]).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every message accepted so far (oldest first): `from`, `to`, `content`, `tls`.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let Ok(rd) = std::fs::read_dir(self.out()) else {
            return Vec::new();
        };
        let mut names: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}
