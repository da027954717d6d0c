//! The installed packages, read with `rpm -qa --qf` (one tab-separated record per package).

use super::command::Tools;
use super::evr::format_evr;
use crate::backend::BackendError;
use linux_patch_shared::api::agent::Package;
use std::time::Duration;

/// Fields asked from rpm, in order; the summary last because only it may contain spaces.
pub const QUERY_FORMAT: &str =
    "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SIZE}\\t%{GROUP}\\t%{SOURCERPM}\\t%{SUMMARY}\\n";

/// Every package in the rpm database, sorted by name, architecture and version.
pub fn read(tools: &Tools, timeout: Duration) -> Result<Vec<Package>, BackendError> {
    let out = tools
        .rpm(&["-qa", "--qf", QUERY_FORMAT], timeout)
        .map_err(|e| match e {
            BackendError::Command(m) | BackendError::Io(m) => {
                BackendError::Io(format!("cannot read the rpm database: {m}"))
            }
        })?;
    let mut pkgs = out
        .stdout
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| parse_line(l))
        .collect::<Result<Vec<_>, _>>()?;
    pkgs.sort_by(|a, b| (&a.name, &a.architecture, &a.version).cmp(&(&b.name, &b.architecture, &b.version)));
    Ok(pkgs)
}

/// One record of [`QUERY_FORMAT`].
pub fn parse_line(line: &str) -> Result<Package, BackendError> {
    let f: Vec<&str> = line.splitn(9, '\t').collect();
    let [name, epoch, version, release, arch, size, group, srpm, summary] = f[..] else {
        return Err(BackendError::Io(format!("unexpected rpm -qa line: {line:?}")));
    };
    let none = |s: &str| s.is_empty() || s == "(none)";
    let source = source_name(srpm).filter(|s| *s != name).map(str::to_string);
    Ok(Package {
        name: name.to_string(),
        version: format_evr(epoch, version, release),
        architecture: arch.to_string(),
        status: "installed".into(),
        summary: (!none(summary)).then(|| summary.to_string()),
        section: (!none(group) && group != "Unspecified").then(|| group.to_string()),
        installed_size_kib: size.parse::<u64>().ok().map(|b| b.div_ceil(1024)),
        source,
        upgradable: None,
        candidate_version: None,
    })
}

/// The source package's name from its file name (`glibc-2.34-60.el9.src.rpm` → `glibc`).
fn source_name(srpm: &str) -> Option<&str> {
    let base = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))?;
    let (nv, _release) = base.rsplit_once('-')?;
    let (n, _version) = nv.rsplit_once('-')?;
    (!n.is_empty()).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::{parse_line, source_name};

    #[test]
    fn records_become_packages() {
        let p = parse_line(
            "pmtest-lib\t0\t1.0.1\t1\tnoarch\t15\tUnspecified\tpmtest-libs-1.0.1-1.src.rpm\tpm test lib",
        )
        .unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str(), p.architecture.as_str()),
            ("pmtest-lib", "1.0.1-1", "noarch")
        );
        assert_eq!(p.status, "installed");
        assert_eq!(p.summary.as_deref(), Some("pm test lib"));
        assert_eq!(p.section, None);
        assert_eq!(p.installed_size_kib, Some(1));
        assert_eq!(p.source.as_deref(), Some("pmtest-libs"));
        assert_eq!((p.upgradable, p.candidate_version), (None, None));

        let p = parse_line("bash\t2\t5.1.8\t6.el9\tx86_64\t7738534\tSystem Environment/Shells\tbash-5.1.8-6.el9.src.rpm\tThe GNU Bourne Again shell\twith a tab")
            .unwrap();
        assert_eq!(p.version, "2:5.1.8-6.el9");
        assert_eq!(p.installed_size_kib, Some(7558));
        assert_eq!(p.section.as_deref(), Some("System Environment/Shells"));
        assert_eq!(p.source, None, "same as the name");
        assert_eq!(
            p.summary.as_deref(),
            Some("The GNU Bourne Again shell\twith a tab")
        );

        let key =
            parse_line("gpg-pubkey\t0\tfd431d51\t4ae0493b\t(none)\t0\t(none)\t(none)\tgpg(Red Hat)").unwrap();
        assert_eq!((key.version.as_str(), key.source), ("fd431d51-4ae0493b", None));
        assert!(parse_line("garbage").is_err());
    }

    #[test]
    fn source_names() {
        assert_eq!(source_name("glibc-2.34-60.el9.src.rpm"), Some("glibc"));
        assert_eq!(source_name("x-1-1.nosrc.rpm"), Some("x"));
        assert_eq!(source_name("(none)"), None);
    }
}
