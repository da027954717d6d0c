//! One-time recovery codes: generation (`k7q2-9xmd-4hfa`), normalisation of what users type, SHA-256 hashes.

use rand::seq::IndexedRandom;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// How many codes a user gets at a time.
pub const COUNT: usize = 10;

/// Lowercase letters and digits without the look-alikes `0 o 1 l i` (31 symbols, about 59 bits per code).
const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Symbols per code.
const LEN: usize = 12;
/// Symbols per dash-separated group.
const GROUP: usize = 4;

/// `COUNT` fresh codes from the thread's CSPRNG, each 12 symbols grouped by 4 with `-` (`k7q2-9xmd-4hfa`).
pub fn generate() -> Vec<String> {
    let mut rng = rand::rng();
    (0..COUNT)
        .map(|_| {
            let mut code = String::with_capacity(LEN + LEN / GROUP);
            for i in 0..LEN {
                if i > 0 && i % GROUP == 0 {
                    code.push('-');
                }
                if let Some(&b) = ALPHABET.choose(&mut rng) {
                    code.push(char::from(b));
                }
            }
            code
        })
        .collect()
}

/// What a user typed, made comparable: lowercase, spaces (any whitespace) and `-` removed.
pub fn normalize(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// SHA-256 (lowercase hex) of the normalised code: what `recovery_codes.code_hash` stores.
pub fn hash(code: &str) -> String {
    let digest = Sha256::digest(normalize(code).as_bytes());
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_documented_shape_and_differ() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        for c in &codes {
            assert_eq!(c.len(), 14, "{c}");
            let groups: Vec<&str> = c.split('-').collect();
            assert_eq!(groups.len(), 3, "{c}");
            assert!(groups.iter().all(|g| g.len() == 4), "{c}");
            assert!(
                c.bytes().filter(|&b| b != b'-').all(|b| ALPHABET.contains(&b)),
                "{c}"
            );
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), COUNT);
    }

    #[test]
    fn normalisation_ignores_case_spaces_and_dashes() {
        assert_eq!(normalize(" K7Q2-9xmd 4HFA "), "k7q29xmd4hfa");
        assert_eq!(hash("k7q2-9xmd-4hfa"), hash("K7Q2 9XMD 4HFA"));
        assert_eq!(hash("k7q2-9xmd-4hfa"), hash("k7q29xmd4hfa"));
        assert_ne!(hash("k7q2-9xmd-4hfa"), hash("k7q2-9xmd-4hfb"));
    }

    #[test]
    fn hash_is_sha256_hex() {
        // SHA-256("abc")
        assert_eq!(
            hash("a-b-c"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
