//! Parsing of repoquery and updateinfo lines as dnf 4 prints them, and the join into patches.

use super::{
    join, parse_advisory, parse_candidate, parse_nevra, repo_has_updateinfo, AdvisoryLine, Candidate,
};
use linux_patch_shared::api::agent::Package;

fn pkg(name: &str, version: &str, arch: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        architecture: arch.into(),
        status: "installed".into(),
        summary: None,
        section: None,
        installed_size_kib: None,
        source: None,
        upgradable: None,
        candidate_version: None,
    }
}

fn cand(name: &str, evr: &str, repo: &str) -> Candidate {
    Candidate {
        name: name.into(),
        arch: "noarch".into(),
        evr: evr.into(),
        repo: repo.into(),
    }
}

#[test]
fn lines_as_dnf_prints_them() {
    assert_eq!(
        parse_candidate("pmtest-epoch\t1\t1.1\t1\tnoarch\tpmtest"),
        Some(Candidate {
            name: "pmtest-epoch".into(),
            arch: "noarch".into(),
            evr: "1:1.1-1".into(),
            repo: "pmtest".into()
        })
    );
    assert_eq!(parse_candidate("short\tline"), None);
    assert_eq!(
        parse_advisory("PMTEST-2024-0001 Important/Sec. pmtest-hello-1.1-1.noarch"),
        Some(AdvisoryLine {
            id: "PMTEST-2024-0001".into(),
            security: true,
            severity: Some("Important".into()),
            name: "pmtest-hello".into(),
            evr: "1.1-1".into(),
            arch: "noarch".into()
        })
    );
    let verbose =
        parse_advisory("CVE-2024-1 Unknown/Sec. glibc-2:2.34-60.el9.x86_64 2024-01-16 00:00:00").unwrap();
    assert_eq!((verbose.security, verbose.severity), (true, None));
    assert_eq!(
        (verbose.name.as_str(), verbose.evr.as_str()),
        ("glibc", "2:2.34-60.el9")
    );
    let fix = parse_advisory("PMTEST-2024-0002 bugfix      pmtest-lib-1.0.1-1.noarch").unwrap();
    assert_eq!((fix.security, fix.severity), (false, None));
    for noise in [
        "",
        "Updates Information Summary: available",
        "pmtest: using metadata from Mon",
        "a b c",
    ] {
        assert_eq!(parse_advisory(noise), None, "{noise:?}");
    }
    assert_eq!(
        parse_nevra("python3.11-libs-3.11.2-1.el9.x86_64"),
        Some(("python3.11-libs", "3.11.2-1.el9", "x86_64"))
    );
    assert_eq!(parse_nevra("nodots"), None);
}

#[test]
fn advisories_between_installed_and_candidate_decide() {
    let installed = [
        pkg("pmtest-hello", "1.0-1", "noarch"),
        pkg("pmtest-lib", "1.0-1", "noarch"),
        pkg("pmtest-epoch", "1:1.0-1", "noarch"),
        pkg("pmtest-tool", "1.0-1", "noarch"),
    ];
    let cands = [
        cand("pmtest-hello", "1.2-1", "pmtest"),
        cand("pmtest-lib", "1.0.1-1", "pmtest"),
        cand("pmtest-epoch", "1:1.1-1", "pmtest"),
        cand("pmtest-tool", "2.0-1", "extras"),
    ];
    let adv = |line: &str| parse_advisory(line).unwrap();
    let advisories = [
        adv("A-1 Important/Sec. pmtest-hello-1.1-1.noarch"),
        adv("A-4 Low/Sec. pmtest-hello-1.2-1.noarch"),
        adv("A-5 Critical/Sec. pmtest-hello-1.3-1.noarch"),
        adv("A-6 Critical/Sec. pmtest-hello-0.9-1.noarch"),
        adv("A-2 bugfix pmtest-lib-1.0.1-1.noarch"),
        adv("A-3 Critical/Sec. pmtest-epoch-1:1.1-1.noarch"),
    ];
    let cves = [
        adv("CVE-2024-2 Important/Sec. pmtest-hello-1.1-1.noarch"),
        adv("CVE-2024-1 Important/Sec. pmtest-hello-1.1-1.noarch"),
        adv("CVE-2024-9 Critical/Sec. pmtest-hello-1.3-1.noarch"),
        adv("CVE-2024-3 Critical/Sec. pmtest-epoch-1:1.1-1.noarch"),
    ];
    let p = join(&cands, &installed, &advisories, &cves, &|repo| repo == "pmtest");
    let row = |i: usize| {
        (
            p[i].name.as_str(),
            p[i].installed_version.as_deref(),
            p[i].candidate_version.as_str(),
            p[i].security,
            p[i].severity.as_deref(),
            p[i].cves.join(","),
            p[i].security_source.as_str(),
        )
    };
    assert_eq!(
        row(0),
        (
            "pmtest-epoch",
            Some("1:1.0-1"),
            "1:1.1-1",
            true,
            Some("critical"),
            "CVE-2024-3".into(),
            "updateinfo"
        )
    );
    assert_eq!(
        row(1),
        (
            "pmtest-hello",
            Some("1.0-1"),
            "1.2-1",
            true,
            Some("important"),
            "CVE-2024-1,CVE-2024-2".into(),
            "updateinfo"
        ),
        "highest severity of the advisories in (1.0-1, 1.2-1]; 0.9 and 1.3 do not count"
    );
    assert_eq!(
        row(2),
        (
            "pmtest-lib",
            Some("1.0-1"),
            "1.0.1-1",
            false,
            None,
            "".into(),
            "updateinfo"
        )
    );
    assert_eq!(
        row(3),
        (
            "pmtest-tool",
            Some("1.0-1"),
            "2.0-1",
            false,
            None,
            "".into(),
            "unknown"
        )
    );
    assert_eq!(p[3].repository, "extras");
    assert_eq!(p[3].origins[0].origin, "extras");
}

#[test]
fn updateinfo_presence_from_the_cache() {
    let d = tempfile::tempdir().unwrap();
    let md = d.path().join("pmtest-0123456789abcdef/repodata");
    std::fs::create_dir_all(&md).unwrap();
    std::fs::write(
        md.join("repomd.xml"),
        "<repomd><data type=\"updateinfo\"></data></repomd>",
    )
    .unwrap();
    let md = d.path().join("pmtest-extras-fedcba9876543210/repodata");
    std::fs::create_dir_all(&md).unwrap();
    std::fs::write(
        md.join("repomd.xml"),
        "<repomd><data type=\"primary\"></data></repomd>",
    )
    .unwrap();
    assert!(repo_has_updateinfo(d.path(), "pmtest"));
    assert!(!repo_has_updateinfo(d.path(), "pmtest-extras"));
    assert!(!repo_has_updateinfo(d.path(), "other"));
    std::fs::write(d.path().join("other-updateinfo.solvx"), "").unwrap();
    assert!(repo_has_updateinfo(d.path(), "other"));
}
