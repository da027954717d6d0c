//! Reading apt-get's and dpkg's text output: progress from the plan line and the per-package dpkg lines,
//! the decisive error lines of a failed run, and the repositories an `apt-get update` could not fetch.
//!
//! `APT::Status-Fd` is not used: with `Dpkg::Use-Pty=false` (needed to keep dpkg in our process group) apt
//! swallows dpkg's own output on the status descriptor, and those lines are what the job streams.

/// Share of the bar for downloading; unpacking/configuring/removing fill the rest.
const DOWNLOAD_SHARE: u32 = 20;

/// Turns output lines into a monotonic percentage with a phase in words.
#[derive(Debug, Default)]
pub struct Tracker {
    /// Packages to download (installed, upgraded, downgraded, reinstalled), from the plan line.
    fetches: u32,
    /// dpkg steps expected: two per installed package, one per removal, one per pending configure.
    steps: u32,
    fetched: u32,
    done: u32,
    last: u8,
}

impl Tracker {
    /// Feeds one line; returns the new percentage and phase when the line moved the work forward. The
    /// percentage never goes down and stays below 100 (only [`Tracker::finish`] reports 100).
    pub fn observe(&mut self, line: &str) -> Option<(u8, String)> {
        if let Some(plan) = parse_plan(line) {
            self.fetches = plan.fetches;
            self.steps = plan.steps;
            return None;
        }
        if let Some(n) = line
            .trim()
            .strip_suffix(" not fully installed or removed.")
            .and_then(|n| n.parse::<u32>().ok())
        {
            self.steps += n;
            return None;
        }
        let phase = if line.starts_with("Get:") {
            self.fetched += 1;
            "downloading".to_string()
        } else {
            let (verb, rest) = dpkg_step(line)?;
            self.done += 1;
            let name = rest.split_whitespace().next().unwrap_or("");
            format!("{verb} {name}")
        };
        let pct = self.percent();
        self.last = self.last.max(pct);
        Some((self.last, phase))
    }

    /// 100 %, to report when the command succeeded.
    pub fn finish(&mut self) -> (u8, &'static str) {
        self.last = 100;
        (100, "done")
    }

    fn percent(&self) -> u8 {
        let dl = (DOWNLOAD_SHARE * self.fetched.min(self.fetches))
            .checked_div(self.fetches)
            .unwrap_or(0);
        let work = ((99 - DOWNLOAD_SHARE) * self.done.min(self.steps))
            .checked_div(self.steps)
            .unwrap_or(0);
        // A dpkg step means downloading is over, whatever the Get: count said.
        let dl = if self.done > 0 { DOWNLOAD_SHARE } else { dl };
        u8::try_from((dl + work).min(99)).unwrap_or(99)
    }
}

/// The dpkg lines that finish a step, as (phase verb, rest of the line).
fn dpkg_step(line: &str) -> Option<(&'static str, &str)> {
    const STEPS: [(&str, &str); 4] = [
        ("Unpacking ", "unpacking"),
        ("Setting up ", "setting up"),
        ("Removing ", "removing"),
        ("Purging configuration files for ", "purging"),
    ];
    STEPS
        .iter()
        .find_map(|(prefix, verb)| line.strip_prefix(prefix).map(|rest| (*verb, rest)))
}

/// What apt's summary line announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Packages to download and unpack.
    pub fetches: u32,
    /// dpkg steps.
    pub steps: u32,
}

/// Parses `U upgraded, N newly installed[, D downgraded][, R reinstalled], X to remove and K not upgraded.`
/// (the `N not fully installed or removed.` line that may follow adds one configure step each).
pub fn parse_plan(line: &str) -> Option<Plan> {
    let body = line.trim().strip_suffix('.')?;
    if !body.contains(" upgraded, ") || !body.contains(" to remove and ") {
        return None;
    }
    let (mut installs, mut removes) = (0u32, 0u32);
    for part in body.split(", ").flat_map(|p| p.split(" and ")) {
        let (num, label) = part.trim().split_once(' ')?;
        let n: u32 = num.parse().ok()?;
        match label {
            "upgraded" | "newly installed" | "downgraded" | "reinstalled" => installs += n,
            "to remove" => removes += n,
            _ => {}
        }
    }
    Some(Plan {
        fetches: installs,
        steps: 2 * installs + removes,
    })
}

/// Whether the output shows that a download failed (the job then refreshes the index and retries).
pub fn is_fetch_error(lines: &[String]) -> bool {
    lines.iter().any(|l| {
        l.contains("Failed to fetch")
            || l.contains("404  Not Found")
            || l.contains("404 Not Found")
            || l.contains("Unable to fetch some archives")
    })
}

/// The decisive lines of a failed run: apt's `E:` lines and dpkg's `dpkg: error` lines, in order and
/// without repeats, joined with ` | `; the last output lines when there are none.
pub fn failure_message(lines: &[String]) -> String {
    let mut picked: Vec<&str> = Vec::new();
    for l in lines {
        let l = l.trim();
        if (l.starts_with("E: ") || l.starts_with("dpkg: error")) && !picked.contains(&l) {
            picked.push(l);
        }
    }
    if picked.is_empty() {
        let nonempty: Vec<&str> = lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
        picked = nonempty[nonempty.len().saturating_sub(3)..].to_vec();
    }
    if picked.is_empty() {
        "no error message in the output".to_string()
    } else {
        picked.join(" | ")
    }
}

/// `apt-get update` exits 0 when a repository could not be fetched (only `W:` lines say so): the failure
/// described, naming each repository (`URI SUITE` from the `Err:` lines, else the failed URLs), or
/// `None` when the update worked.
pub fn update_failure(lines: &[String], exit_ok: bool) -> Option<String> {
    let failed = !exit_ok
        || lines.iter().any(|l| {
            l.starts_with("E:")
                || l.starts_with("W: Failed to fetch")
                || l.starts_with("W: Some index files failed to download")
        });
    if !failed {
        return None;
    }
    // `Err:N URI SUITE[/COMPONENT] ...` names the repository; the `Failed to fetch URL` lines are the
    // fallback when apt printed no Err: line.
    let (mut listed, mut urls): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for l in lines {
        let mut t = l.split_whitespace();
        match t.next() {
            Some(tag) if tag.starts_with("Err:") => {
                if let Some(uri) = t.next() {
                    let repo = t
                        .next()
                        .map_or_else(|| uri.to_string(), |suite| format!("{uri} {suite}"));
                    push_new(&mut listed, repo);
                }
            }
            Some("E:" | "W:") => {
                if let Some(url) = l
                    .split("Failed to fetch ")
                    .nth(1)
                    .and_then(|r| r.split_whitespace().next())
                {
                    push_new(&mut urls, url.to_string());
                }
            }
            _ => {}
        }
    }
    let repos = if listed.is_empty() { urls } else { listed };
    let errors: Vec<String> = lines
        .iter()
        .filter(|l| {
            l.starts_with("E:") || l.starts_with("W: Failed to fetch") || l.starts_with("W: Some index")
        })
        .cloned()
        .collect();
    let detail = if errors.is_empty() {
        failure_message(lines)
    } else {
        errors.join(" | ")
    };
    let which = if repos.is_empty() {
        "a repository".to_string()
    } else {
        format!("repository {}", repos.join(", "))
    };
    Some(format!("apt-get update could not fetch {which}: {detail}"))
}

fn push_new(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

#[cfg(test)]
mod tests;
