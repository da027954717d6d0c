//! The backend's version ordering cross-checked against libalpm itself: a hand-made local database holds
//! version A and a sync database version B of the same name, and `pacman -Qu` lists the name exactly when
//! libalpm finds B newer (Debian's pacman ships no `vercmp` binary; when one is installed, it is asked too).

use linux_patch_api::backend::pacman::compare_versions;
use std::cmp::Ordering;
use std::path::Path;
use std::process::Command;

/// pkgver pairs (each gets `-1` on both sides, as database entries need a pkgrel) from pacman's own
/// vercmp tests and beyond.
const PKGVERS: &[(&str, &str)] = &[
    ("1.5.0", "1.5.0"),
    ("1.5.1", "1.5.0"),
    ("1.5.1", "1.5"),
    ("1.5b", "1.5"),
    ("1.5b", "1.5.1"),
    ("1.0a", "1.0alpha"),
    ("1.0alpha", "1.0b"),
    ("1.0b", "1.0beta"),
    ("1.0beta", "1.0rc"),
    ("1.0rc", "1.0"),
    ("1.5.a", "1.5"),
    ("1.5.b", "1.5.a"),
    ("1.5.1", "1.5.b"),
    ("2.0", "2_0"),
    ("2.0_a", "2_0.a"),
    ("2.0a", "2.0.a"),
    ("2___a", "2_a"),
    ("0:1.0", "1.0"),
    ("1:1.0", "2.0"),
    ("1:1.0", "2:0.1"),
    ("1.010", "1.9"),
    ("1.001", "1.1"),
    ("20240101.123456789012345678901", "20240101.99"),
    ("6.2.0.arch1", "6.1.0.arch1"),
    ("6.1.0.arch2", "6.1.0.arch10"),
    ("1.0+git20240101", "1.0"),
    ("1.0~rc1", "1.0"),
];

/// Full versions with differing releases.
const FULL: &[(&str, &str)] = &[
    ("1.5.0-1", "1.5.0-2"),
    ("1.5-2", "1.5.1-1"),
    ("1.0-1.1", "1.0-1"),
    ("1.0-10", "1.0-9"),
    ("1:1.0-1", "0:1.1-1"),
];

fn entry(dir: &Path, name: &str, version: &str) {
    let e = dir.join(format!("{name}-{version}"));
    std::fs::create_dir_all(&e).unwrap();
    std::fs::write(
        e.join("desc"),
        format!("%NAME%\n{name}\n\n%VERSION%\n{version}\n\n%ARCH%\nany\n\n%FILENAME%\n{name}-{version}-any.pkg.tar.zst\n\n"),
    )
    .unwrap();
}

#[test]
fn version_order_matches_libalpm() {
    let d = tempfile::tempdir().unwrap();
    let (local, staged, sync) = (
        d.path().join("db/local"),
        d.path().join("staged"),
        d.path().join("db/sync"),
    );
    for p in [&local, &staged, &sync, &d.path().join("root")] {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(local.join("ALPM_DB_VERSION"), "9\n").unwrap();
    let pairs: Vec<(String, String)> = PKGVERS
        .iter()
        .map(|(a, b)| (format!("{a}-1"), format!("{b}-1")))
        .chain(FULL.iter().map(|(a, b)| (a.to_string(), b.to_string())))
        .collect();
    // vc-N-f: installed A, repository B; vc-N-r: the other way round.
    for (i, (a, b)) in pairs.iter().enumerate() {
        entry(&local, &format!("vc-{i}-f"), a);
        entry(&staged, &format!("vc-{i}-f"), b);
        entry(&local, &format!("vc-{i}-r"), b);
        entry(&staged, &format!("vc-{i}-r"), a);
    }
    let names: Vec<String> = std::fs::read_dir(&staged)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let tar = Command::new("bsdtar")
        .arg("-czf")
        .arg(sync.join("vc.db"))
        .arg("-C")
        .arg(&staged)
        .args(&names)
        .status()
        .unwrap();
    assert!(tar.success());
    let conf = d.path().join("pacman.conf");
    std::fs::write(
        &conf,
        format!(
            "[options]\nRootDir = {0}/root\nDBPath = {0}/db/\nSigLevel = Never\n[vc]\n",
            d.path().display()
        ),
    )
    .unwrap();
    let out = Command::new("pacman")
        .arg("--config")
        .arg(&conf)
        .arg("-Qu")
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    let newer: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split(' ').next().map(str::to_string))
        .collect();
    assert!(
        !newer.is_empty(),
        "pacman -Qu listed nothing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut seen = [0usize; 3];
    for (i, (a, b)) in pairs.iter().enumerate() {
        let alpm = match (
            newer.contains(&format!("vc-{i}-f")),
            newer.contains(&format!("vc-{i}-r")),
        ) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => Ordering::Equal,
            (true, true) => panic!("libalpm finds {a} and {b} each newer than the other"),
        };
        assert_eq!(
            compare_versions(a, b),
            alpm,
            "{a} vs {b}: ours differs from libalpm"
        );
        seen[(alpm as i8 + 1) as usize] += 1;
    }
    assert!(seen.iter().all(|n| *n > 0), "all three outcomes occur: {seen:?}");

    // The real vercmp binary, where the distribution ships it (Arch does; Debian does not).
    if let Ok(probe) = Command::new("vercmp").args(["1", "1"]).output() {
        assert!(probe.status.success());
        for (a, b) in &pairs {
            let out = Command::new("vercmp").args([a, b]).output().unwrap();
            let n: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
            assert_eq!(compare_versions(a, b), n.cmp(&0), "vercmp {a} {b}");
        }
    }
}
