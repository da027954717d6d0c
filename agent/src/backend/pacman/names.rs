//! The grammar of pacman package names and versions, checked before anything reaches a command line.

/// Longest name or version accepted (pacman has no hard limit; real ones are far shorter).
const MAX_LEN: usize = 255;

/// A pacman package name: letters, digits and `@ . _ + -`, not starting with `-` or `.` (makepkg's rule),
/// so it can never be read as an option.
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("package name is empty".into());
    }
    if name.len() > MAX_LEN {
        return Err(format!("package name is longer than {MAX_LEN} characters"));
    }
    if name.starts_with(['-', '.']) {
        return Err("package name must not start with '-' or '.'".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '_' | '+' | '-')))
    {
        return Err(format!(
            "package name contains {c:?}; allowed are letters, digits and @ . _ + -"
        ));
    }
    Ok(())
}

/// A pacman version `[epoch:]pkgver[-pkgrel]`: epoch digits, pkgver of letters, digits and `. _ + ~`
/// starting with a letter or digit, pkgrel digits with an optional `.N` (the pkgrel may be left out:
/// it then matches any release).
pub fn validate_version(version: &str) -> Result<(), String> {
    if version.is_empty() {
        return Err("version is empty".into());
    }
    if version.len() > MAX_LEN {
        return Err(format!("version is longer than {MAX_LEN} characters"));
    }
    let rest = match version.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("epoch {epoch:?} must be digits"));
            }
            rest
        }
        None => version,
    };
    let (pkgver, pkgrel) = match rest.rsplit_once('-') {
        Some((v, r)) => (v, Some(r)),
        None => (rest, None),
    };
    if !pkgver.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("pkgver {pkgver:?} must start with a letter or digit"));
    }
    if let Some(c) = pkgver
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '~')))
    {
        return Err(format!(
            "pkgver contains {c:?}; allowed are letters, digits and . _ + ~"
        ));
    }
    if let Some(rel) = pkgrel {
        let ok = match rel.split_once('.') {
            Some((a, b)) => is_digits(a) && is_digits(b),
            None => is_digits(rel),
        };
        if !ok {
            return Err(format!("pkgrel {rel:?} must be digits, optionally with one .N"));
        }
    }
    Ok(())
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::{validate_name, validate_version};

    #[test]
    fn names() {
        for ok in [
            "pmtest-hello",
            "linux",
            "lib32-glibc",
            "gtk2+",
            "python3.12",
            "r@x_y",
        ] {
            assert_eq!(validate_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "-Syu",
            "--config=/x",
            ".hidden",
            "foo;rm",
            "a b",
            "a/b",
            "é",
            "x$(id)",
            "a=1",
        ] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert!(validate_name(&"a".repeat(256)).is_err());
    }

    #[test]
    fn versions() {
        for ok in [
            "1.0-1",
            "1.0",
            "1:2.3.4-5",
            "6.1.0.arch1-1",
            "1.0-1.1",
            "2024_01+git~r3-2",
            "r123",
        ] {
            assert_eq!(validate_version(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "-1",
            "1.0-",
            "1.0-x",
            "a:1.0",
            ":1.0",
            "1.0-1-1",
            "1 0",
            "1.0;x",
            ".1",
            "1/2",
            "1.0-1.2.3",
        ] {
            assert!(validate_version(bad).is_err(), "{bad}");
        }
    }
}
