//! rpmvercmp against answers recorded from rpm 4.18 (`rpm --eval "%{lua: print(rpm.vercmp(a, b))}"`), EVR
//! ordering, and the version grammar.

use super::{compare_requested, compare_versions, format_evr, rpmvercmp, validate_version, Evr};
use std::cmp::Ordering;

/// `(a, b, rpm.vercmp(a, b))` as printed by rpm 4.18 on this project's reference machine.
const RPM_ANSWERS: &[(&str, &str, i8)] = &[
    ("1.0", "1.0", 0),
    ("1.0", "2.0", -1),
    ("2.0", "1.0", 1),
    ("2.0.1", "2.0.1", 0),
    ("2.0", "2.0.1", -1),
    ("2.0.1", "2.0", 1),
    ("2.0.1a", "2.0.1a", 0),
    ("2.0.1a", "2.0.1", 1),
    ("2.0.1", "2.0.1a", -1),
    ("5.5p1", "5.5p1", 0),
    ("5.5p1", "5.5p2", -1),
    ("5.5p2", "5.5p1", 1),
    ("5.5p10", "5.5p10", 0),
    ("5.5p1", "5.5p10", -1),
    ("5.5p10", "5.5p1", 1),
    ("10xyz", "10.1xyz", -1),
    ("10.1xyz", "10xyz", 1),
    ("xyz10", "xyz10", 0),
    ("xyz10", "xyz10.1", -1),
    ("xyz10.1", "xyz10", 1),
    ("xyz.4", "xyz.4", 0),
    ("xyz.4", "8", -1),
    ("8", "xyz.4", 1),
    ("xyz.4", "2", -1),
    ("2", "xyz.4", 1),
    ("5.5p2", "5.6p1", -1),
    ("5.6p1", "5.5p2", 1),
    ("5.6p1", "6.5p1", -1),
    ("6.5p1", "5.6p1", 1),
    ("6.0.rc1", "6.0", 1),
    ("6.0", "6.0.rc1", -1),
    ("10b2", "10a1", 1),
    ("10a2", "10b2", -1),
    ("1.0aa", "1.0aa", 0),
    ("1.0a", "1.0aa", -1),
    ("1.0aa", "1.0a", 1),
    ("10.0001", "10.0001", 0),
    ("10.0001", "10.1", 0),
    ("10.1", "10.0001", 0),
    ("10.0001", "10.0039", -1),
    ("10.0039", "10.0001", 1),
    ("4.999.9", "5.0", -1),
    ("5.0", "4.999.9", 1),
    ("20101121", "20101121", 0),
    ("20101121", "20101122", -1),
    ("20101122", "20101121", 1),
    ("2_0", "2_0", 0),
    ("2.0", "2_0", 0),
    ("2_0", "2.0", 0),
    ("a", "a", 0),
    ("a+", "a+", 0),
    ("a+", "a_", 0),
    ("a_", "a+", 0),
    ("+a", "+a", 0),
    ("_a", "_a", 0),
    ("+a", "_a", 0),
    ("_a", "+a", 0),
    ("+_", "+_", 0),
    ("_+", "+_", 0),
    ("_+", "_+", 0),
    ("+", "_", 0),
    ("_", "+", 0),
    ("1.0~rc1", "1.0~rc1", 0),
    ("1.0~rc1", "1.0", -1),
    ("1.0", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc2", -1),
    ("1.0~rc2", "1.0~rc1", 1),
    ("1.0~rc1~git123", "1.0~rc1~git123", 0),
    ("1.0~rc1~git123", "1.0~rc1", -1),
    ("1.0~rc1", "1.0~rc1~git123", 1),
    ("1.0^", "1.0^", 0),
    ("1.0^", "1.0", 1),
    ("1.0", "1.0^", -1),
    ("1.0^git1", "1.0^git1", 0),
    ("1.0^git1", "1.0", 1),
    ("1.0", "1.0^git1", -1),
    ("1.0^git1", "1.0^git2", -1),
    ("1.0^git2", "1.0^git1", 1),
    ("1.0^git1", "1.01", -1),
    ("1.01", "1.0^git1", 1),
    ("1.0^20160101", "1.0^20160101", 0),
    ("1.0^20160101", "1.0.1", -1),
    ("1.0.1", "1.0^20160101", 1),
    ("1.0^20160101^git1", "1.0^20160101^git1", 0),
    ("1.0^20160102", "1.0^20160101^git1", 1),
    ("1.0^20160101^git1", "1.0^20160102", -1),
    ("1.0~rc1^git1", "1.0~rc1^git1", 0),
    ("1.0~rc1^git1", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc1^git1", -1),
    ("1.0^git1~pre", "1.0^git1~pre", 0),
    ("1.0^git1", "1.0^git1~pre", 1),
    ("1.0^git1~pre", "1.0^git1", -1),
    ("1.0", "1.0.", 0),
    ("1.0.", "1.0", 0),
    ("01", "1", 0),
    ("1.a", "1.1", -1),
    ("1.1", "1.a", 1),
    ("1a", "1.a", 0),
];

fn ord(n: i8) -> Ordering {
    n.cmp(&0)
}

#[test]
fn rpmvercmp_agrees_with_rpm_on_every_recorded_pair() {
    for (a, b, want) in RPM_ANSWERS {
        assert_eq!(rpmvercmp(a, b), ord(*want), "rpmvercmp({a:?}, {b:?})");
        assert_eq!(rpmvercmp(b, a), ord(*want).reverse(), "rpmvercmp({b:?}, {a:?})");
    }
}

#[test]
fn tilde_sorts_before_and_caret_after_the_end() {
    let mut v = vec!["1.0^git1", "1.0", "1.0~rc1", "1.0.1", "1.0~rc1^git1", "1.0~beta"];
    v.sort_by(|a, b| rpmvercmp(a, b));
    assert_eq!(
        v,
        ["1.0~beta", "1.0~rc1", "1.0~rc1^git1", "1.0", "1.0^git1", "1.0.1"]
    );
}

#[test]
fn evr_compares_epoch_then_version_then_release() {
    // Recorded with rpm.ver(a) < rpm.ver(b) in rpm 4.18.
    assert_eq!(compare_versions("1:1.0-1", "2.0-1"), Ordering::Greater);
    assert_eq!(compare_versions("0:1.0-1", "1.0-1"), Ordering::Equal);
    assert_eq!(compare_versions("1.0-1", "1.0-2"), Ordering::Less);
    assert_eq!(compare_versions("1.0", "1.0-5"), Ordering::Less);
    assert_eq!(compare_versions("1.0-1", "1.0"), Ordering::Greater);
    assert_eq!(compare_versions("2:0.1-1", "1:9.9-9"), Ordering::Greater);
    assert_eq!(compare_versions("1.0-10", "1.0-9"), Ordering::Greater);
    assert_eq!(compare_versions("1.0-1.el9", "1.0-1.el9_1"), Ordering::Less);
}

#[test]
fn requested_versions_compare_only_what_they_name() {
    assert_eq!(compare_requested("1.0", "1.0-3"), Ordering::Equal);
    assert_eq!(compare_requested("1.0-1", "1.0-3"), Ordering::Less);
    assert_eq!(
        compare_requested("1.1", "1:1.0-3"),
        Ordering::Greater,
        "no epoch asked: not compared"
    );
    assert_eq!(compare_requested("0:1.1", "1:1.0-3"), Ordering::Less);
}

#[test]
fn parse_and_format() {
    assert_eq!(
        Evr::parse("2:1.0-1.el9"),
        Evr {
            epoch: Some("2"),
            version: "1.0",
            release: Some("1.el9")
        }
    );
    assert_eq!(
        Evr::parse("1.0"),
        Evr {
            epoch: None,
            version: "1.0",
            release: None
        }
    );
    assert_eq!(format_evr("0", "1.0", "1"), "1.0-1");
    assert_eq!(format_evr("(none)", "1.0", "1"), "1.0-1");
    assert_eq!(format_evr("3", "1.0", "1"), "3:1.0-1");
}

#[test]
fn version_grammar() {
    for ok in ["1.0", "1.0-1", "2:1.0-1.el9_3", "1.0~rc1^git2-0.1", "a1", "1_2+3"] {
        assert_eq!(validate_version(ok), Ok(()), "{ok}");
    }
    for bad in [
        "", "-1", "1.0-", "x:1.0", ":1.0", "1.0-1-2", "1.0 -1", "1.0;rm", "1*", "~1", "1.0-.1", "$(id)",
        "1.0\n",
    ] {
        assert!(validate_version(bad).is_err(), "{bad:?} accepted");
    }
    assert!(validate_version(&"1".repeat(129)).is_err());
}
