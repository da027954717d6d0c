//! apk version ordering and grammar against apk-tools' own test vectors (`test/version.data`).

use super::{compare_versions, satisfies, validate_version};
use std::cmp::Ordering;

/// `A op B` lines from apk-tools' version test data (a selection covering every token kind).
const PAIRS: &str = "\
2.34 > 0.1.0_alpha
23_foo > 4_beta
1.0 < 1.0bc
0.1.0_alpha = 0.1.0_alpha
0.1.0_alpha < 0.1.3_alpha
0.1.0_alpha2 > 0.1.0_alpha
0.1.0_alpha < 2.2.39-r1
1.0.4-r3 < 1.0.4-r4
1.0.4-r4 < 1.6
1.2.1 > 1.2
1.1 > 1.1_alpha1
1.2 < 1.3_alpha
1.3_alpha < 1.3_alpha2
0.7.0 < 0.8_beta1
0.8_beta1 < 0.8_beta2
3.10.18-r1 > 2.3.0b-r1
2.3.0b-r1 < 2.3.0b-r2
0.12.3 > 0.12
0.12 < 0.13_beta1
1.2.12.1 < 1.2.13
0.2.0-r1 < 3.1_p16
3.1_p16 < 3.1_p17
3.1_p17 > 1.06-r6
1.06-r6 < 006
006 > 1.0.0
1.2.2-r1 > 1.2.2
2.59 < 20050718-r1
3.9.8-r5 > 2.01.01_alpha10
1.0 > 0.99.3.20040818
1.39 > 1.00_beta2
4.2.52_p2-r1 < 4.2.52_p4-r2
1.02 < 1.03-r1
2.18.3-r10 > 1.05-r18
1.05-r18 < 1.05-r19
2.11-r1 > 2.11
20060720 > 3.0.20060720
2.5.1-r8 < 2.5.1a-r1
1.3.5-r10 > 1.3.5-r8
2.0.0_rc3-r1 > 1.5
3.0.0-r2 < 021109-r3
0.9.16-r1 < 3.9_pre20060124
0.01 < 0.06
1.1.7 < 6b-r7
0.10.0 < 0.10.1_rc1
1.1a < 1.3a
1.0-r1 > 0.15.1b
0.15.1b-r2 > 0.15.1b
22.7-r1 < 22.7.3-r1
22.7.3-r1 > 22.7
2.1_pre20 < 2.1_pre26
2.10.1 > 02.08.01b
1.6d > 1.2.07.8
1.2.07.8 < 1.2.12.04
1.07-r1 < 1.07.5
0.1_pre20060810 < 0.1_pre20060817
0.59s-r11 < 0.65
4.20 > 0.20070118
0.20070118 < 0.20070207_rc1
3.7_p1 > 1.3
4.5_p1-r1 > 4.5_p1
0.9.8c-r1 < 0.9.8d
013 < 014-r1
0.3.1_rc8 < 22.2
1.7 < 1.7b
1.8.5 < 1.8.5_p2
2.9.11_pre20051101-r3 > 2.9.11_pre20051101
1.6.8_p12-r1 > 1.6.8_p9-r2
0.9.28-r2 < 0.9.28.1
087-r1 < 103
104-r11 > 104-r9
1.2.5_rc2 > 0.1
20040406-r1 > 2.12r-r4
2.12r-r4 < 2.12r-r5
7.0.17 < 7.0.174
1.3-r0 < 1.3.1-r0
1.3_pre1-r1 < 1.3.2
1.0_p10-r0 > 1.0_p9-r0
0.1.0_alpha_pre2 < 0.1.0_alpha
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
6.0_pre1 < 6.0
6.0_p1 > 6.0
8.2.0 < 8.2.001
8.2.0015 < 8.2.002
1.0~1234 < 1.0~2345
1.0~1234-r1 < 1.0~2345-r0
1.0~1234-r1 > 1.0~1234-r0
1.0-r0 < 1.1-r0
1.1-r0 < 9.9-r0
1.0_rc1-r0 < 1.0-r0
1.2.3-r4 > 1.2.3-r3
1.2.3_p1-r0 > 1.2.3-r9
";

fn op(s: &str) -> Ordering {
    match s {
        "<" => Ordering::Less,
        ">" => Ordering::Greater,
        "=" => Ordering::Equal,
        other => panic!("operator {other:?}"),
    }
}

#[test]
fn orders_like_apk_tools() {
    let mut n = 0;
    for line in PAIRS.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [a, o, b] = parts[..] else {
            panic!("bad line {line:?}")
        };
        assert_eq!(compare_versions(a, b), op(o), "{a} {o} {b}");
        assert_eq!(compare_versions(b, a), op(o).reverse(), "{b} vs {a} (reversed)");
        n += 1;
    }
    assert!(n > 90, "{n} pairs");
}

#[test]
fn suffixes_revisions_and_letters() {
    let chain = [
        "1.0_alpha",
        "1.0_alpha2",
        "1.0_beta",
        "1.0_pre1",
        "1.0_rc1",
        "1.0_rc2",
        "1.0",
        "1.0-r1",
        "1.0_p1",
        "1.0_p2-r3",
        "1.0a",
        "1.0b",
        "1.0.1",
        "1.1_rc1-r0",
        "1.1-r0",
    ];
    for w in chain.windows(2) {
        assert_eq!(
            compare_versions(w[0], w[1]),
            Ordering::Less,
            "{} < {}",
            w[0],
            w[1]
        );
    }
    assert_eq!(compare_versions("1.2.3-r4", "1.2.3-r4"), Ordering::Equal);
    assert_eq!(
        compare_versions("1.0-r10", "1.0-r9"),
        Ordering::Greater,
        "revision is numeric"
    );
}

#[test]
fn grammar_matches_apk_version_check() {
    for ok in [
        "1.2",
        "0.1_pre2",
        "0.1_pre2~1234abcd",
        "0.1_p1_pre2",
        "0.1_alpha1_pre2",
        "0.1_git20240101_pre1",
        "1.0-r0",
        "1.0_rc1-r0",
        "1.2.3-r4",
        "2.3.0b-r1",
        "6.6.31-r0",
        "20240101",
    ] {
        assert_eq!(validate_version(ok), Ok(()), "{ok}");
    }
    for bad in [
        "0.1bc",
        "0.1bc1",
        "0.1a1",
        "0.1a.1",
        "0.1_pre2~",
        "0.1_pre2~1234xbcd",
        "0.1_pre2~1234abcd_pre1",
        "0.1_pre2-r1~1234abcd",
        "0.1_foobar",
        "0.1_foobar1",
        "0.1-pre1.1",
        "0.1-r",
        "0.1-r2_pre1",
        "0.1-r2_p3_pre1",
        "0.1-r2-r3",
        "0.1-r2.1",
        ".1",
        "a",
        "_pre1",
        "-r1",
        "0.1_",
        "0.1_-r0",
        "0.1__alpha",
        "0.1_1_alpha",
    ] {
        assert!(validate_version(bad).is_err(), "{bad} must be rejected");
    }
    for (bad, why) in [
        ("", "empty"),
        ("1.0;id", "contains ';'"),
        ("1.0 -r0", "contains ' '"),
        ("1.0=2", "contains '='"),
        ("1.0A", "contains 'A'"),
        ("--root", "not an Alpine version"),
    ] {
        let e = validate_version(bad).expect_err(bad);
        assert!(e.contains(why), "{bad:?}: {e}");
    }
    assert!(validate_version(&"1".repeat(129))
        .expect_err("long")
        .contains("at most 128"));
}

#[test]
fn world_constraints() {
    assert!(satisfies("1.0-r0", "=", "1.0-r0"));
    assert!(!satisfies("1.1-r0", "=", "1.0-r0"));
    assert!(satisfies("1.1-r0", ">=", "1.0"));
    assert!(satisfies("1.0-r0", ">=", "1.0"), "1.0-r0 > 1.0");
    assert!(!satisfies("1.1-r0", "<", "1.1"));
    assert!(satisfies("1.0.9", "<", "1.1"));
    assert!(satisfies("3.6.9", "~", "3.6"));
    assert!(satisfies("3.6_pre1", "~", "3.6"));
    assert!(!satisfies("3.8.0", "~", "3.8.1"));
    assert!(satisfies("3.5", "<~", "3.6"));
    assert!(satisfies("3.7", ">~", "3.6"));
    assert!(
        !satisfies("1.0", "><", "Q1abc"),
        "checksum pins are never satisfied by a version"
    );
    assert!(!satisfies("1.0", "", "1.0"));
}
