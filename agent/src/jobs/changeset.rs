//! Change sets: the installed set before vs after a job, and the plan that restores the before-state.

use crate::backend::PackageSpec;
use linux_patch_shared::api::agent::Package;
use linux_patch_shared::api::jobs::{ChangeSet, VersionChange};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Installed versions keyed by (name, architecture); only packages in state `installed` count.
pub type Snapshot = BTreeMap<(String, String), String>;

/// Names of packages that left configuration files behind (dpkg state `config-files`).
pub fn residual(packages: &[Package]) -> Vec<String> {
    packages
        .iter()
        .filter(|p| p.status == "config-files")
        .map(|p| p.name.clone())
        .collect()
}

/// The snapshot of a package listing.
pub fn snapshot(packages: &[Package]) -> Snapshot {
    packages
        .iter()
        .filter(|p| p.status == "installed")
        .map(|p| ((p.name.clone(), p.architecture.clone()), p.version.clone()))
        .collect()
}

/// What changed from `before` to `after`, ordering versions with `cmp` (the backend's own order).
pub fn diff(before: &Snapshot, after: &Snapshot, cmp: &dyn Fn(&str, &str) -> Ordering) -> ChangeSet {
    let mut cs = ChangeSet::default();
    for ((name, arch), from) in before {
        let change = |to: Option<&String>| VersionChange {
            name: name.clone(),
            architecture: arch.clone(),
            from: Some(from.clone()),
            to: to.cloned(),
        };
        match after.get(&(name.clone(), arch.clone())) {
            None => cs.removed.push(change(None)),
            Some(to) => match cmp(to, from) {
                Ordering::Greater => cs.upgraded.push(change(Some(to))),
                Ordering::Less => cs.downgraded.push(change(Some(to))),
                Ordering::Equal => {}
            },
        }
    }
    for ((name, arch), to) in after {
        if !before.contains_key(&(name.clone(), arch.clone())) {
            cs.installed.push(VersionChange {
                name: name.clone(),
                architecture: arch.clone(),
                from: None,
                to: Some(to.clone()),
            });
        }
    }
    cs
}

/// How to undo a change set: packages to put back at their recorded versions, packages to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestorePlan {
    /// Downgrade/upgrade back, or reinstall, at exactly these versions.
    pub install: Vec<PackageSpec>,
    /// Remove what the job added.
    pub remove: Vec<String>,
    /// Remove their configuration files too: none of them had any before the job.
    pub purge: bool,
}

impl RestorePlan {
    /// The plan undoing `cs`; `residual_before` are the packages that had configuration files left before
    /// the job (those are removed, not purged, so their old configuration stays). Architecture-qualified
    /// names keep multi-arch packages apart.
    pub fn undoing(cs: &ChangeSet, residual_before: &[String]) -> Self {
        let qualified = |c: &VersionChange| {
            if c.architecture == "all" || c.architecture.is_empty() {
                c.name.clone()
            } else {
                format!("{}:{}", c.name, c.architecture)
            }
        };
        let install = cs
            .upgraded
            .iter()
            .chain(&cs.downgraded)
            .chain(&cs.removed)
            .filter_map(|c| {
                c.from.as_ref().map(|v| PackageSpec {
                    name: qualified(c),
                    version: Some(v.clone()),
                })
            })
            .collect();
        let remove: Vec<String> = cs.installed.iter().map(qualified).collect();
        let purge = !remove.is_empty() && !cs.installed.iter().any(|c| residual_before.contains(&c.name));
        Self {
            install,
            remove,
            purge,
        }
    }

    /// True when there is nothing to undo.
    pub fn is_empty(&self) -> bool {
        self.install.is_empty() && self.remove.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::apt::compare_versions;

    fn diff(before: &Snapshot, after: &Snapshot) -> ChangeSet {
        super::diff(before, after, &compare_versions)
    }

    fn snap(items: &[(&str, &str)]) -> Snapshot {
        items
            .iter()
            .map(|(n, v)| ((n.to_string(), "all".to_string()), v.to_string()))
            .collect()
    }

    #[test]
    fn diff_classifies_every_kind_of_change() {
        let before = snap(&[("a", "1.0"), ("b", "2.0"), ("c", "1:1.0"), ("d", "1.0")]);
        let after = snap(&[("a", "1.1"), ("b", "1.9"), ("c", "1:1.0"), ("e", "0.1")]);
        let cs = diff(&before, &after);
        assert_eq!(
            cs.upgraded.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["a"]
        );
        assert_eq!(cs.downgraded[0].to.as_deref(), Some("1.9"));
        assert_eq!(cs.removed[0].name, "d");
        assert_eq!(cs.removed[0].to, None);
        assert_eq!(cs.installed[0].name, "e");
        assert_eq!(cs.installed[0].from, None);
        assert!(diff(&before, &before).is_empty());
    }

    #[test]
    fn version_order_is_dpkg_order_not_text_order() {
        let cs = diff(&snap(&[("a", "1.9")]), &snap(&[("a", "1.10")]));
        assert_eq!(cs.upgraded.len(), 1, "1.10 > 1.9");
        let cs = diff(&snap(&[("a", "1.0")]), &snap(&[("a", "1.0~rc1")]));
        assert_eq!(cs.downgraded.len(), 1, "~ sorts before release");
    }

    #[test]
    fn restore_plan_reverses_the_change_set() {
        let before = snap(&[("a", "1.0"), ("d", "3.0")]);
        let after = snap(&[("a", "1.1"), ("e", "0.1")]);
        let plan = RestorePlan::undoing(&diff(&before, &after), &[]);
        let mut install: Vec<_> = plan
            .install
            .iter()
            .map(|s| (s.name.as_str(), s.version.as_deref()))
            .collect();
        install.sort();
        assert_eq!(install, [("a", Some("1.0")), ("d", Some("3.0"))]);
        assert_eq!(plan.remove, ["e"]);
        assert!(plan.purge, "e had no configuration files before: purge it");
        let kept = RestorePlan::undoing(&diff(&before, &after), &["e".to_string()]);
        assert!(!kept.purge, "e had configuration files before the job: keep them");
        assert!(RestorePlan::undoing(&ChangeSet::default(), &[]).is_empty());
    }

    #[test]
    fn only_fully_installed_packages_enter_a_snapshot() {
        let p = |status: &str| Package {
            name: "x".into(),
            version: "1".into(),
            architecture: "amd64".into(),
            status: status.into(),
            summary: None,
            section: None,
            installed_size_kib: None,
            source: None,
            upgradable: None,
            candidate_version: None,
        };
        assert_eq!(snapshot(&[p("installed")]).len(), 1);
        assert!(snapshot(&[p("config-files")]).is_empty());
    }
}
