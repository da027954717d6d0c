//! The user name of a new SSO user: from `preferred_username`, made to fit the manager's grammar (never a key).

/// A valid user name from `display` (`Jane.Doe@contoso.com` -> `jane.doe`), `sso-<oid prefix>` when nothing fits.
pub fn derive(display: &str, oid: &str) -> String {
    let local = display.split('@').next().unwrap_or("").to_ascii_lowercase();
    let mut s: String = local
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(48)
        .collect();
    while s.ends_with(|c: char| !c.is_ascii_alphanumeric()) {
        s.pop();
    }
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        s = format!(
            "sso-{}",
            oid.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(8)
                .collect::<String>()
        );
    }
    s
}

/// The `n`-th alternative when `base` is taken (`jane.doe-2`).
pub fn alternative(base: &str, n: u32) -> String {
    format!("{base}-{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_valid_names() {
        assert_eq!(derive("Jane.Doe@contoso.com", "x"), "jane.doe");
        assert_eq!(derive("", "0a1b2c3d-ffff"), "sso-0a1b2c3d");
        assert_eq!(derive("9lives@x", "abcdef12-1"), "sso-abcdef12");
        assert_eq!(derive("Zoë Ä", "o"), "zo");
        for n in [derive("a b c!", "o"), alternative("jane", 2)] {
            crate::auth::username::validate(&n).unwrap();
        }
    }
}
