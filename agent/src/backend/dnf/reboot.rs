//! Whether an RPM host needs a reboot, from `dnf needs-restarting -r` (dnf-plugins-core): exit 1 with
//! "Reboot is required" = yes (the updated core packages named), exit 0 = no, anything else = unknown.

use super::runner::Captured;
use linux_patch_shared::api::agent::{RebootRequired, TriState};

/// The answer for one run of `needs-restarting -r` (or why it could not run).
pub fn decide(program: &str, run: Result<&Captured, String>) -> RebootRequired {
    let out = match run {
        Ok(out) => out,
        Err(e) => return unknown(format!("cannot run {program} needs-restarting -r: {e}")),
    };
    let all = || out.stdout.iter().chain(&out.stderr);
    let said = |needle: &str| all().any(|l| l.contains(needle));
    if said("No such command: needs-restarting") {
        return unknown(format!(
            "{program} needs-restarting is not available (install dnf-plugins-core or dnf-utils)"
        ));
    }
    match out.code() {
        Some(1) if said("Reboot is required") => {
            let packages: Vec<String> = out
                .stdout
                .iter()
                .filter_map(|l| l.trim_start().strip_prefix("* "))
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
            let reason = if packages.is_empty() {
                format!("{program} needs-restarting -r: core libraries or services were updated since boot")
            } else {
                format!(
                    "{program} needs-restarting -r: core libraries or services were updated since boot: {}",
                    packages.join(", ")
                )
            };
            RebootRequired {
                state: TriState::Yes,
                reason,
                packages,
            }
        }
        Some(0) => RebootRequired {
            state: TriState::No,
            reason: format!(
                "{program} needs-restarting -r: no core libraries or services were updated since boot"
            ),
            packages: Vec::new(),
        },
        Some(c) => unknown(format!(
            "{program} needs-restarting -r exited with {c}: {}",
            out.tail()
        )),
        None => unknown(format!(
            "{program} needs-restarting -r did not finish: {}",
            out.tail()
        )),
    }
}

fn unknown(reason: String) -> RebootRequired {
    RebootRequired {
        state: TriState::Unknown,
        reason,
        packages: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::decide;
    use crate::backend::dnf::runner::capture;
    use linux_patch_shared::api::agent::TriState;
    use std::collections::BTreeMap;
    use std::time::Duration;

    /// What a program printing `out` (stdout) and `err` (stderr) and exiting with `code` gives.
    fn fake(out: &str, err: &str, code: i32) -> super::Captured {
        let script = format!("printf '%s' \"$1\"; printf '%s' \"$2\" >&2; exit {code}");
        capture(
            "sh",
            &["-c".into(), script, "sh".into(), out.into(), err.into()],
            &BTreeMap::new(),
            Duration::from_secs(20),
        )
        .unwrap()
    }

    #[test]
    fn yes_no_and_unknown() {
        let yes = fake(
            "Core libraries or services have been updated since boot-up:\n  * dbus\n  * kernel\n\n\
             Reboot is required to fully utilize these updates.\nMore information: https://access.redhat.com/solutions/27943\n",
            "",
            1,
        );
        let r = decide("dnf", Ok(&yes));
        assert_eq!(r.state, TriState::Yes);
        assert_eq!(r.packages, vec!["dbus", "kernel"]);
        assert!(r.reason.contains("dbus, kernel"), "{}", r.reason);

        let no = fake(
            "No core libraries or services have been updated since boot-up.\nReboot should not be necessary.\n",
            "",
            0,
        );
        let r = decide("yum", Ok(&no));
        assert_eq!((r.state, r.packages.len()), (TriState::No, 0));
        assert!(r.reason.starts_with("yum needs-restarting -r"), "{}", r.reason);

        let missing = fake(
            "",
            "No such command: needs-restarting. Please use /usr/bin/dnf --help\n",
            1,
        );
        let r = decide("dnf", Ok(&missing));
        assert_eq!(r.state, TriState::Unknown);
        assert!(r.reason.contains("dnf-plugins-core"), "{}", r.reason);

        let broken = fake("", "Error: rpmdb open failed\n", 1);
        let r = decide("dnf", Ok(&broken));
        assert_eq!(r.state, TriState::Unknown);
        assert!(r.reason.contains("rpmdb open failed"), "{}", r.reason);

        let r = decide("dnf", Err("cannot start".into()));
        assert_eq!(r.state, TriState::Unknown);
    }
}
