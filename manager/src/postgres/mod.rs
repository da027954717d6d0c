//! The embedded default database: a private PostgreSQL cluster under `<data_dir>/postgres`, Unix socket only.

mod cluster;

pub use cluster::Cluster;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The database the manager uses inside its private cluster.
pub const DATABASE: &str = "linux_patch_manager";
/// The cluster's superuser role (also the OS user it runs as when the manager runs as root).
pub const SUPERUSER: &str = "postgres";

/// A running private cluster; stopped (`pg_ctl stop -m fast`) on drop if this process started it.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    cl: Cluster,
}

/// Why the private cluster could not be set up, started or stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedError(pub String);

impl std::fmt::Display for EmbeddedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "embedded PostgreSQL: {}", self.0)
    }
}

impl std::error::Error for EmbeddedError {}

fn err(m: impl Into<String>) -> EmbeddedError {
    EmbeddedError(m.into())
}

impl EmbeddedPostgres {
    /// Initialises the cluster on first use (`initdb`), then starts it unless it already runs.
    /// As root, PostgreSQL runs as the non-root owner of `postgres/` (or of `data_dir` before the cluster
    /// exists): a packaged manager's own user, so an admin's `user create` as root leaves the service's
    /// cluster alone. Otherwise as the unprivileged `postgres` user (which must exist).
    pub fn start(data_dir: &Path) -> Result<Self, EmbeddedError> {
        let bindir = find_bindir()?;
        let owner = if is_root() {
            Some(cluster_owner(&data_dir.join("postgres"), data_dir)?)
        } else {
            None
        };
        let pgdata = data_dir.join("postgres");
        let socket_dir = data_dir.join("run");
        std::fs::create_dir_all(data_dir)
            .map_err(|e| err(format!("cannot create {}: {e}", data_dir.display())))?;
        for d in [&pgdata, &socket_dir] {
            std::fs::create_dir_all(d).map_err(|e| err(format!("cannot create {}: {e}", d.display())))?;
            set_mode(d, 0o700)?;
        }
        if let Some((_, uid, gid)) = &owner {
            // The cluster's user must reach its directories; nothing else of data_dir is opened to it.
            let mode = std::fs::metadata(data_dir).map(|m| m.mode()).unwrap_or(0o700);
            set_mode(data_dir, (mode & 0o7777) | 0o011)?;
            for d in [&pgdata, &socket_dir] {
                std::os::unix::fs::chown(d, Some(*uid), Some(*gid))
                    .map_err(|e| err(format!("cannot give {} to {SUPERUSER}: {e}", d.display())))?;
            }
        }
        let pg = Self {
            cl: Cluster::new(pgdata, socket_dir, bindir, owner.map(|(name, _, _)| name)),
        };
        if !pg.cl.pgdata.join("PG_VERSION").exists() {
            pg.initdb()?;
        }
        pg.write_settings()?;
        if !pg.cl.running() {
            pg.cl.start()?;
        }
        Ok(pg)
    }

    /// The libpq URL of `database` over the cluster's Unix socket.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgresql://{SUPERUSER}@/{database}?host={}",
            percent_encode(&self.cl.socket_dir.to_string_lossy())
        )
    }

    /// The directory holding the cluster's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.cl.socket_dir
    }

    /// Stops the cluster if this process started it (`pg_ctl stop -m fast`, waiting for the shutdown).
    pub fn stop(&mut self) -> Result<(), EmbeddedError> {
        self.cl.stop()
    }

    /// A handle for the supervisor (liveness, restart); shares whether we own the server.
    pub fn cluster(&self) -> Cluster {
        self.cl.clone()
    }

    fn initdb(&self) -> Result<(), EmbeddedError> {
        let out = self.run(
            "initdb",
            &[
                "-D".as_ref(),
                self.cl.pgdata.as_os_str(),
                "-U".as_ref(),
                SUPERUSER.as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--no-locale".as_ref(),
                "--auth-local=trust".as_ref(),
                "--auth-host=reject".as_ref(),
                "--no-instructions".as_ref(),
            ],
        )?;
        if !out.status.success() {
            return Err(err(format!(
                "initdb {} failed: {}",
                self.cl.pgdata.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let conf = self.cl.pgdata.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)
            .map_err(|e| err(format!("cannot read {}: {e}", conf.display())))?;
        text.push_str("\n# linux-patch-manager: no TCP, socket in the manager's data directory\ninclude = 'manager.conf'\n");
        std::fs::write(&conf, text).map_err(|e| err(format!("cannot write {}: {e}", conf.display())))
    }

    /// (Re)writes `manager.conf` so the socket follows the data directory if it moved.
    fn write_settings(&self) -> Result<(), EmbeddedError> {
        let dir = self.cl.socket_dir.to_string_lossy().replace('\'', "''");
        let file = self.cl.pgdata.join("manager.conf");
        std::fs::write(
            &file,
            // jit off: LLVM JIT needs writable+executable memory, which the hardened unit denies
            // (MemoryDenyWriteExecute); the manager's queries gain nothing from it.
            format!("listen_addresses = ''\nunix_socket_directories = '{dir}'\njit = off\n"),
        )
        .map_err(|e| err(format!("cannot write {}: {e}", file.display())))
    }

    fn run(&self, tool: &str, args: &[&std::ffi::OsStr]) -> Result<Output, EmbeddedError> {
        self.cl.run(tool, args)
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            log::error!("{e}");
            eprintln!("linux-patch-manager: {e}");
        }
    }
}

/// The newest `/usr/lib/postgresql/<N>/bin` with `initdb` and `pg_ctl`, else `pg_config --bindir`.
pub fn find_bindir() -> Result<PathBuf, EmbeddedError> {
    let has_tools = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, d)| has_tools(d))
        .collect();
    versions.sort();
    if let Some((_, d)) = versions.pop() {
        return Ok(d);
    }
    let out = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| err(format!("no PostgreSQL server binaries found (pg_config: {e}); install `postgresql` or set database.url")))?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if out.status.success() && has_tools(&dir) {
        Ok(dir)
    } else {
        Err(err(
            "no PostgreSQL server binaries (initdb, pg_ctl) found; install `postgresql` or set database.url",
        ))
    }
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// Who runs the cluster when we are root: the non-root owner of `pgdata` (else of `data_dir`), else
/// `postgres`.
fn cluster_owner(pgdata: &Path, data_dir: &Path) -> Result<(String, u32, u32), EmbeddedError> {
    let uid_of = |p: &Path| std::fs::metadata(p).map(|m| m.uid()).ok();
    let owner_uid = uid_of(pgdata).or_else(|| uid_of(data_dir)).filter(|u| *u != 0);
    if let Some(uid) = owner_uid {
        let passwd = std::fs::read_to_string("/etc/passwd")
            .map_err(|e| err(format!("cannot read /etc/passwd: {e}")))?;
        if let Some(name) = passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.get(2).and_then(|u| u.parse::<u32>().ok()) == Some(uid)).then(|| f[0].to_owned())
        }) {
            return lookup_user(&name);
        }
    }
    lookup_user(SUPERUSER)
}

/// `(name, uid, gid)` of a local user from `/etc/passwd`.
fn lookup_user(name: &str) -> Result<(String, u32, u32), EmbeddedError> {
    let passwd =
        std::fs::read_to_string("/etc/passwd").map_err(|e| err(format!("cannot read /etc/passwd: {e}")))?;
    passwd
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            match f.as_slice() {
                [n, _, uid, gid, ..] if *n == name => Some((n.to_string(), uid.parse().ok()?, gid.parse().ok()?)),
                _ => None,
            }
        })
        .next()
        .ok_or_else(|| {
            err(format!(
                "running as root, but there is no `{name}` user to run PostgreSQL as (PostgreSQL refuses to run as root)"
            ))
        })
}

fn set_mode(p: &Path, mode: u32) -> Result<(), EmbeddedError> {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .map_err(|e| err(format!("cannot set the mode of {}: {e}", p.display())))
}

/// Percent-encodes everything but unreserved characters and `/` (a socket path in a libpq URL).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_paths_are_encoded_in_urls() {
        assert_eq!(percent_encode("/tmp/a b/run"), "/tmp/a%20b/run");
        assert_eq!(percent_encode("/x?&=y"), "/x%3F%26%3Dy");
    }

    #[test]
    fn finds_the_system_postgresql() {
        let d = find_bindir().unwrap();
        assert!(d.join("initdb").is_file(), "{}", d.display());
    }
}
