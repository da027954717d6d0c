//! Debian versions: the grammar the apt backend accepts, and ordering with the semantics of
//! `dpkg --compare-versions` (epoch, upstream, revision).

use std::cmp::Ordering;

/// Longest accepted version.
const MAX_LEN: usize = 128;

/// Checks `[epoch:]upstream[-revision]` as dpkg parses it: only ASCII letters, digits and `.+~-:`; the
/// epoch (before the first `:`) is a number; the revision (after the last `-`) has no `:`; the upstream
/// part starts with a digit. At most 128 bytes. The error says what is wrong.
pub fn validate_version(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("version is empty".to_string());
    }
    if v.len() > MAX_LEN {
        return Err(format!(
            "version is {} bytes long; at most {MAX_LEN} allowed",
            v.len()
        ));
    }
    if let Some(bad) = v
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~' | '-' | ':')))
    {
        return Err(format!(
            "version contains {bad:?}; only letters, digits, '.', '+', '~', '-' and ':' are allowed"
        ));
    }
    let rest = match v.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() || !epoch.bytes().all(|c| c.is_ascii_digit()) {
                return Err(format!("epoch {epoch:?} before ':' is not a number"));
            }
            if rest.is_empty() {
                return Err("nothing after the epoch's ':'".to_string());
            }
            rest
        }
        None => v,
    };
    let upstream = match rest.rsplit_once('-') {
        Some((_, "")) => return Err("revision after the last '-' is empty".to_string()),
        Some((_, rev)) if rev.contains(':') => {
            return Err("revision after the last '-' contains ':'".to_string())
        }
        Some((up, _)) => up,
        None => rest,
    };
    if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "version {v:?} must start with a digit (after the optional epoch)"
        ));
    }
    Ok(())
}

/// Compares two Debian versions `[epoch:]upstream[-revision]` the way dpkg does.
///
/// A missing epoch is 0, a missing revision compares equal to `0`; `~` sorts before everything, even the
/// end of the string, so `1.0~rc1 < 1.0`. A malformed epoch counts as 0 (dpkg would reject the version).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    compare_digits(ea, eb)
        .then_with(|| compare_part(ua, ub))
        .then_with(|| compare_part(ra, rb))
}

/// Splits into (epoch digits, upstream, revision): epoch before the first `:`, revision after the last `-`.
fn split(v: &str) -> (&str, &str, &str) {
    let v = v.trim();
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) if e.bytes().all(|c| c.is_ascii_digit()) => (e, r),
        Some((_, r)) => ("0", r),
        None => ("0", v),
    };
    match rest.rsplit_once('-') {
        Some((up, rev)) => (epoch, up, rev),
        None => (epoch, rest, ""),
    }
}

/// Compares two runs of ASCII digits numerically without overflow (leading zeros ignored).
fn compare_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Weight of one character in the non-digit part: `~` lowest, then end of part, letters, other symbols.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs.
fn compare_part(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let si = i;
        while i < a.len() && a[i].is_ascii_digit() {
            i += 1;
        }
        let sj = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        // Both slices are ASCII digits, so they are valid UTF-8.
        let da = std::str::from_utf8(&a[si..i]).unwrap_or("");
        let db = std::str::from_utf8(&b[sj..j]).unwrap_or("");
        let c = compare_digits(da, db);
        if c != Ordering::Equal {
            return c;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::{compare_versions, validate_version};

    #[test]
    fn accepts_real_versions() {
        for ok in [
            "1.0",
            "1.0.1",
            "1:2.36-9+deb12u4",
            "2.36-9+deb12u10",
            "1.0~rc1",
            "3.0.13-1~deb12u1",
            "1.2.3-1ubuntu1",
            "0.9.8a",
            "1:1:2-3",
            "7.88.1-10+deb12u5",
            "6.1.0-18",
            "20230311",
        ] {
            assert_eq!(validate_version(ok), Ok(()), "{ok}");
        }
        assert_eq!(validate_version(&"1".repeat(128)), Ok(()));
    }

    #[test]
    fn rejects_injection_shaped_and_malformed_versions() {
        for (bad, why) in [
            ("", "empty"),
            ("-1.0", "must start with a digit"),
            ("-oAPT::Get::Foo=1", "contains '='"),
            ("1.0;id", "contains ';'"),
            ("1.0 2", "contains ' '"),
            ("1.0/x", "contains '/'"),
            ("1.0\n", "contains '\\n'"),
            ("1.0\nrm", "contains '\\n'"),
            ("1.0$(id)", "contains '$'"),
            ("a1.0", "must start with a digit"),
            ("x:1.0", "epoch \"x\""),
            (":1.0", "epoch \"\""),
            ("1:", "nothing after"),
            ("1:a", "must start with a digit"),
            ("1.0-", "revision after the last '-' is empty"),
            ("1:1.0-2:3", "contains ':'"),
            ("1.0_1", "contains '_'"),
            ("1.0\u{e9}", "contains"),
        ] {
            let err = validate_version(bad).expect_err(bad);
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        assert!(validate_version(&"1".repeat(129))
            .unwrap_err()
            .contains("at most 128"));
    }
    use std::cmp::Ordering::{self, Equal, Greater, Less};

    fn check(a: &str, b: &str, want: Ordering) {
        assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
        assert_eq!(compare_versions(b, a), want.reverse(), "{b} vs {a}");
    }

    #[test]
    fn plain_numbers_compare_numerically() {
        check("1.0", "1.1", Less);
        check("1.10", "1.9", Greater);
        check("1.0", "1.0", Equal);
        check("1.01", "1.1", Equal);
        check("10", "9", Greater);
        check("1.0.1", "1.0", Greater);
        check("99999999999999999999999", "99999999999999999999998", Greater);
    }

    #[test]
    fn epochs_win_over_everything() {
        check("1:0.1", "9.9", Greater);
        check("0:1.0", "1.0", Equal);
        check("2:1.0", "10:0.1", Less);
    }

    #[test]
    fn tilde_sorts_before_release_and_end() {
        check("1.0~rc1", "1.0", Less);
        check("1.0~~", "1.0~", Less);
        check("1.0~~a", "1.0~~", Greater);
        check("1.0~rc1", "1.0~rc2", Less);
        check("3.0.11-1~deb12u2", "3.0.13-1~deb12u1", Less);
        check("3.0.13-1~deb12u1", "3.0.13-1", Less);
    }

    #[test]
    fn letters_before_symbols_and_revisions() {
        check("1.0a", "1.0+", Less);
        check("1.0a", "1.0", Greater);
        check("1.0+b1", "1.0", Greater);
        check("1.0-1", "1.0-2", Less);
        check("1.0-1", "1.0", Greater);
        check("1.0-0", "1.0", Equal);
        check("2.36-9+deb12u4", "2.36-9+deb12u10", Less);
        check("1.2.3-1ubuntu1", "1.2.3-1", Greater);
    }

    #[test]
    fn kernel_releases_order_as_versions() {
        check("6.1.0-18-amd64", "6.1.0-17-amd64", Greater);
        check("6.5.0-14-generic", "6.5.0-9-generic", Greater);
        check("6.1.0-0.deb11.13-amd64", "6.1.0-0.deb11.7-amd64", Greater);
    }
}
