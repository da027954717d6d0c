//! Debian package-name grammar: what the apt backend accepts as a package name before any command sees it.

/// Longest accepted name, `:arch` included.
const MAX_LEN: usize = 128;

/// Checks `name[:arch]` against Debian policy (§5.6.1): the name is lowercase letters, digits, `+`, `-`
/// and `.`, at least two characters, starting with a letter or digit; the optional architecture qualifier
/// is lowercase letters, digits and `-`, starting with a letter or digit. The error says what is wrong.
pub fn validate_name(full: &str) -> Result<(), String> {
    if full.is_empty() {
        return Err("package name is empty".to_string());
    }
    if full.len() > MAX_LEN {
        return Err(format!(
            "package name is {} bytes long; at most {MAX_LEN} allowed",
            full.len()
        ));
    }
    let (name, arch) = match full.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (full, None),
    };
    check_name(name)?;
    if let Some(arch) = arch {
        check_arch(arch)?;
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), String> {
    let Some(first) = name.chars().next() else {
        return Err("package name is empty before ':'".to_string());
    };
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return Err(format!(
            "package name must start with a lowercase letter or digit, not {first:?}"
        ));
    }
    if name.len() < 2 {
        return Err("package name must be at least two characters long".to_string());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '-' | '.')))
    {
        return Err(format!(
            "package name contains {bad:?}; only lowercase letters, digits, '+', '-' and '.' are allowed"
        ));
    }
    Ok(())
}

fn check_arch(arch: &str) -> Result<(), String> {
    let Some(first) = arch.chars().next() else {
        return Err("architecture after ':' is empty".to_string());
    };
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return Err(format!(
            "architecture must start with a lowercase letter or digit, not {first:?}"
        ));
    }
    if let Some(bad) = arch
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "architecture contains {bad:?}; only lowercase letters, digits and '-' are allowed"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate_name;

    #[test]
    fn accepts_real_names() {
        for ok in [
            "bash",
            "libc6",
            "libc6:amd64",
            "libc6:i386",
            "g++",
            "libstdc++6",
            "linux-image-6.1.0-18-amd64",
            "python3.11",
            "0ad",
            "pmtest-hello",
            "gcc-12:arm64",
            "ca-certificates",
        ] {
            assert_eq!(validate_name(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_injection_shaped_and_malformed_names() {
        for (bad, why) in [
            ("-oAPT::Get::Foo", "must start"),
            ("foo;id", "contains ';'"),
            ("../x", "must start"),
            ("Foo", "must start"),
            ("fOo", "contains 'O'"),
            ("", "empty"),
            ("foo bar", "contains ' '"),
            ("foo\nbar", "contains '\\n'"),
            ("a", "at least two"),
            ("foo:", "architecture after ':' is empty"),
            (":amd64", "empty before"),
            ("foo:AMD64", "architecture must start"),
            ("foo:amd_64", "architecture contains '_'"),
            ("foo:amd64:i386", "architecture contains ':'"),
            ("foo/bar", "contains '/'"),
            ("foo=1.0", "contains '='"),
            ("foo$(id)", "contains '$'"),
        ] {
            let err = validate_name(bad).expect_err(bad);
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        let long = "a".repeat(129);
        assert!(validate_name(&long).expect_err("long").contains("at most 128"));
        assert_eq!(validate_name(&"a".repeat(128)), Ok(()));
    }
}
