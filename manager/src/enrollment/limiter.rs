//! Per-source-address rate limit of `POST /api/v1/enroll`: a sliding one-minute window in memory, driven
//! by the caller's clock.

use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Most distinct sources tracked at once; beyond it, sources with no recent request are forgotten first.
const MAX_SOURCES: usize = 10_000;

/// Requests per minute per source (0 = unlimited).
#[derive(Debug)]
pub struct EnrollLimiter {
    per_minute: u32,
    hits: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl EnrollLimiter {
    /// A limiter allowing `per_minute` requests per source and minute.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request from `source` at `now`: `Err(seconds)` to wait when the limit is reached (the
    /// refused request is not counted).
    pub fn check(&self, source: &str, now: DateTime<Utc>) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let window = Duration::minutes(1);
        let mut hits = match self.hits.lock() {
            Ok(h) => h,
            Err(poisoned) => poisoned.into_inner(),
        };
        if hits.len() >= MAX_SOURCES && !hits.contains_key(source) {
            hits.retain(|_, q| q.back().is_some_and(|t| now - *t < window));
            if hits.len() >= MAX_SOURCES {
                return Err(60);
            }
        }
        let q = hits.entry(source.to_owned()).or_default();
        while q.front().is_some_and(|t| now - *t >= window) {
            q.pop_front();
        }
        if q.len() >= self.per_minute as usize {
            let oldest = q.front().copied().unwrap_or(now);
            let wait = (oldest + window - now).num_seconds().max(1);
            return Err(u64::try_from(wait).unwrap_or(60));
        }
        q.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::seconds(1_800_000_000 + s)
    }

    #[test]
    fn the_limit_applies_per_source_within_a_sliding_minute() {
        let l = EnrollLimiter::new(3);
        for s in 0..3 {
            assert!(l.check("10.0.0.1", t(s)).is_ok());
        }
        assert_eq!(l.check("10.0.0.1", t(10)), Err(50));
        assert!(
            l.check("10.0.0.2", t(10)).is_ok(),
            "another source has its own budget"
        );
        assert!(
            l.check("10.0.0.1", t(60)).is_ok(),
            "the first request left the window"
        );
        assert!(l.check("10.0.0.1", t(60)).is_err());
        assert!(l.check("10.0.0.1", t(200)).is_ok());
    }

    #[test]
    fn zero_means_unlimited() {
        let l = EnrollLimiter::new(0);
        for _ in 0..1000 {
            assert!(l.check("x", t(0)).is_ok());
        }
    }

    #[test]
    fn many_sources_do_not_grow_without_bound() {
        let l = EnrollLimiter::new(1);
        for i in 0..MAX_SOURCES {
            assert!(l.check(&i.to_string(), t(0)).is_ok());
        }
        assert!(l.check("new", t(1)).is_err(), "table full of recent sources");
        assert!(l.check("new", t(120)).is_ok(), "old sources are forgotten");
    }
}
