//! RPM package-name grammar, the `name:arch` qualifier of the API, and the package specs handed to dnf.

use super::evr::validate_version;
use crate::backend::PackageSpec;

/// Longest accepted name, `:arch` included.
const MAX_LEN: usize = 128;

/// Checks `name[:arch]`: the name is letters, digits, `.`, `_`, `+` and `-`, starting with a letter, digit
/// or `_` (rpm allows nothing else dnf would not read as a glob or an option); the optional architecture
/// qualifier is letters, digits and `_`. The error says what is wrong.
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
    let (name, arch) = split_arch(full);
    let Some(first) = name.chars().next() else {
        return Err("package name is empty before ':'".into());
    };
    if !(first.is_ascii_alphanumeric() || first == '_') {
        return Err(format!(
            "package name must start with a letter, digit or '_', not {first:?}"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-')))
    {
        return Err(format!(
            "package name contains {bad:?}; only letters, digits, '.', '_', '+' and '-' are allowed"
        ));
    }
    if let Some(arch) = arch {
        if arch.is_empty() {
            return Err("architecture after ':' is empty".into());
        }
        if let Some(bad) = arch.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
            return Err(format!(
                "architecture contains {bad:?}; only letters, digits and '_' are allowed"
            ));
        }
    }
    Ok(())
}

/// `name:arch` split into name and architecture (`None` when unqualified).
pub fn split_arch(full: &str) -> (&str, Option<&str>) {
    match full.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (full, None),
    }
}

/// The dnf argument for `spec`, validated: `name`, `name.arch`, `name-version` or `name-version.arch`
/// (dnf reads each of these forms).
pub fn dnf_spec(spec: &PackageSpec) -> Result<String, String> {
    validate_name(&spec.name).map_err(|e| format!("{:?}: {e}", spec.name))?;
    let (name, arch) = split_arch(&spec.name);
    let mut out = name.to_string();
    if let Some(v) = &spec.version {
        validate_version(v).map_err(|e| format!("{}: {e}", spec.name))?;
        out.push('-');
        out.push_str(v);
    }
    if let Some(a) = arch {
        out.push('.');
        out.push_str(a);
    }
    Ok(out)
}

/// The dnf argument for an unpinned `name[:arch]`, validated.
pub fn dnf_name(full: &str) -> Result<String, String> {
    dnf_spec(&PackageSpec {
        name: full.to_string(),
        version: None,
    })
}

#[cfg(test)]
mod tests {
    use super::{dnf_name, dnf_spec, split_arch, validate_name};
    use crate::backend::PackageSpec;

    fn spec(n: &str, v: Option<&str>) -> PackageSpec {
        PackageSpec {
            name: n.into(),
            version: v.map(str::to_string),
        }
    }

    #[test]
    fn names_and_qualifiers() {
        for ok in [
            "bash",
            "NetworkManager",
            "perl-Data-Dumper",
            "libstdc++",
            "python3.11",
            "_x",
            "a",
            "glibc:x86_64",
            "pmtest-hello:noarch",
        ] {
            assert_eq!(validate_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "-y",
            "--installroot=/",
            "foo;rm",
            "a b",
            "a*",
            "a?",
            "[a]",
            "a/b",
            ":x86_64",
            "a:",
            "a:x-86",
            "a:b:c",
            "$(id)",
            "é",
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?} accepted");
        }
        assert!(validate_name(&"a".repeat(129)).is_err());
        assert_eq!(split_arch("a:b"), ("a", Some("b")));
    }

    #[test]
    fn specs_for_dnf() {
        assert_eq!(dnf_spec(&spec("pmtest-hello", None)).unwrap(), "pmtest-hello");
        assert_eq!(
            dnf_spec(&spec("pmtest-hello", Some("1.0"))).unwrap(),
            "pmtest-hello-1.0"
        );
        assert_eq!(
            dnf_spec(&spec("pmtest-hello:noarch", Some("1:1.0-1"))).unwrap(),
            "pmtest-hello-1:1.0-1.noarch"
        );
        assert_eq!(dnf_name("glibc:x86_64").unwrap(), "glibc.x86_64");
        assert!(dnf_spec(&spec("pmtest-hello", Some("-1"))).is_err());
        assert!(dnf_name("-x").is_err());
    }
}
