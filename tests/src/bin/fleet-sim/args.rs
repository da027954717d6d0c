//! The command line of `fleet-sim`.

use std::net::Ipv4Addr;
use std::path::PathBuf;

/// `--help` text.
pub const USAGE: &str = "\
fleet-sim: many simulated Linux Patch API agents in one process, for demos and scale tests.
Each host is the real agent HTTP stack behind the real mTLS edge, with its own server certificate
(CN/SAN = its host name and IP), its own allow-list (127.0.0.1, its own address, and --allow entries)
and a simulated package backend seeded by its host name.

USAGE: fleet-sim [OPTIONS]

  --hosts N          number of hosts (default 100)
  --unhealthy F      share of hosts whose package-index refresh fails: health `degraded` (default 0)
  --slow F           share of hosts answering every request 2-5 s late (default 0)
  --unreachable F    share of hosts with no listener: connection refused (default 0)
  --base IP          address of the first host (default 127.0.1.1); the next ones follow, skipping .0/.255
  --port P           port every host listens on (default 12443)
  --out DIR          where to write ca.pem, manager.pem, manager.key, state/ and, last, hosts.json
                     (default ./fleet-sim-out; its state/ and hosts.json are replaced)
  --allow ENTRY      extra allow-list entry for every host (an IPv4 address or CIDR); repeatable
  --workers N        server threads (default: the number of CPUs, at most 4)
  --time-scale F     multiply simulated job durations by F (default 1; 0 = instant)
  --ca DIR           issue every certificate from the CA in DIR (ca.pem + ca.key, e.g. the manager's
                     <data_dir>/ca) instead of a throw-away one, so a real manager can poll the fleet
  --seed FILE        known data per host (JSON: {\"hosts\": {\"sim-00001\": {\"installed\": [{\"name\", \"version\"}],
                     \"updates\": [{\"name\", \"candidate_version\", \"security\", \"severity\", \"cves\"}],
                     \"reboot_required\": bool, \"unreachable\": bool}}}); a named host serves exactly that
                     (and refuses changes), the others keep the data their names seed
  --help             this text

Ready when hosts.json exists; the line `fleet-sim ready: ...` is printed then. Stops on SIGINT/SIGTERM.
Needs one file descriptor per host plus connections: the soft limit is raised to the hard one.
";

/// Parsed options.
#[derive(Debug, Clone)]
pub struct Args {
    /// `--hosts`.
    pub hosts: usize,
    /// `--unhealthy`.
    pub unhealthy: f64,
    /// `--slow`.
    pub slow: f64,
    /// `--unreachable`.
    pub unreachable: f64,
    /// `--base`.
    pub base: Ipv4Addr,
    /// `--port`.
    pub port: u16,
    /// `--out`.
    pub out: PathBuf,
    /// `--allow`.
    pub allow: Vec<String>,
    /// `--workers`.
    pub workers: usize,
    /// `--time-scale`.
    pub time_scale: f64,
    /// `--ca`.
    pub ca: Option<PathBuf>,
    /// `--seed`.
    pub seed: Option<PathBuf>,
}

fn value<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
    let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
    v.parse()
        .map_err(|_| format!("{flag}: {v:?} is not a valid value (see --help)"))
}

fn fraction(flag: &str, v: Option<String>) -> Result<f64, String> {
    let f: f64 = value(flag, v)?;
    if (0.0..=1.0).contains(&f) {
        Ok(f)
    } else {
        Err(format!("{flag} must be a fraction from 0 to 1, not {f}"))
    }
}

/// Parses `argv` (without the program name); `Ok(None)` for `--help`.
pub fn parse(argv: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut a = Args {
        hosts: 100,
        unhealthy: 0.0,
        slow: 0.0,
        unreachable: 0.0,
        base: Ipv4Addr::new(127, 0, 1, 1),
        port: 12443,
        out: PathBuf::from("fleet-sim-out"),
        allow: Vec::new(),
        workers: std::thread::available_parallelism().map_or(2, |n| n.get().min(4)),
        time_scale: 1.0,
        ca: None,
        seed: None,
    };
    let mut it = argv.into_iter();
    while let Some(flag) = it.next() {
        let (flag, inline) = match flag.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (flag, None),
        };
        let mut next = || inline.clone().or_else(|| it.next());
        match flag.as_str() {
            "--help" | "-h" => return Ok(None),
            "--hosts" => a.hosts = value(&flag, next())?,
            "--unhealthy" => a.unhealthy = fraction(&flag, next())?,
            "--slow" => a.slow = fraction(&flag, next())?,
            "--unreachable" => a.unreachable = fraction(&flag, next())?,
            "--base" => a.base = value(&flag, next())?,
            "--port" => a.port = value(&flag, next())?,
            "--out" => a.out = value(&flag, next())?,
            "--allow" => a.allow.push(value(&flag, next())?),
            "--workers" => a.workers = value(&flag, next())?,
            "--time-scale" => a.time_scale = value(&flag, next())?,
            "--ca" => a.ca = Some(value(&flag, next())?),
            "--seed" => a.seed = Some(value(&flag, next())?),
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    if a.unhealthy + a.slow + a.unreachable > 1.0 {
        return Err("--unhealthy, --slow and --unreachable add up to more than 1".into());
    }
    if a.hosts == 0 || a.workers == 0 || a.port == 0 {
        return Err("--hosts, --workers and --port must be at least 1".into());
    }
    if !(0.0..=1000.0).contains(&a.time_scale) {
        return Err("--time-scale must be from 0 to 1000".into());
    }
    Ok(Some(a))
}
