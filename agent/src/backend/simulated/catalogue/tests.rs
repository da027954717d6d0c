//! The catalogue: unique valid names, ordered versions, stable update data.

use super::*;
use crate::backend::apt::compare_versions;
use crate::backend::apt::{validate_name, validate_version};
use std::cmp::Ordering;

#[test]
fn names_are_unique_valid_and_findable() {
    let cat = catalogue();
    assert!((1800..3000).contains(&cat.len()), "{} packages", cat.len());
    let mut names: Vec<&str> = cat.entries().iter().map(|e| e.name.as_ref()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cat.len(), "names are unique");
    for (i, e) in cat.entries().iter().enumerate() {
        assert_eq!(validate_name(&e.name), Ok(()), "{}", e.name);
        assert_eq!(cat.find(&e.name), Some(i));
        if let Some(p) = e.parent {
            assert!(usize::from(p) < i, "{}: parent comes first", e.name);
        }
    }
    assert_eq!(cat.find("no-such-package"), None);
    for real in [
        "libc6",
        "bash",
        "openssl",
        "linux-image-amd64",
        "python3-requests",
        "nginx",
    ] {
        assert!(cat.find(real).is_some(), "{real}");
    }
    assert!(cat.entry(cat.find("dpkg").unwrap()).unwrap().essential);
    assert!(cat.entry(cat.find("libc6").unwrap()).unwrap().reboot);
    assert_eq!(
        cat.entry(cat.find("tzdata").unwrap()).unwrap().architecture(),
        "all"
    );
}

#[test]
fn published_versions_are_valid_and_strictly_increasing_in_dpkg_order() {
    let cat = catalogue();
    for e in cat.entries() {
        assert!((1..=4).contains(&e.variants), "{}", e.name);
        for v in 0..e.variants {
            let ver = e.version(v);
            assert_eq!(validate_version(&ver), Ok(()), "{} {ver}", e.name);
            assert_eq!(e.variant_of(&ver), Some(v));
            if v > 0 {
                assert_eq!(
                    compare_versions(&e.version(v - 1), &ver),
                    Ordering::Less,
                    "{}",
                    e.name
                );
            }
        }
    }
    let kernel = cat.entry(cat.find("linux-image-amd64").unwrap()).unwrap();
    assert!(kernel.version(0).starts_with("6.1."), "{}", kernel.version(0));
    assert_eq!(kernel.variants, 3);
}

#[test]
fn update_data_is_stable_and_complete() {
    let cat = catalogue();
    let (mut security, mut regular) = (0, 0);
    for e in cat.entries().iter().filter(|e| e.variants > 1) {
        let u = e.update(1);
        assert_eq!(u, e.update(1), "same answer every time");
        if u.security {
            security += 1;
            assert!(SEVERITIES.contains(&u.severity.unwrap()));
            assert!((1..=4).contains(&u.cves.len()));
            for c in &u.cves {
                let parts: Vec<&str> = c.split('-').collect();
                assert_eq!(parts[0], "CVE", "{c}");
                assert!(
                    parts[1].parse::<u32>().is_ok_and(|y| (2022..=2025).contains(&y)),
                    "{c}"
                );
                assert!(parts[2].len() >= 4, "{c}");
            }
        } else {
            regular += 1;
            assert_eq!(u.severity, None);
            assert!(u.cves.is_empty());
        }
    }
    assert!(
        security > 100 && regular > 100,
        "{security} security, {regular} regular"
    );
}
