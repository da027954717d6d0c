//! Alpine package-name grammar, and splitting apk's `name-version` strings (`apk info -v`, `apk list`).

use super::version::validate_version;

/// Longest accepted name.
const MAX_LEN: usize = 128;

/// Checks a package name: ASCII letters, digits and `+ - . _`, starting with a letter or digit, at
/// most 128 bytes. Dependency syntax (`=`, `<`, `>`, `~`, `!`), repository tags (`@`) and provider
/// prefixes (`so:`, `cmd:`) are refused: only real package names are accepted. The error says what
/// is wrong.
pub fn validate_name(name: &str) -> Result<(), String> {
    let Some(first) = name.chars().next() else {
        return Err("package name is empty".to_string());
    };
    if name.len() > MAX_LEN {
        return Err(format!(
            "package name is {} bytes long; at most {MAX_LEN} allowed",
            name.len()
        ));
    }
    if !first.is_ascii_alphanumeric() {
        return Err(format!(
            "package name must start with a letter or digit, not {first:?}"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_')))
    {
        return Err(format!(
            "package name contains {bad:?}; only letters, digits, '+', '-', '.' and '_' are allowed"
        ));
    }
    Ok(())
}

/// Splits `name-version` the way apk does (`apk_pkg_parse_name`): the version starts after the last
/// `-` that is followed by a digit, with at most one other `-` (the one before `rN`) after it.
/// `pmtest-hello-1.0-r0` → (`pmtest-hello`, `1.0-r0`); `py3-foo-2-1.0_rc1-r0` → (`py3-foo-2`,
/// `1.0_rc1-r0`). `None` when there is no such `-`, the name would be empty, or the version is not
/// an Alpine version.
pub fn split_name_version(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut dashes = 0;
    let mut i = b.len().checked_sub(2)?;
    loop {
        if b[i] == b'-' {
            if b[i + 1].is_ascii_digit() {
                break;
            }
            dashes += 1;
            if dashes >= 2 {
                return None;
            }
        }
        i = i.checked_sub(1)?;
    }
    let (name, version) = (&s[..i], &s[i + 1..]);
    if name.is_empty() || validate_version(version).is_err() {
        return None;
    }
    Some((name, version))
}

#[cfg(test)]
mod tests {
    use super::{split_name_version, validate_name};

    #[test]
    fn splits_like_apk() {
        for (s, want) in [
            ("pmtest-hello-1.0-r0", Some(("pmtest-hello", "1.0-r0"))),
            ("pmtest-app-1.0-r0", Some(("pmtest-app", "1.0-r0"))),
            (
                "musl-1.2.4_git20230717-r4",
                Some(("musl", "1.2.4_git20230717-r4")),
            ),
            ("py3-foo-2-1.0_rc1-r0", Some(("py3-foo-2", "1.0_rc1-r0"))),
            ("linux-lts-6.6.31-r0", Some(("linux-lts", "6.6.31-r0"))),
            ("libc6-compat-1.2-r0", Some(("libc6-compat", "1.2-r0"))),
            ("font-misc-75dpi-1.0.4-r1", Some(("font-misc-75dpi", "1.0.4-r1"))),
            ("R-4.3.2-r0", Some(("R", "4.3.2-r0"))),
            ("foo-1.0", Some(("foo", "1.0"))),
            ("pmtest-hello", None),
            ("-1.0-r0", None),
            ("foo-bar-baz", None),
            ("foo-1.0bc-r0", None),
            ("", None),
            ("x", None),
        ] {
            assert_eq!(split_name_version(s), want, "{s:?}");
        }
    }

    #[test]
    fn names() {
        for ok in [
            "pmtest-hello",
            "R",
            "py3-foo_bar",
            "g++",
            "libstdc++",
            "linux-lts",
            "7zip",
            "a",
        ] {
            assert_eq!(validate_name(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("-u", "must start"),
            ("--root=/", "must start"),
            ("foo=1.0", "contains '='"),
            ("foo>1", "contains '>'"),
            ("foo<1", "contains '<'"),
            ("foo~1", "contains '~'"),
            ("!foo", "must start"),
            ("foo@edge", "contains '@'"),
            ("so:libc.so", "contains ':'"),
            ("foo bar", "contains ' '"),
            ("foo;id", "contains ';'"),
            ("foo/bar", "contains '/'"),
            ("foo\n", "contains '\\n'"),
        ] {
            let e = validate_name(bad).expect_err(bad);
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        assert!(validate_name(&"a".repeat(129))
            .expect_err("long")
            .contains("at most 128"));
    }
}
