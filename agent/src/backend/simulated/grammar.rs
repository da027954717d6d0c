//! Debian name and version grammar for the simulated backend (it imitates a Debian host, so it accepts
//! exactly what the apt backend accepts).

/// Longest accepted name or version.
const MAX_LEN: usize = 128;

/// `name[:arch]`: lowercase letters, digits, `+`, `-`, `.`, at least two characters, starting with a letter
/// or digit; the architecture lowercase letters, digits and `-`.
pub fn validate_name(full: &str) -> Result<(), String> {
    if full.is_empty() {
        return Err("package name is empty".into());
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
    check_word(name, "package name", |c| matches!(c, '+' | '-' | '.'))?;
    if name.len() < 2 {
        return Err("package name must be at least two characters long".into());
    }
    if let Some(arch) = arch {
        check_word(arch, "architecture", |c| c == '-')?;
    }
    Ok(())
}

fn check_word(word: &str, what: &str, extra: impl Fn(char) -> bool) -> Result<(), String> {
    let Some(first) = word.chars().next() else {
        return Err(format!("{what} is empty"));
    };
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return Err(format!(
            "{what} must start with a lowercase letter or digit, not {first:?}"
        ));
    }
    match word
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || extra(*c)))
    {
        Some(bad) => Err(format!("{what} contains {bad:?}")),
        None => Ok(()),
    }
}

/// `[epoch:]upstream[-revision]`: letters, digits and `.+~-:`; a numeric epoch; an upstream part that
/// starts with a digit; a revision without `:`.
pub fn validate_version(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("version is empty".into());
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
        Some((epoch, rest)) if !epoch.is_empty() && epoch.bytes().all(|c| c.is_ascii_digit()) => rest,
        Some((epoch, _)) => return Err(format!("epoch {epoch:?} before ':' is not a number")),
        None => v,
    };
    let upstream = match rest.rsplit_once('-') {
        Some((_, rev)) if rev.is_empty() || rev.contains(':') => {
            return Err("revision after the last '-' is empty or contains ':'".into())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "libc6",
            "libc6:amd64",
            "g++",
            "python3.11",
            "0ad",
            "linux-image-amd64",
        ] {
            assert_eq!(validate_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "-oAPT::Get::Foo",
            "foo;id",
            "../x",
            "Foo",
            "",
            "a",
            "foo:",
            ":amd64",
            "foo bar",
        ] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert!(validate_name(&"a".repeat(129)).is_err());
    }

    #[test]
    fn versions() {
        for ok in ["1.0", "1:2.3-4", "2.36-9+deb12u4", "1.0~rc1", "20220311-1"] {
            assert_eq!(validate_version(ok), Ok(()), "{ok}");
        }
        for bad in ["", "a1.0", "1.0;id", "x:1.0", "1.0-", "1.0 2", "1:", "1.0-a:b"] {
            assert!(validate_version(bad).is_err(), "{bad}");
        }
    }
}
