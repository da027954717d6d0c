//! A private PostgreSQL cluster per test process (Unix socket in its temp dir, no TCP) with a migrated
//! template database, and a fresh database per test created from it and dropped on `Drop`.

use diesel::{Connection, PgConnection, RunQueryDsl};
use linux_patch_manager::postgres::{find_bindir, EmbeddedPostgres};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

const DIR_PREFIX: &str = "lpm-pg-";
const TEMPLATE: &str = "lpm_template";

/// The process's cluster. Never dropped (a static): a watchdog stops it when this process exits.
#[derive(Debug)]
pub struct Cluster {
    pg: EmbeddedPostgres,
    dir: PathBuf,
    // The watchdog's stdin: when this process exits the pipe closes and the watchdog stops the cluster.
    _watchdog: Mutex<Child>,
}

impl Cluster {
    /// The libpq URL of `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        self.pg.url(database)
    }

    /// The directory holding the cluster (`postgres/`, `run/`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Starts the cluster on first use (stopping and removing leftovers of dead test processes first).
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let tmp = std::env::temp_dir();
        remove_stale(&tmp);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{DIR_PREFIX}{}-", std::process::id()))
            .tempdir_in(&tmp)
            .unwrap()
            .keep();
        let pg = EmbeddedPostgres::start(&dir)
            .unwrap_or_else(|e| panic!("test cluster in {}: {e}", dir.display()));
        let watchdog = spawn_watchdog(&dir);
        let mut conn = PgConnection::establish(&pg.url("postgres")).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {TEMPLATE}"))
            .execute(&mut conn)
            .unwrap();
        let mut tconn = PgConnection::establish(&pg.url(TEMPLATE)).unwrap();
        linux_patch_manager::db::run_migrations(&mut tconn).unwrap();
        drop(tconn);
        Cluster {
            pg,
            dir,
            _watchdog: Mutex::new(watchdog),
        }
    })
}

/// `sh -c 'cat >/dev/null; pg_ctl stop; rm -rf DIR'` with stdin a pipe held by this process: exiting (even
/// by SIGKILL) closes it. The shell is test-kit only; product code never runs one.
fn spawn_watchdog(dir: &Path) -> Child {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("cat >/dev/null; \"$@\" >/dev/null 2>&1; rm -rf -- \"$0\"")
        .arg(dir);
    stop_argv(&mut cmd, dir);
    // The child keeps its piped stdin handle inside `Child`; it is never written to, only closed at exit.
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Appends `[runuser -u postgres --] pg_ctl stop -m immediate -D DIR/postgres` to `cmd`.
fn stop_argv(cmd: &mut Command, dir: &Path) {
    let pg_ctl = find_bindir().unwrap().join("pg_ctl");
    if is_root() {
        cmd.args(["runuser", "-u", "postgres", "--"]);
    }
    cmd.arg(pg_ctl)
        .args(["stop", "-m", "immediate", "-D"])
        .arg(dir.join("postgres"));
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// Stops and removes `lpm-pg-<pid>-*` clusters whose test process no longer runs.
fn remove_stale(tmp: &Path) {
    let Ok(rd) = std::fs::read_dir(tmp) else { return };
    for e in rd.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(DIR_PREFIX).and_then(|r| r.split('-').next()) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            if e.path().join("postgres/postmaster.pid").exists() {
                let mut cmd = Command::new("env");
                stop_argv(&mut cmd, &e.path());
                let _ = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status();
            }
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// A migrated database of its own for one test, dropped (connections forced out) on `Drop`.
#[derive(Debug)]
pub struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    /// Copies the migrated template into a new database.
    pub fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let c = cluster();
        let name = format!("t_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
        let mut admin = PgConnection::establish(&c.url("postgres")).unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
            .execute(&mut admin)
            .unwrap();
        Self {
            url: c.url(&name),
            name,
        }
    }

    /// Its libpq URL (Unix socket).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new connection to it.
    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).unwrap()
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&cluster().url("postgres")) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
                .execute(&mut admin);
        }
    }
}

/// Command lines of the postgres processes whose command line mentions `dir` (a cluster running there).
pub fn postgres_processes_under(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&needle) && c.contains("postgres"))
        .collect()
}
