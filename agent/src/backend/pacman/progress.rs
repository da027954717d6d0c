//! Reading pacman's text output (with `--noprogressbar`): a monotonic percentage from the `Packages (N)`
//! summary and the per-package lines, the decisive lines of a failure, and whether a download failed.

/// Share of one run's band for downloading; the package steps fill the rest.
const DOWNLOAD_SHARE: u32 = 20;

/// Turns the output of one or more pacman runs into a percentage that never goes down and stays below
/// 100 until [`Tracker::finish`]. Run `k` of `n` fills the band `k/n .. (k+1)/n` of 0..99.
#[derive(Debug, Default)]
pub struct Tracker {
    run: u32,
    runs: u32,
    total: u32,
    fetched: u32,
    done: u32,
    last: u8,
}

impl Tracker {
    /// Starts run `index` (from 0) of `count`.
    pub fn start_run(&mut self, index: usize, count: usize) {
        self.runs = u32::try_from(count.max(1)).unwrap_or(u32::MAX);
        self.run = u32::try_from(index).unwrap_or(u32::MAX).min(self.runs - 1);
        self.total = 0;
        self.fetched = 0;
        self.done = 0;
    }

    /// Feeds one line; the new percentage and phase when the line moved the work forward.
    pub fn observe(&mut self, line: &str) -> Option<(u8, String)> {
        let t = line.trim();
        if let Some(n) = t
            .strip_prefix("Packages (")
            .and_then(|r| r.split_once(')'))
            .and_then(|(n, _)| n.parse::<u32>().ok())
        {
            self.total = n;
            return None;
        }
        let phase = if t.ends_with(" downloading...") {
            // ` NAME-VERSION-ARCH downloading...`, one per package file fetched.
            self.fetched += 1;
            "downloading".to_string()
        } else if t == ":: Retrieving packages..." {
            "downloading".to_string()
        } else if t == "checking package integrity..." || t == "checking for file conflicts..." {
            "checking".to_string()
        } else {
            let (verb, name) = package_step(t)?;
            self.done += 1;
            format!("{verb} {name}")
        };
        let pct = self.percent();
        self.last = self.last.max(pct);
        Some((self.last, phase))
    }

    /// 100 %, to report when every run succeeded.
    pub fn finish(&mut self) -> (u8, &'static str) {
        self.last = 100;
        (100, "done")
    }

    fn percent(&self) -> u8 {
        let dl = (DOWNLOAD_SHARE * self.fetched.min(self.total))
            .checked_div(self.total)
            .unwrap_or(0);
        let work = ((100 - DOWNLOAD_SHARE) * self.done.min(self.total))
            .checked_div(self.total)
            .unwrap_or(0);
        // A package step means downloading is over, whatever the count said.
        let dl = if self.done > 0 { DOWNLOAD_SHARE } else { dl };
        let within = (dl + work).min(100);
        let overall = (99 * self.run + 99 * within / 100) / self.runs.max(1);
        u8::try_from(overall.min(99)).unwrap_or(99)
    }
}

/// pacman's per-package lines with the progress bar off: `installing NAME...` and friends.
fn package_step(line: &str) -> Option<(&'static str, &str)> {
    const STEPS: [(&str, &str); 5] = [
        ("installing ", "installing"),
        ("upgrading ", "upgrading"),
        ("downgrading ", "downgrading"),
        ("reinstalling ", "reinstalling"),
        ("removing ", "removing"),
    ];
    STEPS.iter().find_map(|(prefix, verb)| {
        let name = line.strip_prefix(prefix)?.strip_suffix("...")?;
        (!name.is_empty() && !name.contains(' ')).then_some((*verb, name))
    })
}

/// Whether the output shows that a download failed (the job then refreshes the index and retries).
pub fn is_fetch_error(lines: &[String]) -> bool {
    lines.iter().any(|l| {
        l.contains("failed retrieving file")
            || l.contains("failed to retrieve some files")
            || l.contains("The requested URL returned error")
    })
}

/// The decisive lines of a failed run: `error:` lines and the `::` lines naming a dependency problem or a
/// conflict, in order and without repeats, joined with ` | `; the last output lines when there are none.
pub fn failure_message(lines: &[String]) -> String {
    let mut picked: Vec<&str> = Vec::new();
    for l in lines {
        let l = l.trim();
        let decisive = l.starts_with("error:")
            || (l.starts_with(":: ")
                && (l.contains("breaks dependency")
                    || l.contains("unable to satisfy")
                    || l.contains("conflict")));
        if decisive && !picked.contains(&l) {
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

#[cfg(test)]
mod tests;
