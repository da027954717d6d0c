//! Alpine's security database (secdb JSON, `{"packages":[{"pkg":{"name":..,"secfixes":{VERSION:[IDS]}}}]}`)
//! and the classification of pending upgrades with it.

use super::version::{compare_versions, validate_version};
use crate::backend::BackendError;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::Path;

/// Fixed versions per package (origin) name, each with the advisory ids it fixes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecDb {
    fixes: HashMap<String, Vec<(String, Vec<String>)>>,
}

/// What the secdb says about one upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The upgrade fixes at least one advisory.
    pub security: bool,
    /// The CVE ids it fixes, sorted, without repeats.
    pub cves: Vec<String>,
}

impl SecDb {
    /// Reads and merges the secdb files (Alpine publishes one per repository: `main.json`,
    /// `community.json`).
    pub fn load(files: &[impl AsRef<Path>]) -> Result<SecDb, BackendError> {
        let mut db = SecDb::default();
        for f in files {
            let f = f.as_ref();
            let text = std::fs::read_to_string(f)
                .map_err(|e| BackendError::Io(format!("secdb {}: {e}", f.display())))?;
            db.merge(&text)
                .map_err(|e| BackendError::Io(format!("secdb {}: {e}", f.display())))?;
        }
        Ok(db)
    }

    /// Adds one secdb document. Entries under the pseudo-version `0` (advisories that never
    /// affected Alpine's build) and entries with an invalid version are ignored.
    pub fn merge(&mut self, json: &str) -> Result<(), String> {
        let doc: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
        let packages = doc
            .get("packages")
            .and_then(|p| p.as_array())
            .ok_or("no \"packages\" array")?;
        for entry in packages {
            let Some(pkg) = entry.get("pkg") else { continue };
            let Some(name) = pkg.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            let Some(secfixes) = pkg.get("secfixes").and_then(|s| s.as_object()) else {
                continue;
            };
            let list = self.fixes.entry(name.to_string()).or_default();
            for (version, ids) in secfixes {
                if version == "0" || validate_version(version).is_err() {
                    continue;
                }
                let ids: Vec<String> = ids
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|i| i.as_str())
                            .flat_map(str::split_whitespace)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                if !ids.is_empty() {
                    list.push((version.clone(), ids));
                }
            }
        }
        Ok(())
    }

    /// An upgrade of `name` (built from `origin`) from `installed` to `candidate` is a security
    /// update when the secdb lists a fixed version `V` with `installed < V <= candidate` for the
    /// name or its origin; the CVEs are those of every such `V`. A new package (nothing installed)
    /// fixes nothing.
    pub fn classify(
        &self,
        name: &str,
        origin: Option<&str>,
        installed: Option<&str>,
        candidate: &str,
    ) -> Verdict {
        let mut ids: Vec<String> = Vec::new();
        if let Some(installed) = installed {
            for key in std::iter::once(name).chain(origin.filter(|o| *o != name)) {
                for (fixed, list) in self.fixes.get(key).into_iter().flatten() {
                    if compare_versions(installed, fixed) == Ordering::Less
                        && compare_versions(fixed, candidate) != Ordering::Greater
                    {
                        ids.extend(list.iter().cloned());
                    }
                }
            }
        }
        let security = !ids.is_empty();
        let mut cves: Vec<String> = ids.into_iter().filter(|i| i.starts_with("CVE-")).collect();
        cves.sort();
        cves.dedup();
        Verdict { security, cves }
    }
}

#[cfg(test)]
mod tests {
    use super::{SecDb, Verdict};

    /// In the real secdb format (fields as in Alpine's main.json).
    const SECDB: &str = r#"{
      "apkurl": "{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk",
      "archs": ["x86_64"], "reponame": "main", "urlprefix": "https://example.invalid/alpine",
      "distroversion": "v3.19",
      "packages": [
        {"pkg": {"name": "openssl", "secfixes": {
            "3.1.4-r1": ["CVE-2023-5363"],
            "3.1.4-r3": ["CVE-2023-5678", "CVE-2023-6129"],
            "3.1.5-r0": ["CVE-2024-0727"],
            "0": ["CVE-2022-1343"]}}},
        {"pkg": {"name": "xen", "secfixes": {"4.18.0-r2": ["CVE-2023-46837 XSA-447"], "4.18.0-r3": ["XSA-449"]}}},
        {"pkg": {"name": "nofixes"}},
        {"pkg": {"name": "bad", "secfixes": {"not a version": ["CVE-2000-0001"]}}}
      ]}"#;

    fn db() -> SecDb {
        let mut d = SecDb::default();
        d.merge(SECDB).unwrap();
        d
    }

    fn v(security: bool, cves: &[&str]) -> Verdict {
        Verdict {
            security,
            cves: cves.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn fixed_versions_between_installed_and_candidate() {
        let d = db();
        assert_eq!(
            d.classify("openssl", None, Some("3.1.4-r0"), "3.1.4-r1"),
            v(true, &["CVE-2023-5363"]),
            "the candidate itself is listed"
        );
        assert_eq!(
            d.classify("libcrypto3", Some("openssl"), Some("3.1.4-r1"), "3.1.5-r2"),
            v(true, &["CVE-2023-5678", "CVE-2023-6129", "CVE-2024-0727"]),
            "a subpackage is found through its origin; every fix in range counts"
        );
        assert_eq!(
            d.classify("openssl", None, Some("3.1.5-r0"), "3.1.5-r1"),
            v(false, &[]),
            "nothing fixed after the installed version"
        );
        assert_eq!(
            d.classify("openssl", None, None, "3.1.5-r0"),
            v(false, &[]),
            "new package"
        );
        assert_eq!(
            d.classify("xen", None, Some("4.18.0-r1"), "4.18.0-r3"),
            v(true, &["CVE-2023-46837"]),
            "non-CVE ids make it security but are not CVEs"
        );
        assert_eq!(
            d.classify("xen", None, Some("4.18.0-r2"), "4.18.0-r3"),
            v(true, &[])
        );
        assert_eq!(d.classify("nofixes", None, Some("1-r0"), "2-r0"), v(false, &[]));
        assert_eq!(d.classify("bad", None, Some("0.1-r0"), "9-r0"), v(false, &[]));
    }

    #[test]
    fn load_merges_files_and_reports_errors() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main.json");
        let community = dir.path().join("community.json");
        std::fs::write(&main, SECDB).unwrap();
        std::fs::write(
            &community,
            r#"{"packages":[{"pkg":{"name":"pmtest-hello","secfixes":{"1.1-r0":["CVE-2024-12345"]}}}]}"#,
        )
        .unwrap();
        let d = SecDb::load(&[&main, &community]).unwrap();
        assert!(
            d.classify("pmtest-hello", None, Some("1.0-r0"), "1.1-r0")
                .security
        );
        assert!(d.classify("openssl", None, Some("3.1.4-r0"), "3.1.4-r1").security);
        let e = SecDb::load(&[dir.path().join("missing.json")]).unwrap_err();
        assert!(e.to_string().contains("missing.json"), "{e}");
        std::fs::write(&main, "{\"packages\": 1}").unwrap();
        let e = SecDb::load(&[&main]).unwrap_err();
        assert!(e.to_string().contains("packages"), "{e}");
    }
}
