//! Unit tests of the dpkg database reader on status files shaped like real Debian ones.

use super::{parse_stanzas, DpkgDb};
use std::path::Path;

/// Excerpt in the exact shape dpkg writes (field order, continuation lines, conffiles, multi-arch pairs).
const STATUS: &str = "\
Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 341
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 12.4+deb12u11
Replaces: base, dpkg (<= 1.15.0), miscutils
Conffiles:
 /etc/debian_version 8031d1483ffa9c819e6be94c6c77fd2a
 /etc/host.conf 4eb63731c9f5e30903ac4fc07a7fe3d6
Description: Debian base system miscellaneous files
 This package contains the basic filesystem hierarchy of a Debian system, and
 Package: not-a-field
 .
 several important miscellaneous files.

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12986
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u10
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12577
Architecture: i386
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u10
Description: GNU C Library: Shared libraries
 Contains the standard libraries.

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.15-1~deb12u1)
Version: 3.0.16-1~deb12u1
Description: Secure Sockets Layer toolkit - shared libraries

Package: oldthing
Status: deinstall ok config-files
Priority: optional
Section: utils
Architecture: amd64
Version: 1.2-3
Config-Version: 1.2-3
Conffiles:
 /etc/oldthing.conf 0123456789abcdef0123456789abcdef
Description: something removed but not purged

Package: purged
Status: purge ok not-installed
Architecture: amd64
Priority: optional
Section: utils

Package: halfway
Status: install reinstreq half-installed
Architecture: all
Version: 0.1
";

fn write_db(status: &str, journal: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("status"), status).unwrap();
    std::fs::create_dir(d.path().join("updates")).unwrap();
    for (name, text) in journal {
        std::fs::write(d.path().join("updates").join(name), text).unwrap();
    }
    d
}

fn db(dir: &Path) -> DpkgDb {
    DpkgDb::new(dir.to_path_buf())
}

#[test]
fn parses_fields_continuations_and_multiarch_pairs() {
    let d = write_db(STATUS, &[]);
    let pkgs = db(d.path()).read().unwrap();
    let names: Vec<(&str, &str, &str)> = pkgs
        .iter()
        .map(|p| (p.name.as_str(), p.architecture.as_str(), p.status.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("base-files", "amd64", "installed"),
            ("halfway", "all", "half-installed"),
            ("libc6", "amd64", "installed"),
            ("libc6", "i386", "installed"),
            ("libssl3", "amd64", "installed"),
            ("oldthing", "amd64", "config-files"),
        ]
    );
    let base = &pkgs[0];
    assert_eq!(base.version, "12.4+deb12u11");
    assert_eq!(
        base.summary.as_deref(),
        Some("Debian base system miscellaneous files")
    );
    assert_eq!(base.section.as_deref(), Some("admin"));
    assert_eq!(base.installed_size_kib, Some(341));
    assert_eq!(base.source, None);
    assert_eq!(base.upgradable, None);
    assert_eq!(base.candidate_version, None);
    let libc_i386 = &pkgs[3];
    assert_eq!(libc_i386.installed_size_kib, Some(12577));
    assert_eq!(libc_i386.source.as_deref(), Some("glibc"));
    assert_eq!(pkgs[4].source.as_deref(), Some("openssl"), "(version) stripped");
    assert_eq!(pkgs[4].version, "3.0.16-1~deb12u1");
    assert_eq!(pkgs[5].version, "1.2-3");
    assert_eq!(pkgs[1].summary, None);
}

#[test]
fn journal_overrides_in_numeric_order_and_can_purge() {
    let journal = [
        // Upgrade of libc6:amd64 only; the i386 half stays as it is.
        (
            "0000",
            "Package: libc6\nStatus: install ok unpacked\nArchitecture: amd64\nVersion: 2.36-9+deb12u11\n\
             Description: GNU C Library: Shared libraries\n more\n",
        ),
        (
            "0001",
            "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9+deb12u11\n",
        ),
        (
            "0002",
            "Package: oldthing\nStatus: purge ok not-installed\nArchitecture: amd64\n",
        ),
        (
            "0003",
            "Package: newpkg\nStatus: install ok installed\nArchitecture: all\nVersion: 5\n",
        ),
        // Not a journal file: dpkg only replays all-digit names.
        (
            "tmp.i",
            "Package: bogus\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n",
        ),
    ];
    let d = write_db(STATUS, &journal);
    let pkgs = db(d.path()).read().unwrap();
    let find = |n: &str, a: &str| pkgs.iter().find(|p| p.name == n && p.architecture == a).cloned();
    let libc = find("libc6", "amd64").unwrap();
    assert_eq!(
        (libc.version.as_str(), libc.status.as_str()),
        ("2.36-9+deb12u11", "installed")
    );
    assert_eq!(libc.summary, None, "the whole stanza is replaced, as dpkg does");
    assert_eq!(find("libc6", "i386").unwrap().version, "2.36-9+deb12u10");
    assert!(find("oldthing", "amd64").is_none(), "purged by the journal");
    assert_eq!(find("newpkg", "all").unwrap().version, "5");
    assert!(find("bogus", "all").is_none());
}

#[test]
fn key_moves_when_status_or_journal_changes() {
    let d = write_db(STATUS, &[]);
    let db = db(d.path());
    let k0 = db.key();
    assert_eq!(db.key(), k0);
    std::fs::write(d.path().join("updates/0000"), "Package: x\n").unwrap();
    let k1 = db.key();
    assert_ne!(k1, k0, "journal file added");
    let tmp = d.path().join("status-new");
    std::fs::write(&tmp, STATUS).unwrap();
    std::fs::rename(&tmp, d.path().join("status")).unwrap();
    assert_ne!(db.key(), k1, "status replaced by rename (same size, new inode)");
}

#[test]
fn missing_status_is_an_io_error_and_missing_journal_dir_is_empty() {
    let d = tempfile::tempdir().unwrap();
    let err = db(d.path()).read().unwrap_err();
    assert!(err.to_string().contains("status"), "{err}");
    std::fs::write(
        d.path().join("status"),
        "Package: a1\nStatus: install ok installed\n",
    )
    .unwrap();
    let pkgs = db(d.path()).read().unwrap();
    assert_eq!(pkgs.len(), 1);
    assert_eq!(pkgs[0].architecture, "");
}

#[test]
fn stanza_parser_handles_blank_runs_and_tab_continuations() {
    let st = parse_stanzas("\n\nPackage: a\n\n\n\nPackage: b\nStatus: install ok installed\n\t tabbed: x\n");
    assert_eq!(st.len(), 2);
    assert_eq!(st[1].package, "b");
    assert_eq!(st[1].status, "install ok installed");
}
