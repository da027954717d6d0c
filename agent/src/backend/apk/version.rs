//! Alpine package versions: the grammar apk accepts (`apk version -c`) and apk's ordering
//! (`apk version -t`), including the fuzzy `~` match of world constraints.
//!
//! Grammar: `digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}`; suffixes `_alpha`, `_beta`,
//! `_pre`, `_rc` sort before the plain version, `_cvs`, `_svn`, `_git`, `_hg`, `_p` after it. A
//! number with a leading zero after a `.` compares as a string (`1.02 < 1.1`, `8.2.0 < 8.2.001`).

use std::cmp::Ordering;

/// Longest accepted version.
const MAX_LEN: usize = 128;

/// Token kinds in the order the grammar allows them (the order matters for comparison).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Initial,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    Hash,
    Revision,
    End,
    Invalid,
}

/// Suffix ranks: pre-release suffixes below [`SUFFIX_NONE`], post-release ones above.
const SUFFIXES: [(&str, u8); 9] = [
    ("alpha", 1),
    ("beta", 2),
    ("pre", 3),
    ("rc", 4),
    ("cvs", 6),
    ("svn", 7),
    ("git", 8),
    ("hg", 9),
    ("p", 10),
];
const SUFFIX_NONE: u8 = 5;

/// One token and the text it came from.
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    suffix: u8,
    number: u64,
    text: &'a [u8],
}

/// Walks a version token by token.
struct Lexer<'a> {
    rest: &'a [u8],
    tok: Token<'a>,
}

impl<'a> Lexer<'a> {
    fn new(v: &'a str) -> Lexer<'a> {
        let mut l = Lexer {
            rest: v.as_bytes(),
            tok: Token {
                kind: Kind::Initial,
                suffix: 0,
                number: 0,
                text: &[],
            },
        };
        l.digits();
        l
    }

    /// Takes a run of digits as the current token's number (none: invalid).
    fn digits(&mut self) {
        let n = self.rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let (text, rest) = self.rest.split_at(n);
        self.tok.text = text;
        self.tok.number = text.iter().fold(0u64, |acc, c| {
            acc.wrapping_mul(10).wrapping_add(u64::from(c - b'0'))
        });
        self.rest = rest;
        if n == 0 {
            self.tok.kind = Kind::Invalid;
        }
    }

    /// Takes the longest prefix of `rest` whose bytes satisfy `f`.
    fn take(&mut self, f: fn(&u8) -> bool) -> &'a [u8] {
        let n = self.rest.iter().take_while(|c| f(c)).count();
        let (text, rest) = self.rest.split_at(n);
        self.rest = rest;
        text
    }

    /// Advances to the next token, checking that it may follow the current one.
    fn next(&mut self) {
        let prev = self.tok.kind;
        let Some(&c) = self.rest.first() else {
            self.tok.kind = Kind::End;
            return;
        };
        self.tok.kind = match c {
            b'a'..=b'z' if prev <= Kind::Digit => {
                self.tok.text = &self.rest[..1];
                self.rest = &self.rest[1..];
                Kind::Letter
            }
            b'.' | b'0'..=b'9' => {
                let kind = match prev {
                    Kind::Initial | Kind::Digit => Kind::Digit,
                    Kind::Suffix if c != b'.' => Kind::SuffixNo,
                    _ => Kind::Invalid,
                };
                if kind == Kind::Invalid {
                    Kind::Invalid
                } else {
                    if c == b'.' {
                        self.rest = &self.rest[1..];
                    }
                    self.tok.kind = kind;
                    self.digits();
                    self.tok.kind
                }
            }
            b'_' if prev <= Kind::SuffixNo => {
                self.rest = &self.rest[1..];
                let text = self.take(u8::is_ascii_lowercase);
                self.tok.text = text;
                match SUFFIXES.iter().find(|(s, _)| s.as_bytes() == text) {
                    Some(&(_, rank)) => {
                        self.tok.suffix = rank;
                        Kind::Suffix
                    }
                    None => Kind::Invalid,
                }
            }
            b'~' if prev < Kind::Hash => {
                self.rest = &self.rest[1..];
                let text = self.take(u8::is_ascii_hexdigit);
                self.tok.text = text;
                if text.is_empty() {
                    Kind::Invalid
                } else {
                    Kind::Hash
                }
            }
            b'-' if prev < Kind::Revision && self.rest.get(1) == Some(&b'r') => {
                self.rest = &self.rest[2..];
                self.tok.kind = Kind::Revision;
                self.digits();
                self.tok.kind
            }
            _ => Kind::Invalid,
        };
    }
}

/// Byte-wise order, a prefix first (apk's `apk_blob_sort`).
fn text_order(a: &[u8], b: &[u8]) -> Ordering {
    a.cmp(b)
}

/// Compares two tokens of the same kind.
fn token_order(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        Kind::Digit if a.text.first() == Some(&b'0') || b.text.first() == Some(&b'0') => {
            text_order(a.text, b.text)
        }
        Kind::Digit | Kind::Initial | Kind::SuffixNo | Kind::Revision => a.number.cmp(&b.number),
        Kind::Letter => a.text.first().cmp(&b.text.first()),
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        _ => text_order(a.text, b.text),
    }
}

/// apk's comparison; `fuzzy` makes `a` match when `b` is a prefix of it (the `~` operator).
fn compare_impl(a: &str, b: &str, fuzzy: bool) -> Ordering {
    let (mut la, mut lb) = (Lexer::new(a), Lexer::new(b));
    while la.tok.kind == lb.tok.kind && la.tok.kind < Kind::End {
        let r = token_order(&la.tok, &lb.tok);
        if r != Ordering::Equal {
            return r;
        }
        la.next();
        lb.next();
    }
    let (ta, tb) = (la.tok, lb.tok);
    if ta.kind == tb.kind || (fuzzy && tb.kind == Kind::End) {
        return Ordering::Equal;
    }
    // Equal so far: the longer version is greater, unless what follows is a pre-release suffix.
    if ta.kind == Kind::Suffix && ta.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if tb.kind == Kind::Suffix && tb.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    tb.kind.cmp(&ta.kind)
}

/// Orders two Alpine versions exactly as apk-tools 2.14/3.0 do (`apk version -t A B`). Invalid
/// versions still get apk's (arbitrary but stable) answer.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    compare_impl(a, b, false)
}

/// Whether `version` satisfies the dependency operator `op` against `wanted` (`=`, `<`, `<=`, `>`,
/// `>=`, `~`, `=~`, `<~`, `>~`), as in a world entry `name<op><wanted>`. Unknown operators
/// (checksum pins `><`) never match.
pub fn satisfies(version: &str, op: &str, wanted: &str) -> bool {
    if op.is_empty() || op == "><" || op.chars().any(|c| !matches!(c, '<' | '>' | '=' | '~')) {
        return false;
    }
    let fuzzy = op.contains('~');
    match compare_impl(version, wanted, fuzzy) {
        Ordering::Less => op.contains('<'),
        Ordering::Greater => op.contains('>'),
        Ordering::Equal => op.contains('=') || fuzzy,
    }
}

/// Checks a version against apk's grammar (what `apk version -c` accepts); the error says what is
/// wrong. At most 128 bytes.
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
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '~' | '-')))
    {
        return Err(format!(
            "version contains {bad:?}; only lowercase letters, digits, '.', '_', '~' and '-' are allowed"
        ));
    }
    let mut l = Lexer::new(v);
    while l.tok.kind < Kind::End {
        l.next();
    }
    if l.tok.kind == Kind::End {
        Ok(())
    } else {
        let at = v.len() - l.rest.len();
        Err(format!(
            "{v:?} is not an Alpine version (digit{{.digit}}{{letter}}{{_suffix{{N}}}}{{~hash}}{{-rN}}); \
             invalid near byte {at}"
        ))
    }
}

#[cfg(test)]
mod tests;
