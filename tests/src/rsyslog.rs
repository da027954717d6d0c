//! A private rsyslogd (Debian's `rsyslog`): its own config, pid file, work directory and loopback UDP and
//! TCP ports, writing every message it receives as one JSON line (RFC 5424 fields parsed by rsyslog).

use crate::agent::{free_port, wait_a_little};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or stopped) rsyslogd; killed on drop.
#[derive(Debug)]
pub struct Rsyslog {
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// UDP port on 127.0.0.1.
    pub udp_port: u16,
    /// TCP port on 127.0.0.1.
    pub tcp_port: u16,
}

impl Rsyslog {
    /// Starts rsyslogd on two free loopback ports and waits until both listen.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("linux-patch-rsyslog-")
            .tempdir()
            .unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        let mut r = Self {
            dir,
            child: None,
            udp_port: free_port(),
            tcp_port: free_port(),
        };
        r.write_config();
        r.resume();
        r
    }

    /// `udp://127.0.0.1:PORT`.
    pub fn udp_url(&self) -> String {
        format!("udp://127.0.0.1:{}", self.udp_port)
    }

    /// `tcp://127.0.0.1:PORT`.
    pub fn tcp_url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.tcp_port)
    }

    fn messages_file(&self) -> PathBuf {
        self.dir.path().join("messages.log")
    }

    fn write_config(&self) {
        let d = self.dir.path().display();
        let conf = format!(
            r#"global(workDirectory="{d}/work" maxMessageSize="16k")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="{udp}")
input(type="imtcp" address="127.0.0.1" port="{tcp}")
template(name="lpa" type="list" option.jsonf="on") {{
  property(outname="facility" name="syslogfacility" format="jsonf")
  property(outname="severity" name="syslogseverity" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}}
action(type="omfile" file="{d}/messages.log" template="lpa")
"#,
            udp = self.udp_port,
            tcp = self.tcp_port
        );
        std::fs::write(self.dir.path().join("rsyslog.conf"), conf).unwrap();
    }

    /// Stops the daemon (SIGTERM, then waits); its ports close.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill").arg(c.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while c.try_wait().unwrap().is_none() {
                if Instant::now() > deadline {
                    let _ = c.kill();
                }
                wait_a_little();
            }
        }
    }

    /// Starts the daemon again on the same ports and files; waits until the TCP port accepts.
    pub fn resume(&mut self) {
        assert!(self.child.is_none(), "rsyslogd already running");
        let d = self.dir.path();
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(d.join("rsyslog.conf"))
            .arg("-i")
            .arg(d.join("rsyslogd.pid"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("rsyslogd.stderr")).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start rsyslogd (is rsyslog installed?): {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.tcp_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "rsyslogd did not listen in 20 s: {}",
                std::fs::read_to_string(d.join("rsyslogd.stderr")).unwrap_or_default()
            );
            wait_a_little();
        }
    }

    /// Every message received so far from `linux-patch-api`, one JSON object each (`facility`,
    /// `severity`, `hostname`, `app`, `procid`, `msgid`, `sd`, `msg`).
    pub fn messages(&self) -> Vec<Value> {
        std::fs::read_to_string(self.messages_file())
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["app"] == "linux-patch-api")
            .collect()
    }

    /// Waits (up to `timeout`) until a message satisfies `pred`; returns it.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(m) = self.messages().into_iter().find(|m| pred(m)) {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "no matching syslog message in {timeout:?}; received:\n{:#?}",
                self.messages()
            );
            wait_a_little();
        }
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
