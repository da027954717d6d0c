//! The user-name grammar: `[a-z][a-z0-9._-]*`, 1 to 64 characters, ending in a letter or digit.

/// Longest accepted user name.
pub const MAX_LEN: usize = 64;

/// Checks `name` against the grammar; the error says what is wrong.
pub fn validate(name: &str) -> Result<(), String> {
    let bytes = name.as_bytes();
    let Some(first) = bytes.first() else {
        return Err("a user name cannot be empty".into());
    };
    if bytes.len() > MAX_LEN {
        return Err(format!("a user name has at most {MAX_LEN} characters"));
    }
    if !first.is_ascii_lowercase() {
        return Err(format!(
            "user name `{name}` must start with a lowercase letter a-z"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "user name `{name}` contains `{}`; allowed: lowercase letters, digits, `.`, `_`, `-`",
            bad.escape_default()
        ));
    }
    if bytes.last().is_some_and(|b| !b.is_ascii_alphanumeric()) {
        return Err(format!("user name `{name}` must end with a letter or digit"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_grammar() {
        for ok in ["alice", "a", "bob.smith", "ops_1", "x-2", &"a".repeat(64)] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "Alice",
            "1alice",
            "-alice",
            "alice-",
            "al ice",
            "al;ice",
            "al\nice",
            "élise",
            &"a".repeat(65),
        ] {
            assert!(validate(bad).is_err(), "{bad:?} accepted");
        }
    }
}
