//! Failed API-token authentications per source address, in memory: a one-minute window per address that
//! counts failures (and refusals), blocks the address past [`FREE_PER_MINUTE`], and, once over, becomes one
//! audit summary — so guessing is slowed and recorded without one audit row per guess.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Failed token authentications allowed per address and window; past it the address waits for the window end.
pub const FREE_PER_MINUTE: u32 = 20;
/// The window length.
pub const WINDOW: Duration = Duration::minutes(1);
/// Distinct presented prefixes kept per window (the audit shows a sample).
const MAX_PREFIXES: usize = 5;
/// Most addresses tracked at once; beyond it new addresses are refused until windows end (bounded memory).
const MAX_SOURCES: usize = 10_000;

/// One address's finished window, to audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The source address.
    pub source: String,
    /// When its first failure came.
    pub from: DateTime<Utc>,
    /// When the window ended.
    pub until: DateTime<Utc>,
    /// Failed authentications (each one checked).
    pub failures: u32,
    /// Requests refused with 429 unchecked while the address was blocked.
    pub refused: u32,
    /// A sample of the presented tokens' public prefixes (never the secret part).
    pub prefixes: Vec<String>,
    /// Ids of known tokens presented when revoked, expired or disabled.
    pub token_ids: Vec<i64>,
}

#[derive(Debug)]
struct Window {
    from: DateTime<Utc>,
    failures: u32,
    refused: u32,
    prefixes: Vec<String>,
    token_ids: Vec<i64>,
}

impl Window {
    fn end(&self) -> DateTime<Utc> {
        self.from + WINDOW
    }

    fn summary(self, source: String) -> Summary {
        Summary {
            until: self.end(),
            source,
            from: self.from,
            failures: self.failures,
            refused: self.refused,
            prefixes: self.prefixes,
            token_ids: self.token_ids,
        }
    }
}

/// The counters (one per process, shared by all workers).
#[derive(Debug, Default)]
pub struct TokenFailures {
    windows: Mutex<HashMap<String, Window>>,
    /// A background flush is scheduled.
    wake: AtomicBool,
}

impl TokenFailures {
    /// No failures yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Window>> {
        match self.windows.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Before checking a token from `source`: `Err(seconds)` to wait when it is blocked (the refusal is counted).
    pub fn admit(&self, source: &str, now: DateTime<Utc>) -> Result<(), u64> {
        let mut w = self.lock();
        let Some(win) = w.get_mut(source) else {
            return Ok(());
        };
        if now >= win.end() || win.failures < FREE_PER_MINUTE {
            return Ok(());
        }
        win.refused = win.refused.saturating_add(1);
        Err(u64::try_from((win.end() - now).num_seconds().max(1)).unwrap_or(60))
    }

    /// Counts a failed authentication from `source` presenting `prefix` (public part) or known token `token_id`.
    /// Returns the windows that ended by `now` (every address), for the audit log.
    pub fn failed(
        &self,
        source: &str,
        prefix: &str,
        token_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Vec<Summary> {
        let mut w = self.lock();
        let done = take_due(&mut w, now);
        if w.len() >= MAX_SOURCES && !w.contains_key(source) {
            return done;
        }
        let win = w.entry(source.to_owned()).or_insert_with(|| Window {
            from: now,
            failures: 0,
            refused: 0,
            prefixes: Vec::new(),
            token_ids: Vec::new(),
        });
        win.failures = win.failures.saturating_add(1);
        if win.prefixes.len() < MAX_PREFIXES && !win.prefixes.iter().any(|p| p == prefix) {
            win.prefixes.push(prefix.to_owned());
        }
        if let Some(id) = token_id {
            if win.token_ids.len() < MAX_PREFIXES && !win.token_ids.contains(&id) {
                win.token_ids.push(id);
            }
        }
        done
    }

    /// The windows that ended by `now` (removed: each is summarised once).
    pub fn due(&self, now: DateTime<Utc>) -> Vec<Summary> {
        take_due(&mut self.lock(), now)
    }

    /// Whether any window is open (a later flush has work).
    pub fn pending(&self) -> bool {
        !self.lock().is_empty()
    }

    /// Claims the one background flush: `false` when one is scheduled already.
    pub fn claim_wake(&self) -> bool {
        !self.wake.swap(true, Ordering::AcqRel)
    }

    /// Gives the background flush up (it ends).
    pub fn release_wake(&self) {
        self.wake.store(false, Ordering::Release);
    }
}

fn take_due(w: &mut HashMap<String, Window>, now: DateTime<Utc>) -> Vec<Summary> {
    let ended: Vec<String> = w
        .iter()
        .filter(|(_, win)| now >= win.end())
        .map(|(k, _)| k.clone())
        .collect();
    let mut out: Vec<Summary> = ended
        .into_iter()
        .filter_map(|k| w.remove(&k).map(|win| win.summary(k)))
        .collect();
    out.sort_by(|a, b| a.from.cmp(&b.from).then_with(|| a.source.cmp(&b.source)));
    out
}

/// The public part of a presented bearer credential: the characters lists show (`lpmt_` and 8 more).
pub fn public_prefix(presented: &str) -> String {
    presented
        .chars()
        .take(super::api_tokens::PREFIX.len() + 8)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::seconds(1_800_000_000 + s)
    }

    #[test]
    fn an_address_is_blocked_past_the_allowance_until_its_window_ends() {
        let f = TokenFailures::new();
        for s in 0..FREE_PER_MINUTE {
            assert_eq!(f.admit("a", t(i64::from(s))), Ok(()));
            assert!(f.failed("a", "lpmt_x", None, t(i64::from(s))).is_empty());
        }
        assert_eq!(f.admit("a", t(25)), Err(35));
        assert_eq!(f.admit("b", t(25)), Ok(()), "another address is not affected");
        assert_eq!(f.admit("a", t(59)), Err(1));
        assert_eq!(f.admit("a", t(60)), Ok(()), "the window is over");
    }

    #[test]
    fn one_summary_per_address_and_window_with_counts_and_a_prefix_sample() {
        let f = TokenFailures::new();
        for s in 0..30 {
            if f.admit("a", t(s)).is_ok() {
                f.failed("a", &format!("lpmt_{s:08}"), (s == 3).then_some(7), t(s));
            }
        }
        f.failed("b", "lpmt_b", None, t(10));
        assert!(f.due(t(59)).is_empty());
        let done = f.failed("c", "lpmt_c", None, t(65));
        assert_eq!(done.len(), 1, "{done:?}");
        let a = &done[0];
        assert_eq!((a.source.as_str(), a.failures, a.refused), ("a", 20, 10));
        assert_eq!((a.from, a.until), (t(0), t(60)));
        assert_eq!(a.prefixes.len(), 5);
        assert_eq!(a.token_ids, [7]);
        let rest = f.due(t(200));
        assert_eq!(
            rest.iter().map(|s| s.source.as_str()).collect::<Vec<_>>(),
            ["b", "c"]
        );
        assert!(
            !f.pending() && f.due(t(300)).is_empty(),
            "each window summarised once"
        );
    }

    #[test]
    fn the_public_prefix_never_reaches_the_secret_part() {
        let m = super::super::api_tokens::mint();
        assert_eq!(public_prefix(&m.secret), m.shown);
        assert_eq!(public_prefix("lpmt_ab"), "lpmt_ab");
    }
}
