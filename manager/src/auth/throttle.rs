//! Login throttling in memory: failures counted per (user name, source address) and per source address,
//! atomically (one mutex), so a stranger's guesses never lock the real user out from their own address.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// Failures of one (user, source) pair allowed before it waits.
pub const PAIR_FREE: u32 = 5;
/// Failures of one source address (any user names) allowed per window before it waits.
pub const SOURCE_FREE: u32 = 30;
/// How long failures are remembered.
pub const WINDOW: Duration = Duration::minutes(15);
/// Longest wait of a pair.
pub const MAX_WAIT_MINUTES: i64 = 30;
/// Most keys kept (beyond it, the oldest are forgotten): bounded memory under a flood.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Count {
    failures: u32,
    last: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
}

/// A lock that a failure just started (to audit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    /// `pair` (this user from this address) or `source` (this address, any user).
    pub scope: &'static str,
    /// Until when.
    pub until: DateTime<Utc>,
    /// Failures counted.
    pub failures: u32,
}

/// The counters (one per process, shared by all workers).
#[derive(Debug, Default)]
pub struct LoginThrottle {
    inner: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    pairs: HashMap<(String, String), Count>,
    sources: HashMap<String, Count>,
}

/// The wait after `failures` failures of a pair: 1 minute at [`PAIR_FREE`], doubling, at most 30.
pub fn pair_wait(failures: u32) -> Option<Duration> {
    if failures < PAIR_FREE {
        return None;
    }
    let exp = (failures - PAIR_FREE).min(10);
    Some(Duration::minutes((1i64 << exp).min(MAX_WAIT_MINUTES)))
}

fn key(user: &str) -> String {
    user.trim().to_ascii_lowercase()
}

impl LoginThrottle {
    /// No failures yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Until when `user` from `source` must wait (the same answer whether or not the user exists).
    pub fn blocked(&self, user: &str, source: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let st = self.state();
        let pair = st
            .pairs
            .get(&(key(user), source.to_owned()))
            .and_then(|c| c.until);
        let src = st.sources.get(source).and_then(|c| c.until);
        pair.into_iter().chain(src).filter(|u| *u > now).max()
    }

    /// Counts a failure of `user` from `source`; the locks it starts.
    pub fn failed(&self, user: &str, source: &str, now: DateTime<Utc>) -> Vec<Locked> {
        let mut st = self.state();
        if st.pairs.len() + st.sources.len() > MAX_KEYS {
            st.pairs.retain(|_, c| now - c.last < WINDOW);
            st.sources.retain(|_, c| now - c.last < WINDOW);
        }
        let mut started = Vec::new();
        let fresh = |c: Option<Count>| match c {
            Some(c) if now - c.last < WINDOW || c.until.is_some_and(|u| u > now) => c,
            _ => Count {
                failures: 0,
                last: now,
                until: None,
            },
        };
        let k = (key(user), source.to_owned());
        let mut c = fresh(st.pairs.get(&k).copied());
        c.failures = c.failures.saturating_add(1);
        c.last = now;
        if let Some(w) = pair_wait(c.failures) {
            c.until = Some(now + w);
            started.push(Locked {
                scope: "pair",
                until: now + w,
                failures: c.failures,
            });
        }
        st.pairs.insert(k, c);
        let mut s = fresh(st.sources.get(source).copied());
        s.failures = s.failures.saturating_add(1);
        s.last = now;
        if s.failures >= SOURCE_FREE {
            s.until = Some(now + WINDOW);
            started.push(Locked {
                scope: "source",
                until: now + WINDOW,
                failures: s.failures,
            });
        }
        st.sources.insert(source.to_owned(), s);
        started
    }

    /// A successful sign-in of `user` from `source` clears that pair.
    pub fn succeeded(&self, user: &str, source: &str) {
        self.state().pairs.remove(&(key(user), source.to_owned()));
    }

    /// An administrator's unlock (or a password reset): every pair of `user` is cleared; how many.
    pub fn unlock_user(&self, user: &str) -> usize {
        let k = key(user);
        let mut st = self.state();
        let before = st.pairs.len();
        st.pairs.retain(|(u, _), _| *u != k);
        before - st.pairs.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(mins: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap() + Duration::minutes(mins)
    }

    #[test]
    fn a_stranger_does_not_lock_the_user_out_of_their_own_address() {
        let th = LoginThrottle::new();
        for _ in 0..4 {
            assert!(th.failed("Boss", "10.6.6.6", t(0)).is_empty());
        }
        let started = th.failed("boss", "10.6.6.6", t(0));
        assert_eq!(started[0].scope, "pair");
        assert_eq!(th.blocked("BOSS", "10.6.6.6", t(0)), Some(t(1)));
        assert_eq!(
            th.blocked("boss", "10.0.0.1", t(0)),
            None,
            "another address is not affected"
        );
        assert_eq!(th.blocked("boss", "10.6.6.6", t(2)), None, "the wait ends");
        th.failed("boss", "10.6.6.6", t(2));
        assert_eq!(th.blocked("boss", "10.6.6.6", t(2)), Some(t(4)), "then doubles");
        assert_eq!(th.unlock_user("boss"), 1);
        assert_eq!(th.blocked("boss", "10.6.6.6", t(2)), None);
    }

    #[test]
    fn one_source_guessing_many_names_is_limited() {
        let th = LoginThrottle::new();
        let mut locks = Vec::new();
        for i in 0..SOURCE_FREE {
            locks.extend(th.failed(&format!("user{i}"), "10.6.6.6", t(0)));
        }
        assert!(locks.iter().any(|l| l.scope == "source"));
        assert_eq!(th.blocked("anyone", "10.6.6.6", t(1)), Some(t(15)));
        assert_eq!(th.blocked("anyone", "10.0.0.1", t(1)), None);
    }

    #[test]
    fn waits_double_up_to_thirty_minutes() {
        assert_eq!(pair_wait(4), None);
        assert_eq!(pair_wait(5), Some(Duration::minutes(1)));
        assert_eq!(pair_wait(7), Some(Duration::minutes(4)));
        assert_eq!(pair_wait(100), Some(Duration::minutes(30)));
    }
}
