//! Reading dnf's text output: a monotonic percentage from the download counter `(i/n): ` and the rpm
//! transaction lines `  Installing : NEVRA  i/n`, the decisive error lines of a failed run, fetch failures,
//! and the repositories a `makecache` could not fetch.

/// Where each stage starts on the bar: resolving, downloading, running the transaction, verifying.
const RESOLVED: u32 = 5;
const DOWNLOAD: u32 = 10;
const TRANSACTION: u32 = 30;
const VERIFY: u32 = 90;

/// Turns output lines into a monotonic percentage with a phase in words.
#[derive(Debug, Default)]
pub struct Tracker {
    last: u8,
}

impl Tracker {
    /// Feeds one line; returns the new percentage and phase when the line moved the work forward. The
    /// percentage never goes down and stays below 100 (only [`Tracker::finish`] reports 100).
    pub fn observe(&mut self, line: &str) -> Option<(u8, String)> {
        let (pct, phase) = step(line)?;
        let pct = u8::try_from(pct.min(99)).unwrap_or(99);
        self.last = self.last.max(pct);
        Some((self.last, phase))
    }

    /// 100 %, to report when the command succeeded.
    pub fn finish(&mut self) -> (u8, &'static str) {
        self.last = 100;
        (100, "done")
    }
}

/// Percentage and phase a line stands for, if it is a progress line.
fn step(line: &str) -> Option<(u32, String)> {
    let t = line.trim();
    match t {
        "Dependencies resolved." => return Some((RESOLVED, "resolving dependencies".into())),
        "Downloading Packages:" => return Some((DOWNLOAD, "downloading".into())),
        "Running transaction" => return Some((TRANSACTION, "running transaction".into())),
        _ => {}
    }
    if let Some(rest) = t.strip_prefix('(') {
        // `(2/5): name-1.0-1.noarch.rpm   12 kB/s | 6.0 kB  00:00`
        let (counter, _) = rest.split_once("): ")?;
        let (i, n) = fraction(counter)?;
        return Some((DOWNLOAD + (TRANSACTION - DOWNLOAD) * i / n, "downloading".into()));
    }
    // `  Installing       : pmtest-lib-1.0-1.noarch          1/3`
    let (action, rest) = t.split_once(" : ").or_else(|| t.split_once(':'))?;
    let action = action.trim();
    let verb = match action {
        "Installing" | "Upgrading" | "Downgrading" | "Reinstalling" | "Obsoleting" | "Erasing"
        | "Cleanup" | "Running scriptlet" | "Verifying" => action.to_lowercase(),
        _ => return None,
    };
    let mut words = rest.split_whitespace();
    let (first, last) = (words.next()?, words.next_back()?);
    let (i, n) = fraction(last)?;
    let (base, span) = if verb == "verifying" {
        (VERIFY, 99 - VERIFY)
    } else {
        (TRANSACTION, VERIFY - TRANSACTION)
    };
    Some((base + span * i / n, format!("{verb} {first}")))
}

/// `i/n` with 1 ≤ i ≤ n.
fn fraction(s: &str) -> Option<(u32, u32)> {
    let (i, n) = s.split_once('/')?;
    let (i, n): (u32, u32) = (i.trim().parse().ok()?, n.trim().parse().ok()?);
    (n > 0 && i <= n).then_some((i, n))
}

/// Whether the output shows that a download failed (the job then refreshes the index and retries).
pub fn is_fetch_error(lines: &[String]) -> bool {
    lines.iter().any(|l| {
        l.contains("Curl error")
            || l.contains("Cannot download")
            || l.contains("Failed to download metadata")
            || l.contains("Error downloading packages")
            || l.contains("Status code: 404")
            || l.contains("No more mirrors to try")
    })
}

/// The decisive lines of a failed run: dnf's `Error:` lines, unmatched arguments and solver problems,
/// in order and without repeats, joined with ` | `; the last output lines when there are none.
pub fn failure_message(lines: &[String]) -> String {
    let mut picked: Vec<&str> = Vec::new();
    for l in lines {
        let t = l.trim();
        let decisive = t.starts_with("Error:")
            || t.starts_with("No match for argument")
            || t.starts_with("Problem")
            || t.starts_with("- ")
            || t.starts_with("Cannot find rpm nevra")
            || t.starts_with("Package nevra");
        if decisive && !picked.contains(&t) {
            picked.push(t);
        }
    }
    if picked.is_empty() {
        let nonempty: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
        picked = nonempty[nonempty.len().saturating_sub(3)..].to_vec();
    }
    if picked.is_empty() {
        "no error message in the output".into()
    } else {
        picked.join(" | ")
    }
}

/// `makecache` failed when it exited non-zero or (with `skip_if_unavailable` in force somewhere) only
/// said so: the failure described with the repositories named, or `None` when the refresh worked.
pub fn makecache_failure(lines: &[String], exit_ok: bool) -> Option<String> {
    let mut repos: Vec<String> = Vec::new();
    for l in lines {
        let named = l
            .split("for repo '")
            .nth(1)
            .or_else(|| l.split("for repository '").nth(1))
            .and_then(|r| r.split('\'').next());
        if let Some(r) = named {
            if !repos.iter().any(|x| x == r) {
                repos.push(r.to_string());
            }
        }
        if let Some(list) = l.trim().strip_prefix("Ignoring repositories:") {
            for r in list.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                if !repos.iter().any(|x| x == r) {
                    repos.push(r.to_string());
                }
            }
        }
    }
    if exit_ok && repos.is_empty() {
        return None;
    }
    let which = if repos.is_empty() {
        "a repository".to_string()
    } else {
        format!("repository {}", repos.join(", "))
    };
    Some(format!(
        "makecache could not fetch {which}: {}",
        failure_message(lines)
    ))
}

#[cfg(test)]
mod tests;
