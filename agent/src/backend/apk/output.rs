//! Reading apk's text output: progress from the `(i/n) Verb name (version)` lines, the decisive
//! `ERROR:` blocks of a failed run, fetch failures, packages `apk del` kept, and `apk update`
//! failures that apk only warns about.

/// Prefix of the lines that start one package step: `(1/3) Installing pmtest-lib (1.0-r0)`.
fn parse_step(line: &str) -> Option<(u32, u32, String)> {
    let rest = line.strip_prefix('(')?;
    let (counts, rest) = rest.split_once(") ")?;
    let (i, n) = counts.split_once('/')?;
    let (i, n): (u32, u32) = (i.parse().ok()?, n.parse().ok()?);
    if i == 0 || i > n {
        return None;
    }
    let mut words = rest.split_whitespace();
    let verb = words.next()?.to_lowercase();
    let phase = match words.next() {
        Some(name) => format!("{verb} {name}"),
        None => verb,
    };
    Some((i, n, phase))
}

/// Turns the output of a run of several apk commands into one monotonic percentage below 100.
#[derive(Debug)]
pub struct Tracker {
    steps: u32,
    step: u32,
    last: u8,
}

impl Tracker {
    /// A tracker for `steps` apk commands run one after the other.
    pub fn new(steps: usize) -> Tracker {
        Tracker {
            steps: u32::try_from(steps.max(1)).unwrap_or(u32::MAX),
            step: 0,
            last: 0,
        }
    }

    /// The next apk command (0-based `index`) starts: its share begins.
    pub fn start(&mut self, index: usize) -> (u8, String) {
        self.step = u32::try_from(index).unwrap_or(u32::MAX).min(self.steps);
        let pct = self.percent(0, 1);
        (pct, "starting".to_string())
    }

    /// Feeds one line; a `(i/n) Verb name` line returns the new percentage (the share of the packages
    /// done before this one) and the phase (`installing pmtest-lib`).
    pub fn observe(&mut self, line: &str) -> Option<(u8, String)> {
        let (i, n, phase) = parse_step(line)?;
        Some((self.percent(i - 1, n), phase))
    }

    fn percent(&mut self, done: u32, of: u32) -> u8 {
        let steps = u64::from(self.steps);
        let whole = u64::from(self.step) * u64::from(of) + u64::from(done);
        let pct = (99 * whole / (steps * u64::from(of).max(1))).min(99);
        self.last = self.last.max(u8::try_from(pct).unwrap_or(99));
        self.last
    }
}

/// The `ERROR:` lines, each with the indented lines that follow it (apk's explanation), joined with
/// spaces; blocks joined with ` | `. The last output lines when there is no `ERROR:`.
pub fn failure_message(lines: &[String]) -> String {
    let mut blocks: Vec<String> = Vec::new();
    let mut in_block = false;
    for l in lines {
        if l.starts_with("ERROR:") {
            blocks.push(l.trim().to_string());
            in_block = true;
        } else if in_block && l.starts_with(' ') && !l.trim().is_empty() {
            if let Some(b) = blocks.last_mut() {
                b.push(' ');
                b.push_str(l.trim());
            }
        } else {
            in_block = false;
        }
    }
    blocks.dedup();
    if blocks.is_empty() {
        let nonempty: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
        blocks = nonempty[nonempty.len().saturating_sub(3)..]
            .iter()
            .map(|s| s.to_string())
            .collect();
    }
    if blocks.is_empty() {
        "no error message in the output".to_string()
    } else {
        blocks.join(" | ")
    }
}

/// Whether an `ERROR:` line says a download failed (the job then refreshes the index once and
/// retries). A busy database lock ("temporary error" too) is not a fetch failure.
pub fn is_fetch_error(lines: &[String]) -> bool {
    const MARKERS: [&str; 7] = [
        "network error",
        "temporary error",
        "not found",
        "404",
        "fetch",
        "dns lookup",
        "connection refused",
    ];
    lines.iter().any(|l| {
        let l = l.to_lowercase();
        l.starts_with("error:")
            && !l.contains("lock")
            && !l.contains("apk database")
            && MARKERS.iter().any(|m| l.contains(m))
    })
}

/// What `apk del` kept although asked to remove it (it exits 0 then): `(name, needed by)` from
/// `World updated, but the following packages are not removed due to:` and the `  name: pkgs` lines
/// after it.
pub fn not_removed(lines: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut it = lines.iter();
    while let Some(l) = it.next() {
        if !l.starts_with("World updated, but the following packages are not removed") {
            continue;
        }
        for l in it.by_ref() {
            if l.trim().is_empty() || !l.starts_with(' ') {
                break;
            }
            if let Some((name, why)) = l.trim().split_once(':') {
                out.push((name.trim().to_string(), why.trim().to_string()));
            }
        }
    }
    out
}

/// `apk update` exits 0 when a repository cannot be read (only a `WARNING:` says so): the failure
/// described, naming each repository, or `None` when the update worked. A non-zero exit, an
/// `ERROR:` or `WARNING:` line (except apk's note that it is outdated) or a summary counting
/// unavailable repositories or errors is a failure.
pub fn update_failure(stdout: &[String], stderr: &[String], exit_ok: bool) -> Option<String> {
    let all = || stdout.iter().chain(stderr.iter());
    let problems: Vec<&String> = all()
        .filter(|l| (l.starts_with("ERROR:") || l.starts_with("WARNING:")) && !l.contains("apk-tools is OLD"))
        .collect();
    let bad_summary = all().find(|l| {
        let mut w = l.split_whitespace();
        let counted = w.next().is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n > 0));
        counted
            && w.next()
                .is_some_and(|k| k.starts_with("error") || k.starts_with("unavailable"))
    });
    if exit_ok && problems.is_empty() && bad_summary.is_none() {
        return None;
    }
    let mut repos: Vec<String> = Vec::new();
    for l in &problems {
        for verb in ["opening ", "fetching ", "updating "] {
            if let Some(repo) = l
                .split(verb)
                .nth(1)
                .and_then(|r| r.rsplit_once(": "))
                .map(|(r, _)| r)
            {
                if !repos.iter().any(|x| x == repo) {
                    repos.push(repo.to_string());
                }
            }
        }
    }
    let which = if repos.is_empty() {
        "a repository".to_string()
    } else {
        format!("repository {}", repos.join(", "))
    };
    let mut detail: Vec<String> = problems.iter().map(|l| l.to_string()).collect();
    detail.extend(bad_summary.cloned());
    if detail.is_empty() {
        detail.push(failure_message(&all().cloned().collect::<Vec<_>>()));
    }
    Some(format!(
        "apk update could not read {which}: {}",
        detail.join(" | ")
    ))
}

#[cfg(test)]
mod tests;
