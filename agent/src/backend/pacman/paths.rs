//! Where pacman keeps its state for the configured command line: the configuration file, RootDir, DBPath and
//! CacheDir, asked once from `pacman-conf` with the path options of `backend.extra_args` applied on top.

use super::runner;
use crate::backend::{BackendError, CommandEnv};
use std::path::PathBuf;
use std::time::Duration;

/// The default configuration file when `--config` is not among the extra arguments.
const DEFAULT_CONFIG: &str = "/etc/pacman.conf";

/// How long `pacman-conf` may take.
const CONF_TIMEOUT: Duration = Duration::from_secs(30);

/// pacman's paths as the configured command line resolves them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacmanPaths {
    /// The configuration file (`--config`, else `/etc/pacman.conf`).
    pub config: PathBuf,
    /// RootDir: where packages are installed.
    pub root: PathBuf,
    /// DBPath: holds `local/`, `sync/` and the lock file `db.lck`.
    pub dbpath: PathBuf,
    /// CacheDir(s), in search order.
    pub cachedirs: Vec<PathBuf>,
}

impl PacmanPaths {
    /// `DBPath/local`, the database of installed packages.
    pub fn local(&self) -> PathBuf {
        self.dbpath.join("local")
    }

    /// `DBPath/sync`, the downloaded repository databases.
    pub fn sync(&self) -> PathBuf {
        self.dbpath.join("sync")
    }

    /// `DBPath/db.lck`, pacman's lock file.
    pub fn lock(&self) -> PathBuf {
        self.dbpath.join("db.lck")
    }

    /// Resolves the paths: `pacman-conf [--config C] [--rootdir R] --verbose RootDir DBPath CacheDir`, then
    /// `--dbpath`/`--cachedir` from the extra arguments win (as they do for pacman itself).
    pub fn discover(env: &CommandEnv) -> Result<PacmanPaths, BackendError> {
        let opts = PathOptions::parse(&env.extra_args)?;
        let config = opts
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
        let mut args = vec!["--config".to_string(), config.display().to_string()];
        if let Some(r) = &opts.root {
            args.extend(["--rootdir".to_string(), r.display().to_string()]);
        }
        args.extend(["--verbose", "RootDir", "DBPath", "CacheDir"].map(String::from));
        let out = runner::capture("pacman-conf", &args, &env.env, CONF_TIMEOUT)?;
        if !out.success() {
            return Err(BackendError::Command(format!(
                "pacman-conf {}: {}",
                args.join(" "),
                out.errors()
            )));
        }
        let mut root = None;
        let mut dbpath = None;
        let mut cachedirs = Vec::new();
        for line in &out.stdout {
            let Some((key, value)) = line.split_once(" = ") else {
                continue;
            };
            let value = PathBuf::from(value.trim());
            match key.trim() {
                "RootDir" => root = Some(value),
                "DBPath" => dbpath = Some(value),
                "CacheDir" => cachedirs.push(value),
                _ => {}
            }
        }
        let missing = |what: &str| {
            BackendError::Command(format!("pacman-conf printed no {what} for {}", config.display()))
        };
        let root = opts.root.clone().or(root).ok_or_else(|| missing("RootDir"))?;
        let dbpath = opts.dbpath.clone().or(dbpath).ok_or_else(|| missing("DBPath"))?;
        if !opts.cachedirs.is_empty() {
            cachedirs = opts.cachedirs;
        }
        Ok(PacmanPaths {
            config,
            root,
            dbpath,
            cachedirs,
        })
    }
}

/// The path options pacman accepts on its command line, as found in the extra arguments.
#[derive(Debug, Default, PartialEq, Eq)]
struct PathOptions {
    config: Option<PathBuf>,
    root: Option<PathBuf>,
    dbpath: Option<PathBuf>,
    cachedirs: Vec<PathBuf>,
}

impl PathOptions {
    /// Reads `--config`, `--root`/`-r`, `--dbpath`/`-b` and `--cachedir`, as `--opt VALUE` or `--opt=VALUE`.
    /// `--sysroot` is refused: pacman then chroots, and the backend could not read the database in-process.
    fn parse(args: &[String]) -> Result<PathOptions, BackendError> {
        let mut o = PathOptions::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (flag, inline) = match a.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (a.as_str(), None),
            };
            let slot =
                match flag {
                    "--config" => 0,
                    "--root" | "-r" => 1,
                    "--dbpath" | "-b" => 2,
                    "--cachedir" => 3,
                    "--sysroot" => return Err(BackendError::Command(
                        "backend.extra_args: --sysroot is not supported; use --config with RootDir/DBPath"
                            .into(),
                    )),
                    _ => continue,
                };
            let value = match inline {
                Some(v) => v,
                None => it.next().cloned().ok_or_else(|| {
                    BackendError::Command(format!("backend.extra_args: {flag} needs a value"))
                })?,
            };
            let p = PathBuf::from(value);
            match slot {
                0 => o.config = Some(p),
                1 => o.root = Some(p),
                2 => o.dbpath = Some(p),
                _ => o.cachedirs.push(p),
            }
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::{PacmanPaths, PathOptions};
    use crate::backend::CommandEnv;
    use std::path::PathBuf;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn path_options_in_both_spellings() {
        let o = PathOptions::parse(&s(&[
            "--config",
            "/r/pacman.conf",
            "--noconfirm",
            "-r",
            "/r",
            "--dbpath=/r/db",
            "--cachedir",
            "/c1",
            "--cachedir=/c2",
        ]))
        .unwrap();
        assert_eq!(o.config, Some(PathBuf::from("/r/pacman.conf")));
        assert_eq!(o.root, Some(PathBuf::from("/r")));
        assert_eq!(o.dbpath, Some(PathBuf::from("/r/db")));
        assert_eq!(o.cachedirs, vec![PathBuf::from("/c1"), PathBuf::from("/c2")]);
        assert!(PathOptions::parse(&s(&["--dbpath"])).is_err());
        assert!(PathOptions::parse(&s(&["--sysroot", "/x"])).is_err());
    }

    #[test]
    fn discover_asks_pacman_conf_and_lets_arguments_win() {
        if std::process::Command::new("pacman-conf")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("pacman-conf not installed: skipped");
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let conf = d.path().join("pacman.conf");
        std::fs::write(
            &conf,
            "[options]\nRootDir = /srv/r\nDBPath = /srv/r/db/\nCacheDir = /srv/r/c1/\nCacheDir = /srv/r/c2/\n",
        )
        .unwrap();
        let env = |args: &[&str]| CommandEnv {
            env: Default::default(),
            extra_args: s(args),
        };
        let c = conf.display().to_string();
        let p = PacmanPaths::discover(&env(&["--config", &c])).unwrap();
        assert_eq!(p.config, conf);
        assert_eq!(p.root, PathBuf::from("/srv/r/"));
        assert_eq!(p.dbpath, PathBuf::from("/srv/r/db/"));
        assert_eq!(
            p.cachedirs,
            vec![PathBuf::from("/srv/r/c1/"), PathBuf::from("/srv/r/c2/")]
        );
        assert_eq!(p.lock(), PathBuf::from("/srv/r/db/db.lck"));
        let p =
            PacmanPaths::discover(&env(&["--config", &c, "-b", "/other/db", "--cachedir", "/x"])).unwrap();
        assert_eq!(p.dbpath, PathBuf::from("/other/db"));
        assert_eq!(p.cachedirs, vec![PathBuf::from("/x")]);
        // --root alone moves DBPath under the root (pacman's rule), but not CacheDir.
        std::fs::write(&conf, "[options]\n").unwrap();
        let p = PacmanPaths::discover(&env(&["--config", &c, "--root", "/alt"])).unwrap();
        assert_eq!(p.root, PathBuf::from("/alt"));
        assert_eq!(p.dbpath, PathBuf::from("/alt/var/lib/pacman/"));
        assert_eq!(p.cachedirs, vec![PathBuf::from("/var/cache/pacman/pkg/")]);
    }
}
