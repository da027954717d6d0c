//! Where apt keeps its state and configuration, asked once from `apt-config shell`, and the cache key
//! built from those paths.

use super::command;
use super::stamp::{dir_stamps, stamp, Stamp};
use crate::backend::{BackendError, CommandEnv};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// How long `apt-config` may take.
const APT_CONFIG_TIMEOUT: Duration = Duration::from_secs(30);

/// The files and directories whose change can change what `apt-get -s dist-upgrade` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptPaths {
    /// `Dir::State::lists` (downloaded indexes).
    pub lists: PathBuf,
    /// `Dir::State::status` (the dpkg status file apt reads).
    pub status: PathBuf,
    /// `Dir::Etc::sourcelist`.
    pub sourcelist: PathBuf,
    /// `Dir::Etc::sourceparts`.
    pub sourceparts: PathBuf,
    /// `Dir::Etc::preferences`.
    pub preferences: PathBuf,
    /// `Dir::Etc::preferencesparts`.
    pub preferencesparts: PathBuf,
    /// `Dir::Etc::main` (apt.conf).
    pub main: PathBuf,
    /// `Dir::Etc::parts` (apt.conf.d).
    pub parts: PathBuf,
    /// `APT_CONFIG`, when set for the commands or the process.
    pub apt_config: Option<PathBuf>,
}

/// Stamps of every path in [`AptPaths`]; equal keys mean apt would compute the same upgrades.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptKey(Vec<(String, Option<Stamp>)>);

/// `apt-config shell` variable names and the configuration items they print (`/f` file, `/d` directory).
const ITEMS: [(&str, &str); 8] = [
    ("LISTS", "Dir::State::lists/d"),
    ("STATUS", "Dir::State::status/f"),
    ("SRC", "Dir::Etc::sourcelist/f"),
    ("SRCD", "Dir::Etc::sourceparts/d"),
    ("PREF", "Dir::Etc::preferences/f"),
    ("PREFD", "Dir::Etc::preferencesparts/d"),
    ("MAIN", "Dir::Etc::main/f"),
    ("PARTS", "Dir::Etc::parts/d"),
];

impl AptPaths {
    /// Asks `apt-config shell` with the backend's environment and its `-o`/`-c` arguments.
    pub fn discover(env: &CommandEnv) -> Result<AptPaths, BackendError> {
        let mut args = config_args(&env.extra_args);
        args.push("shell".to_string());
        for (var, item) in ITEMS {
            args.push(var.to_string());
            args.push(item.to_string());
        }
        let out = command::run("apt-config", &args, &env.env, APT_CONFIG_TIMEOUT)?;
        let vars = parse_shell(&out.stdout);
        let get = |var: &str| -> Result<PathBuf, BackendError> {
            vars.get(var)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .ok_or_else(|| BackendError::Command(format!("apt-config shell printed no value for {var}")))
        };
        let apt_config = env
            .env
            .get("APT_CONFIG")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("APT_CONFIG").map(PathBuf::from));
        Ok(AptPaths {
            lists: get("LISTS")?,
            status: get("STATUS")?,
            sourcelist: get("SRC")?,
            sourceparts: get("SRCD")?,
            preferences: get("PREF")?,
            preferencesparts: get("PREFD")?,
            main: get("MAIN")?,
            parts: get("PARTS")?,
            apt_config,
        })
    }

    /// The current key: a `stat` of each file and of each configuration directory's entries. The lists
    /// directory counts as one stamp: apt replaces index files by rename, which moves its mtime.
    pub fn key(&self) -> AptKey {
        let mut k = vec![
            ("status".to_string(), stamp(&self.status)),
            ("lists".to_string(), stamp(&self.lists)),
            ("sourcelist".to_string(), stamp(&self.sourcelist)),
            ("preferences".to_string(), stamp(&self.preferences)),
            ("main".to_string(), stamp(&self.main)),
        ];
        if let Some(c) = &self.apt_config {
            k.push(("APT_CONFIG".to_string(), stamp(c)));
        }
        for (tag, dir) in [
            ("sourceparts", &self.sourceparts),
            ("preferencesparts", &self.preferencesparts),
            ("parts", &self.parts),
        ] {
            k.extend(
                dir_stamps(dir)
                    .into_iter()
                    .map(|(n, s)| (format!("{tag}/{n}"), s)),
            );
        }
        AptKey(k)
    }
}

/// The configuration arguments among apt-get's extra arguments (`-o X`, `-oX`, `--option[=]X`, `-c X`,
/// `-cX`, `--config-file[=]X`): apt-config must see the same configuration, but rejects apt-get's other flags.
pub fn config_args(extra: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = extra.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-o" | "--option" | "-c" | "--config-file" => {
                out.push(a.clone());
                out.extend(it.next().cloned());
            }
            s if s.starts_with("--option=") || s.starts_with("--config-file=") => out.push(a.clone()),
            s if (s.starts_with("-o") || s.starts_with("-c")) && !s.starts_with("--") => out.push(a.clone()),
            _ => {}
        }
    }
    out
}

/// Parses `NAME='value'` lines as printed by `apt-config shell` (a `'` inside is written `'\''`).
fn parse_shell(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| {
            let (name, v) = l.trim().split_once('=')?;
            let v = v.strip_prefix('\'')?.strip_suffix('\'')?;
            Some((name.to_string(), v.replace("'\\''", "'")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{config_args, parse_shell};

    #[test]
    fn parses_apt_config_shell_output() {
        let out = "LISTS='/tmp/r/var/lib/apt/lists/'\nSTATUS='/tmp/r/var/lib/dpkg/status'\n\
                   SRC='/etc/it'\\''s/sources.list'\njunk line\nX=unquoted\n";
        let v = parse_shell(out);
        assert_eq!(v["LISTS"], "/tmp/r/var/lib/apt/lists/");
        assert_eq!(v["STATUS"], "/tmp/r/var/lib/dpkg/status");
        assert_eq!(v["SRC"], "/etc/it's/sources.list");
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn keeps_only_configuration_arguments() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let extra = s(&[
            "-o",
            "Dir=/srv/r",
            "-oAcquire::Retries=3",
            "--no-install-recommends",
            "-c",
            "/srv/r/apt.conf",
            "--option=A::B=1",
            "-y",
            "--config-file",
            "/x.conf",
        ]);
        assert_eq!(
            config_args(&extra),
            s(&[
                "-o",
                "Dir=/srv/r",
                "-oAcquire::Retries=3",
                "-c",
                "/srv/r/apt.conf",
                "--option=A::B=1",
                "--config-file",
                "/x.conf"
            ])
        );
    }
}
