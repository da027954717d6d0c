//! The embedded cluster's process, as its owner and its supervisor both reach it: run a PostgreSQL tool,
//! start the server, tell whether the postmaster lives, stop it (never started again once stopping).

use super::{err, EmbeddedError};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

/// Whether this process started the server, and whether it is shutting it down.
#[derive(Debug, Default)]
struct Ctl {
    owned: bool,
    stopping: bool,
}

/// A handle on the private cluster (cheap to clone; clones share whether we own and are stopping it).
#[derive(Debug, Clone)]
pub struct Cluster {
    pub(super) pgdata: PathBuf,
    pub(super) socket_dir: PathBuf,
    pub(super) bindir: PathBuf,
    pub(super) run_as: Option<String>,
    ctl: Arc<Mutex<Ctl>>,
}

impl Cluster {
    pub(super) fn new(pgdata: PathBuf, socket_dir: PathBuf, bindir: PathBuf, run_as: Option<String>) -> Self {
        Self {
            pgdata,
            socket_dir,
            bindir,
            run_as,
            ctl: Arc::default(),
        }
    }

    fn ctl(&self) -> std::sync::MutexGuard<'_, Ctl> {
        self.ctl.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the postmaster named in `postmaster.pid` is a live process (no tool is run: cheap enough
    /// to ask every second). A missing or stale pid file, or a zombie, is dead.
    pub fn alive(&self) -> bool {
        let Ok(text) = std::fs::read_to_string(self.pgdata.join("postmaster.pid")) else {
            return false;
        };
        let Some(pid) = text.lines().next().and_then(|l| l.trim().parse::<u32>().ok()) else {
            return false;
        };
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // `pid (comm) S ...`: the state follows the last `)`.
            Ok(stat) => stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X"),
            Err(_) => false,
        }
    }

    /// Starts the server (`pg_ctl start -w`) unless we are stopping; from then on we own it.
    pub fn start(&self) -> Result<(), EmbeddedError> {
        let mut ctl = self.ctl();
        if ctl.stopping {
            return Err(err("not started: the manager is stopping"));
        }
        let log = self.pgdata.join("server.log");
        let out = self.run(
            "pg_ctl",
            &[
                "start".as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                "60".as_ref(),
                "-D".as_ref(),
                self.pgdata.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
            ],
        )?;
        if !out.status.success() {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            return Err(err(format!(
                "pg_ctl start failed: {}; server log: {}",
                String::from_utf8_lossy(&out.stderr).trim(),
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            )));
        }
        ctl.owned = true;
        Ok(())
    }

    /// Stops the server if this process started it (`pg_ctl stop -m fast`, waiting); no start after this.
    pub fn stop(&self) -> Result<(), EmbeddedError> {
        let mut ctl = self.ctl();
        ctl.stopping = true;
        if !ctl.owned {
            return Ok(());
        }
        ctl.owned = false;
        let out = self.run(
            "pg_ctl",
            &[
                "stop".as_ref(),
                "-w".as_ref(),
                "-m".as_ref(),
                "fast".as_ref(),
                "-D".as_ref(),
                self.pgdata.as_os_str(),
            ],
        )?;
        if out.status.success() || !self.alive() {
            Ok(())
        } else {
            Err(err(format!(
                "pg_ctl stop failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    /// Whether `pg_ctl status` finds a running server.
    pub(super) fn running(&self) -> bool {
        let status = ["status".as_ref(), "-D".as_ref(), self.pgdata.as_os_str()];
        matches!(self.run("pg_ctl", &status), Ok(o) if o.status.success())
    }

    /// Runs a PostgreSQL tool with argv (never a shell), as the cluster's user when we are root.
    pub(super) fn run(&self, tool: &str, args: &[&std::ffi::OsStr]) -> Result<Output, EmbeddedError> {
        let program = self.bindir.join(tool);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        cmd.args(args)
            .current_dir(&self.pgdata)
            .env("LC_ALL", "C")
            .env_remove("PGDATA")
            .stdin(Stdio::null());
        cmd.output()
            .map_err(|e| err(format!("cannot run {}: {e}", program.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_stale_or_zombie_pid_file_is_dead_and_a_live_one_alive() {
        let d = tempfile::tempdir().unwrap();
        let c = Cluster::new(d.path().into(), d.path().into(), d.path().into(), None);
        assert!(!c.alive(), "no pid file");
        std::fs::write(d.path().join("postmaster.pid"), "garbage\n").unwrap();
        assert!(!c.alive());
        std::fs::write(
            d.path().join("postmaster.pid"),
            format!("{}\n/x\n", std::process::id()),
        )
        .unwrap();
        assert!(c.alive(), "this test process is alive");
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        // Not reaped yet: a zombie once it exited.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        std::fs::write(d.path().join("postmaster.pid"), format!("{pid}\n")).unwrap();
        while c.alive() && std::time::Instant::now() < deadline {
            std::hint::spin_loop();
        }
        assert!(!c.alive(), "an exited, unreaped process is dead");
        child.wait().unwrap();
        assert!(!c.alive(), "a reaped one too");
    }

    #[test]
    fn a_stopping_cluster_is_never_started_again() {
        let d = tempfile::tempdir().unwrap();
        let c = Cluster::new(d.path().into(), d.path().into(), d.path().into(), None);
        c.clone().stop().unwrap();
        let e = c.start().unwrap_err();
        assert!(e.0.contains("stopping"), "{e}");
    }
}
