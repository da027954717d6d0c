//! A deployment request checked before anything is stored: the operation and its packages, the mode, the
//! reboot option and the stop rule, each with a clear message (the API's 400s). Pure.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Most targets one deployment may name (hosts after groups are resolved).
pub const MAX_TARGETS: usize = 20_000;
/// Most packages one deployment may name.
pub const MAX_PACKAGES: usize = 500;

/// `POST /api/v1/deployments` (and the console's form, parsed into the same shape).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploymentRequest {
    /// Hosts by id.
    #[serde(default)]
    pub host_ids: Vec<i64>,
    /// Groups by id (resolved to their hosts now, and recorded).
    #[serde(default)]
    pub group_ids: Vec<i64>,
    /// `apply_all` | `security_only` | `packages` | `install` | `remove` | `reboot` | `rollback`.
    pub operation: String,
    /// Package names (`packages`, `install`: one or more; `remove`: exactly one). `install` takes
    /// `name=version` too.
    #[serde(default)]
    pub packages: Vec<String>,
    /// For `rollback`: the deployment to undo (its succeeded targets, or those of `host_ids` among them).
    #[serde(default)]
    pub rollback_of: Option<i64>,
    /// `next_window` (default) or `now`.
    #[serde(default)]
    pub mode: Option<String>,
    /// `never` (default) or `if_required`.
    #[serde(default)]
    pub reboot: Option<String>,
    /// Pause the rest when more than this % of targets failed (1-100).
    #[serde(default)]
    pub stop_failed_pct: Option<i32>,
}

/// The request after its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Operation.
    pub operation: &'static str,
    /// Packages.
    pub packages: Vec<String>,
    /// Deployment undone.
    pub rollback_of: Option<i64>,
    /// Whether it waits for each host's window.
    pub next_window: bool,
    /// `never` or `if_required`.
    pub reboot: &'static str,
    /// Stop rule.
    pub stop_failed_pct: Option<i32>,
}

const OPERATIONS: [&str; 7] = [
    "apply_all",
    "security_only",
    "packages",
    "install",
    "remove",
    "reboot",
    "rollback",
];

/// Whether `s` is a package name the agents accept (Debian/RPM/Arch/Alpine grammar, no paths, no options).
pub fn valid_package(s: &str) -> bool {
    let (name, version) = s.split_once('=').unwrap_or((s, ""));
    let name_ok = !name.is_empty()
        && name.len() <= 128
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.' | b'_' | b':'));
    let version_ok = version.len() <= 128
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.' | b'_' | b':' | b'~'));
    name_ok && version_ok && !(s.contains('=') && version.is_empty())
}

/// Checks `r`; the first problem in words.
pub fn check(r: &DeploymentRequest) -> Result<Checked, String> {
    let operation = OPERATIONS
        .iter()
        .copied()
        .find(|o| *o == r.operation)
        .ok_or_else(|| {
            format!(
                "`operation` is one of {}, not `{}`",
                OPERATIONS.join(", "),
                r.operation.escape_default()
            )
        })?;
    if r.host_ids.is_empty() && r.group_ids.is_empty() && operation != "rollback" {
        return Err("name at least one host (`host_ids`) or group (`group_ids`)".into());
    }
    if r.host_ids.len() + r.group_ids.len() > MAX_TARGETS {
        return Err(format!("at most {MAX_TARGETS} hosts and groups per deployment"));
    }
    if r.packages.len() > MAX_PACKAGES {
        return Err(format!("at most {MAX_PACKAGES} packages per deployment"));
    }
    if let Some(bad) = r.packages.iter().find(|p| !valid_package(p)) {
        return Err(format!("`{}` is not a valid package name", bad.escape_default()));
    }
    if r.packages.iter().any(|p| p.contains('=')) && operation != "install" {
        return Err("`name=version` is only for `install`".into());
    }
    match (operation, r.packages.len()) {
        ("packages" | "install", 0) => {
            return Err(format!("`{operation}` needs at least one package in `packages`"))
        }
        ("remove", n) if n != 1 => {
            return Err("`remove` takes exactly one package (one agent job each)".into())
        }
        ("apply_all" | "security_only" | "reboot" | "rollback", n) if n > 0 => {
            return Err(format!("`{operation}` takes no `packages`"))
        }
        _ => {}
    }
    match (operation, r.rollback_of) {
        ("rollback", None) => return Err("`rollback` needs `rollback_of` (the deployment to undo)".into()),
        (o, Some(_)) if o != "rollback" => return Err("`rollback_of` is only for `rollback`".into()),
        _ => {}
    }
    let next_window = match r.mode.as_deref() {
        None | Some("next_window") => true,
        Some("now") => false,
        Some(other) => {
            return Err(format!(
                "`mode` is `next_window` or `now`, not `{}`",
                other.escape_default()
            ))
        }
    };
    let reboot = match r.reboot.as_deref() {
        None | Some("never") => "never",
        Some("if_required") => "if_required",
        Some(other) => {
            return Err(format!(
                "`reboot` is `never` or `if_required`, not `{}`",
                other.escape_default()
            ))
        }
    };
    if let Some(p) = r.stop_failed_pct {
        if !(1..=100).contains(&p) {
            return Err("`stop_failed_pct` is between 1 and 100".into());
        }
    }
    let mut packages = r.packages.clone();
    packages.sort();
    packages.dedup();
    Ok(Checked {
        operation,
        packages,
        rollback_of: r.rollback_of,
        next_window,
        reboot,
        stop_failed_pct: r.stop_failed_pct,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(op: &str) -> DeploymentRequest {
        DeploymentRequest {
            host_ids: vec![1],
            operation: op.into(),
            ..DeploymentRequest::default()
        }
    }

    #[test]
    fn defaults_are_next_window_and_no_reboot() {
        let c = check(&req("security_only")).unwrap();
        assert!(c.next_window);
        assert_eq!((c.operation, c.reboot), ("security_only", "never"));
    }

    #[test]
    fn packages_follow_the_operation() {
        let mut r = req("install");
        assert!(check(&r).unwrap_err().contains("at least one package"));
        r.packages = vec!["nginx".into(), "curl=7.88.1-10".into(), "nginx".into()];
        assert_eq!(check(&r).unwrap().packages, vec!["curl=7.88.1-10", "nginx"]);
        let mut r = req("packages");
        r.packages = vec!["curl=1".into()];
        assert!(check(&r).unwrap_err().contains("only for `install`"));
        let mut r = req("remove");
        r.packages = vec!["a".into(), "b".into()];
        assert!(check(&r).unwrap_err().contains("exactly one"));
        let mut r = req("security_only");
        r.packages = vec!["a".into()];
        assert!(check(&r).unwrap_err().contains("takes no"));
    }

    #[test]
    fn injection_shaped_names_and_bad_values_are_refused() {
        for bad in ["", "-o", "a;rm -rf /", "../etc", "a b", "$(id)", "a=", "é"] {
            assert!(!valid_package(bad), "{bad}");
            let mut r = req("install");
            r.packages = vec![bad.into()];
            assert!(check(&r).is_err(), "{bad}");
        }
        assert!(valid_package("libc6:amd64"));
        assert!(valid_package("g++=4:12.2.0-3"));
        let mut r = req("apply_all");
        r.mode = Some("later".into());
        assert!(check(&r).unwrap_err().contains("`mode`"));
        r.mode = Some("now".into());
        r.reboot = Some("always".into());
        assert!(check(&r).unwrap_err().contains("`reboot`"));
        r.reboot = None;
        r.stop_failed_pct = Some(0);
        assert!(check(&r).unwrap_err().contains("stop_failed_pct"));
        assert!(check(&req("drop_tables")).unwrap_err().contains("`operation`"));
    }

    #[test]
    fn targets_and_rollback_are_required_where_they_matter() {
        let mut r = req("apply_all");
        r.host_ids.clear();
        assert!(check(&r).unwrap_err().contains("at least one host"));
        let r = req("rollback");
        assert!(check(&r).unwrap_err().contains("rollback_of"));
        let mut r = req("apply_all");
        r.rollback_of = Some(3);
        assert!(check(&r).unwrap_err().contains("only for `rollback`"));
        let mut r = req("rollback");
        r.host_ids.clear();
        r.rollback_of = Some(3);
        assert_eq!(check(&r).unwrap().rollback_of, Some(3));
    }
}
