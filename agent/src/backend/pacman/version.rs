//! pacman's version ordering (libalpm's `alpm_pkg_vercmp`: `[epoch:]pkgver[-pkgrel]`), re-implemented.

use std::cmp::Ordering;

/// Orders two pacman versions exactly as `vercmp` / libalpm do: epoch first (missing = 0), then pkgver,
/// then pkgrel only when both sides have one (`1.5` equals `1.5-1`). Each part is compared segment by
/// segment: runs of digits numerically, runs of letters as strings, a number beats letters, a longer
/// separator run wins, and trailing letters lose to the end of the string (`1.0rc < 1.0`).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (e1, v1, r1) = parse_evr(a);
    let (e2, v2, r2) = parse_evr(b);
    rpmvercmp(e1, e2)
        .then_with(|| rpmvercmp(v1, v2))
        .then_with(|| match (r1, r2) {
            (Some(r1), Some(r2)) => rpmvercmp(r1, r2),
            _ => Ordering::Equal,
        })
}

/// Splits `[epoch:]version[-release]`: the epoch is the leading digits when a `:` follows them (empty
/// epoch = `0`), the release is what follows the last `-` after the epoch.
fn parse_evr(evr: &str) -> (&str, &str, Option<&str>) {
    let digits = evr.bytes().take_while(u8::is_ascii_digit).count();
    let (epoch, rest) = match evr[digits..].strip_prefix(':') {
        Some(rest) if digits == 0 => ("0", rest),
        Some(rest) => (&evr[..digits], rest),
        None => ("0", evr),
    };
    match rest.rfind('-') {
        Some(i) => (epoch, &rest[..i], Some(&rest[i + 1..])),
        None => (epoch, rest, None),
    }
}

/// libalpm's `rpmvercmp` on one part (epoch, pkgver or pkgrel), byte for byte.
fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() && j < b.len() {
        let (sep_a, sep_b) = (i, j);
        while i < a.len() && !a[i].is_ascii_alphanumeric() {
            i += 1;
        }
        while j < b.len() && !b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if i >= a.len() || j >= b.len() {
            break;
        }
        // Separator runs of different length decide (`2___a` > `2_a`).
        if i - sep_a != j - sep_b {
            return (i - sep_a).cmp(&(j - sep_b));
        }
        let numeric = a[i].is_ascii_digit();
        let class: fn(&u8) -> bool = if numeric {
            u8::is_ascii_digit
        } else {
            u8::is_ascii_alphabetic
        };
        let end_a = i + a[i..].iter().take_while(|c| class(c)).count();
        let end_b = j + b[j..].iter().take_while(|c| class(c)).count();
        if end_b == j {
            // Different kinds: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut sa, mut sb) = (&a[i..end_a], &b[j..end_b]);
        if numeric {
            sa = trim_zeros(sa);
            sb = trim_zeros(sb);
            if sa.len() != sb.len() {
                return sa.len().cmp(&sb.len());
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            other => return other,
        }
        i = end_a;
        j = end_b;
    }
    let (rest_a, rest_b) = (&a[i.min(a.len())..], &b[j.min(b.len())..]);
    if rest_a.is_empty() && rest_b.is_empty() {
        return Ordering::Equal;
    }
    // What is left decides: a remaining alpha part loses, and so does running out against a non-alpha.
    let a_alpha = rest_a.first().is_some_and(u8::is_ascii_alphabetic);
    let b_alpha = rest_b.first().is_some_and(u8::is_ascii_alphabetic);
    if (rest_a.is_empty() && !b_alpha) || a_alpha {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| **c == b'0').count();
    &s[n..]
}

#[cfg(test)]
mod tests {
    use super::compare_versions;
    use std::cmp::Ordering::{self, Equal, Greater, Less};

    /// Cases of pacman's own `test/util/vercmptest.sh`; each is checked in both directions.
    pub const CASES: &[(&str, &str, Ordering)] = &[
        ("1.5.0", "1.5.0", Equal),
        ("1.5.1", "1.5.0", Greater),
        ("1.5.1", "1.5", Greater),
        ("1.5.0-1", "1.5.0-1", Equal),
        ("1.5.0-1", "1.5.0-2", Less),
        ("1.5.0-1", "1.5.1-1", Less),
        ("1.5.0-2", "1.5.1-1", Less),
        ("1.5-1", "1.5.1-1", Less),
        ("1.5-2", "1.5.1-1", Less),
        ("1.5-2", "1.5.1-2", Less),
        ("1.5", "1.5-1", Equal),
        ("1.5-1", "1.5", Equal),
        ("1.1-1", "1.1", Equal),
        ("1.0-1", "1.1", Less),
        ("1.1-1", "1.0", Greater),
        ("1.5b-1", "1.5-1", Less),
        ("1.5b", "1.5", Less),
        ("1.5b-1", "1.5", Less),
        ("1.5b", "1.5.1", Less),
        ("1.0a", "1.0alpha", Less),
        ("1.0alpha", "1.0b", Less),
        ("1.0b", "1.0beta", Less),
        ("1.0beta", "1.0rc", Less),
        ("1.0rc", "1.0", Less),
        ("1.5.a", "1.5", Greater),
        ("1.5.b", "1.5.a", Greater),
        ("1.5.1", "1.5.b", Greater),
        ("1.5.b-1", "1.5.b", Equal),
        ("1.5-1", "1.5.b", Less),
        ("2.0", "2_0", Equal),
        ("2.0_a", "2_0.a", Equal),
        ("2.0a", "2.0.a", Less),
        ("2___a", "2_a", Greater),
        ("0:1.0", "0:1.0", Equal),
        ("0:1.0", "0:1.1", Less),
        ("1:1.0", "0:1.0", Greater),
        ("1:1.0", "0:1.1", Greater),
        ("1:1.0", "2:1.1", Less),
        ("1:1.0", "0:1.0-1", Greater),
        ("1:1.0-1", "0:1.1-1", Greater),
        ("0:1.0", "1.0", Equal),
        ("0:1.0", "1.1", Less),
        ("0:1.1", "1.0", Greater),
        ("1:1.0", "1.0", Greater),
        ("1:1.0", "1.1", Greater),
        ("1:1.1", "1.1", Greater),
        // Beyond the upstream list: leading zeros, long numbers, pkgrel with a minor part, kernels.
        ("1.010", "1.9", Greater),
        ("1.001", "1.1", Equal),
        ("20240101.123456789012345678901", "20240101.99", Greater),
        ("1.0-1.1", "1.0-1", Greater),
        ("6.2.0.arch1-1", "6.1.0.arch1-1", Greater),
        ("6.1.0.arch2-1", "6.1.0.arch1-1", Greater),
        ("1.0.1-1", "1.0-1", Greater),
        (":1.0", "0:1.0", Equal),
    ];

    #[test]
    fn pacman_vercmp_cases_in_both_directions() {
        for &(a, b, want) in CASES {
            assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
            assert_eq!(compare_versions(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn the_real_vercmp_agrees_when_installed() {
        // Debian's pacman package ships no vercmp; Arch's does. The integration tests also cross-check
        // these cases against libalpm through `pacman -Qu`.
        let Ok(probe) = std::process::Command::new("vercmp").arg("1").arg("1").output() else {
            eprintln!("vercmp not installed: cross-check skipped here (see tests/it/pacman_backend)");
            return;
        };
        assert!(probe.status.success());
        for &(a, b, want) in CASES {
            let out = std::process::Command::new("vercmp")
                .arg(a)
                .arg(b)
                .output()
                .unwrap();
            let n: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
            assert_eq!(n.cmp(&0), want, "vercmp {a} {b}");
        }
    }
}
