//! Lenient readers for query-string values clients send in several spellings: booleans as `true`/`false`
//! in any case (Python `requests` sends `True`) or `1`/`0`.

use serde::{Deserialize, Deserializer};

/// `true`/`false` in any case, `1`/`0`; anything else is `None`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" => Some(true),
        "0" => Some(false),
        _ if s.eq_ignore_ascii_case("true") => Some(true),
        _ if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn bool_text<E: serde::de::Error>(s: &str) -> Result<bool, E> {
    parse_bool(s).ok_or_else(|| E::custom(format!("`{s}` is not a boolean (true, false, 1 or 0)")))
}

/// For `#[serde(default, deserialize_with = "...")]` on an `Option<bool>` query field.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| bool_text(&s))
        .transpose()
}

/// For `#[serde(default, deserialize_with = "...")]` on a `bool` query field.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    bool_text(&String::deserialize(d)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Q {
        #[serde(default, deserialize_with = "opt_bool")]
        a: Option<bool>,
        #[serde(default, deserialize_with = "flag")]
        b: bool,
    }

    fn q(s: &str) -> Result<Q, String> {
        actix_web::web::Query::<Q>::from_query(s)
            .map(|q| q.into_inner())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn booleans_in_any_case_and_as_digits() {
        for (s, want) in [
            ("a=true", Some(true)),
            ("a=True", Some(true)),
            ("a=FALSE", Some(false)),
            ("a=1", Some(true)),
            ("a=0", Some(false)),
            ("", None),
        ] {
            assert_eq!(q(s).unwrap().a, want, "{s}");
        }
        assert!(q("b=True").unwrap().b);
        assert!(!q("").unwrap().b);
        for bad in ["a=yes", "a=", "b=2", "a=tru"] {
            let e = q(bad).unwrap_err();
            assert!(e.contains("is not a boolean"), "{bad}: {e}");
        }
    }
}
