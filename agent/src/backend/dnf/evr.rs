//! RPM versions: `[epoch:]version[-release]` parsing, validation, and ordering with rpm's own `rpmvercmp`
//! rules (alphanumeric segments, `~` sorting before everything, `^` after the end of a version).

use std::cmp::Ordering;

/// Longest accepted version string.
const MAX_LEN: usize = 128;

/// An `[epoch:]version[-release]` split into its parts (epoch absent = 0 when compared).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evr<'a> {
    /// Epoch digits, when given.
    pub epoch: Option<&'a str>,
    /// Upstream version.
    pub version: &'a str,
    /// Package release, when given.
    pub release: Option<&'a str>,
}

impl<'a> Evr<'a> {
    /// Splits `s`: the epoch is the part before the first `:` when it is all digits, the release the part
    /// after the last `-`.
    pub fn parse(s: &'a str) -> Evr<'a> {
        let (epoch, rest) = match s.split_once(':') {
            Some((e, r)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (Some(e), r),
            _ => (None, s),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, Some(r)),
            None => (rest, None),
        };
        Evr {
            epoch,
            version,
            release,
        }
    }
}

/// Orders two `[epoch:]version[-release]` strings the way rpm does (`rpmverCmp`, Lua `rpm.ver`): epochs
/// (absent = 0), then versions, then releases (absent = empty, so `1.0` < `1.0-1`).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (x, y) = (Evr::parse(a), Evr::parse(b));
    rpmvercmp(x.epoch.unwrap_or("0"), y.epoch.unwrap_or("0"))
        .then_with(|| rpmvercmp(x.version, y.version))
        .then_with(|| rpmvercmp(x.release.unwrap_or(""), y.release.unwrap_or("")))
}

/// Orders a requested version against a package's full version the way a dependency range does: a
/// part the request leaves out (release, epoch) is not compared (`1.0` matches `1.0-3`).
pub fn compare_requested(wanted: &str, have: &str) -> Ordering {
    let (w, h) = (Evr::parse(wanted), Evr::parse(have));
    let epochs = match w.epoch {
        Some(e) => rpmvercmp(e, h.epoch.unwrap_or("0")),
        None => Ordering::Equal,
    };
    epochs
        .then_with(|| rpmvercmp(w.version, h.version))
        .then_with(|| match (w.release, h.release) {
            (Some(r1), Some(r2)) => rpmvercmp(r1, r2),
            _ => Ordering::Equal,
        })
}

/// `[epoch:]version` or `name-[epoch:]version-release` formatted the way rpm and dnf print it: the epoch
/// only when it is not 0.
pub fn format_evr(epoch: &str, version: &str, release: &str) -> String {
    let e = epoch.trim();
    if e.is_empty() || e == "0" || e == "(none)" {
        format!("{version}-{release}")
    } else {
        format!("{e}:{version}-{release}")
    }
}

/// rpm's `rpmvercmp`: compares two version (or release) strings segment by segment. Separators are any
/// characters other than letters, digits, `~` and `^`; numeric segments compare as numbers and are newer
/// than alphabetic ones; `~` sorts before anything (even the end), `^` after the end but before anything
/// else; when all segments tie, the string with segments left over is newer.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            match (ca, cb) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(x), _) if x != b'^' => return Ordering::Greater,
                (_, Some(y)) if y != b'^' => return Ordering::Less,
                _ => {}
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(first), Some(_)) = (ca, cb) else {
            break;
        };
        let numeric = first.is_ascii_digit();
        let class = |c: u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (si, sj) = (i, j);
        while i < a.len() && class(a[i]) {
            i += 1;
        }
        while j < b.len() && class(b[j]) {
            j += 1;
        }
        let (seg_a, seg_b) = (&a[si..i], &b[sj..j]);
        if seg_b.is_empty() {
            // Different kinds of segment: a number is newer than letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let ord = if numeric {
            let trim = |s: &'_ [u8]| -> usize { s.iter().take_while(|c| **c == b'0').count() };
            let (na, nb) = (&seg_a[trim(seg_a)..], &seg_b[trim(seg_b)..]);
            na.len().cmp(&nb.len()).then_with(|| na.cmp(nb))
        } else {
            seg_a.cmp(seg_b)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, _) => Ordering::Greater,
    }
}

/// Checks `[epoch:]version[-release]`: an optional all-digit epoch, then a version and an optional
/// release made of letters, digits, `.`, `_`, `+`, `~` and `^`, each starting with a letter or digit.
/// The error says what is wrong.
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
    let rest = match v.split_once(':') {
        Some((e, r)) => {
            if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("epoch {e:?} must be digits only"));
            }
            r
        }
        None => v,
    };
    let (version, release) = match rest.split_once('-') {
        Some((ver, rel)) => (ver, Some(rel)),
        None => (rest, None),
    };
    check_part("version", version)?;
    if let Some(rel) = release {
        check_part("release", rel)?;
    }
    Ok(())
}

fn check_part(what: &str, s: &str) -> Result<(), String> {
    let Some(first) = s.chars().next() else {
        return Err(format!("{what} is empty"));
    };
    if !first.is_ascii_alphanumeric() {
        return Err(format!("{what} must start with a letter or digit, not {first:?}"));
    }
    if let Some(bad) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '~' | '^')))
    {
        return Err(format!(
            "{what} contains {bad:?}; only letters, digits, '.', '_', '+', '~' and '^' are allowed \
             (one '-' separates version and release)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
