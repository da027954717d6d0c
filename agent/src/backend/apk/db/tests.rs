//! The database reader and the `apk list`/`apk version` parsers, on apk's recorded output
//! (tests/fixtures/apk/SAMPLES.md, blocks 4-6) and a database in apk's format.

use super::{parse_installed, parse_list_installed, parse_list_line, parse_version_less, ListLine};

/// `apk list --installed` (SAMPLES.md block 4, apk-tools 2.14.10 and 3.0.6 identical).
const LIST_INSTALLED: &str = "\
pmtest-app-1.0-r0 x86_64 {pmtest-app} (MIT) [installed]
pmtest-hello-1.0-r0 x86_64 {pmtest-hello} (MIT) [installed]
pmtest-lib-1.0-r0 x86_64 {pmtest-lib} (MIT) [installed]
";

/// `apk list --upgradable` (block 5).
const LIST_UPGRADABLE: &str =
    "pmtest-hello-1.1-r0 x86_64 {pmtest-hello} (MIT) [upgradable from: pmtest-hello-1.0-r0]\n";

/// `apk version -l '<'` (block 6; the trailing space is apk's).
const VERSION_LESS: &str = "\
Installed:                                Available:
pmtest-hello-1.0-r0                     < 1.1-r0 
";

/// A database as apk-tools writes it (checksums, files and scripts included).
const DB: &str = "\
C:Q1oJ2Xk0cGx7M0m5oG0H5pL8w9s7I=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1705938862
c:4c7f9b9a3b4e7c0c3ddc4d5e7c0a5b1e3f8b6c1d
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1ZCbdHz2qoJAr1xdtGxcbKgNstSU=

C:Q1abc=
P:libcrypto3
V:3.1.4-r5
A:x86_64
I:4513792
T:Crypto library from openssl
o:openssl
D:so:libc.musl-x86_64.so.1

P:broken-no-version
A:x86_64

P:linux-lts
V:6.6.31-r0
A:x86_64
T:Linux lts kernel
";

#[test]
fn reads_the_installed_database() {
    let pkgs = parse_installed(DB);
    let names: Vec<(&str, &str, &str)> = pkgs
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.architecture.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("libcrypto3", "3.1.4-r5", "x86_64"),
            ("linux-lts", "6.6.31-r0", "x86_64"),
            ("musl", "1.2.4_git20230717-r4", "x86_64"),
        ],
        "sorted; the stanza without a version is skipped"
    );
    let crypto = &pkgs[0];
    assert_eq!(
        crypto.source.as_deref(),
        Some("openssl"),
        "origin differs from the name"
    );
    assert_eq!(crypto.installed_size_kib, Some(4408));
    assert_eq!(crypto.summary.as_deref(), Some("Crypto library from openssl"));
    assert_eq!(crypto.status, "installed");
    assert_eq!(
        (crypto.upgradable, crypto.candidate_version.clone()),
        (None, None)
    );
    let musl = &pkgs[2];
    assert_eq!(musl.source, None, "origin equal to the name is not repeated");
    assert_eq!(musl.installed_size_kib, Some(608));
    assert_eq!(pkgs[1].installed_size_kib, None);
    assert!(parse_installed("").is_empty());
    assert_eq!(parse_installed("P:a\nV:1-r0").len(), 1, "no trailing blank line");
}

#[test]
fn parses_recorded_list_installed() {
    let pkgs = parse_list_installed(LIST_INSTALLED);
    let got: Vec<String> = pkgs
        .iter()
        .map(|p| format!("{} {} {}", p.name, p.version, p.architecture))
        .collect();
    assert_eq!(
        got,
        vec![
            "pmtest-app 1.0-r0 x86_64",
            "pmtest-hello 1.0-r0 x86_64",
            "pmtest-lib 1.0-r0 x86_64"
        ]
    );
    assert!(pkgs.iter().all(|p| p.source.is_none() && p.status == "installed"));
}

#[test]
fn parses_recorded_list_upgradable_and_version_less() {
    let lines: Vec<ListLine> = LIST_UPGRADABLE.lines().filter_map(parse_list_line).collect();
    assert_eq!(
        lines,
        vec![ListLine {
            name: "pmtest-hello".into(),
            version: "1.1-r0".into(),
            arch: "x86_64".into(),
            origin: Some("pmtest-hello".into()),
            upgradable_from: Some("1.0-r0".into()),
        }]
    );
    assert_eq!(
        parse_version_less(VERSION_LESS),
        vec![("pmtest-hello".into(), "1.0-r0".into(), "1.1-r0".into())]
    );
    let odd = "libcrypto3-3.1.5-r0 x86_64 {openssl} (Apache-2.0 AND (MIT OR BSD)) [upgradable from: libcrypto3-3.1.4-r5]";
    let l = parse_list_line(odd).unwrap();
    assert_eq!(
        (l.origin.as_deref(), l.upgradable_from.as_deref()),
        (Some("openssl"), Some("3.1.4-r5"))
    );
    for junk in [
        "",
        "WARNING: opening /x: No such file or directory",
        "OK: 4 distinct packages available",
    ] {
        assert_eq!(parse_list_line(junk), None, "{junk:?}");
    }
}
