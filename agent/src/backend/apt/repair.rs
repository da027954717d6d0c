//! Bringing the dpkg database back to a consistent state after an interrupted run: `dpkg --configure -a`
//! with exactly the dpkg binary and options apt itself would use (`Dir::Bin::dpkg`, `DPkg::Options`).

use super::{aptconfig, command};
use crate::backend::{BackendError, CommandEnv};
use linux_patch_shared::api::agent::Package;
use std::time::Duration;

/// How long `apt-config dump` may take.
const APT_CONFIG_TIMEOUT: Duration = Duration::from_secs(30);

/// Package states `dpkg --configure -a` finishes (an interrupted unpack/configure or pending triggers).
const UNFINISHED: [&str; 4] = [
    "unpacked",
    "half-configured",
    "triggers-awaited",
    "triggers-pending",
];

/// The dpkg command apt runs: the binary and the options apt passes before its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpkgCommand {
    /// `Dir::Bin::dpkg` (default `dpkg`, found on `PATH`).
    pub program: String,
    /// `DPkg::Options` in order (e.g. `--root=...`, `--admindir=...`, `--force-confold`).
    pub options: Vec<String>,
}

impl DpkgCommand {
    /// Asks `apt-config dump` with the backend's environment and configuration arguments.
    pub fn discover(env: &CommandEnv) -> Result<DpkgCommand, BackendError> {
        let mut args = aptconfig::config_args(&env.extra_args);
        args.extend(["dump", "--format", "%f=%v%n", "Dir::Bin::dpkg", "DPkg::Options"].map(String::from));
        let out = command::run("apt-config", &args, &env.env, APT_CONFIG_TIMEOUT)?;
        Ok(parse_dump(&out.stdout))
    }

    /// `OPTIONS... --force-confdef --force-confold --configure -a`: configure every unpacked or
    /// half-configured package and process pending triggers, keeping existing configuration files.
    pub fn configure_pending_args(&self) -> Vec<String> {
        let mut a = self.options.clone();
        a.extend(["--force-confdef", "--force-confold", "--configure", "-a"].map(String::from));
        a
    }
}

/// Parses `apt-config dump --format '%f=%v%n'` output (`Dir::Bin::dpkg=/usr/bin/dpkg`,
/// `DPkg::Options::=--root=/srv/r`); apt's configuration keys are case-insensitive.
pub fn parse_dump(stdout: &str) -> DpkgCommand {
    let mut program = String::new();
    let mut options = Vec::new();
    for line in stdout.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.eq_ignore_ascii_case("Dir::Bin::dpkg") {
            program = value.to_string();
        } else if key.eq_ignore_ascii_case("DPkg::Options::") && !value.is_empty() {
            options.push(value.to_string());
        }
    }
    if program.is_empty() {
        program = "dpkg".to_string();
    }
    DpkgCommand { program, options }
}

/// Why the database needs `dpkg --configure -a` before apt can be used, or `None` when it does not.
pub fn needs_repair(journal_pending: bool, packages: &[Package]) -> Option<String> {
    let unfinished: Vec<String> = packages
        .iter()
        .filter(|p| UNFINISHED.contains(&p.status.as_str()))
        .map(|p| format!("{} is {}", p.name, p.status))
        .collect();
    match (journal_pending, unfinished.is_empty()) {
        (false, true) => None,
        (true, true) => Some("dpkg's journal has unapplied entries".to_string()),
        (journal, false) => Some(format!(
            "{}{}",
            unfinished.join(", "),
            if journal {
                "; dpkg's journal has unapplied entries"
            } else {
                ""
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{needs_repair, parse_dump, DpkgCommand};
    use linux_patch_shared::api::agent::Package;

    #[test]
    fn dump_gives_the_binary_and_options_in_order() {
        let out = "Dir::Bin::dpkg=/usr/bin/dpkg\nDPkg::Options=\nDPkg::Options::=--root=/r\n\
                   dpkg::options::=--admindir=/r/var/lib/dpkg\nDPkg::Options::=--force-script-chrootless\n";
        let c = parse_dump(out);
        assert_eq!(
            c,
            DpkgCommand {
                program: "/usr/bin/dpkg".into(),
                options: vec![
                    "--root=/r".into(),
                    "--admindir=/r/var/lib/dpkg".into(),
                    "--force-script-chrootless".into()
                ],
            }
        );
        assert_eq!(
            c.configure_pending_args()[3..],
            ["--force-confdef", "--force-confold", "--configure", "-a"]
        );
        assert_eq!(
            parse_dump(""),
            DpkgCommand {
                program: "dpkg".into(),
                options: vec![]
            }
        );
    }

    fn pkg(name: &str, status: &str) -> Package {
        Package {
            name: name.into(),
            version: "1.0".into(),
            architecture: "all".into(),
            status: status.into(),
            summary: None,
            section: None,
            installed_size_kib: None,
            source: None,
            upgradable: None,
            candidate_version: None,
        }
    }

    #[test]
    fn unfinished_states_or_a_journal_need_repair() {
        let fine = [
            pkg("a", "installed"),
            pkg("b", "config-files"),
            pkg("c", "half-installed"),
        ];
        assert_eq!(needs_repair(false, &fine), None);
        assert_eq!(
            needs_repair(true, &fine).as_deref(),
            Some("dpkg's journal has unapplied entries")
        );
        let broken = [
            pkg("a", "installed"),
            pkg("h", "half-configured"),
            pkg("t", "triggers-pending"),
        ];
        assert_eq!(
            needs_repair(false, &broken).as_deref(),
            Some("h is half-configured, t is triggers-pending")
        );
        assert!(needs_repair(true, &broken)
            .unwrap()
            .ends_with("; dpkg's journal has unapplied entries"));
    }
}
