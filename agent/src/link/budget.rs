//! How often unknown client certificates may wake the CRL fetch: a small token bucket (a few at once, then
//! one per interval), so a burst of new certificates cannot turn into a stream of requests to the manager.

use std::time::{Duration, Instant};

/// Fetches woken at once before the rate applies.
pub const BURST: u32 = 5;
/// One more woken fetch per this long.
pub const REFILL: Duration = Duration::from_secs(120);

/// A token bucket.
#[derive(Debug, Clone)]
pub struct Budget {
    tokens: f64,
    burst: f64,
    refill: Duration,
    at: Option<Instant>,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(BURST, REFILL)
    }
}

impl Budget {
    /// A full bucket of `burst` tokens, one more every `refill`.
    pub fn new(burst: u32, refill: Duration) -> Self {
        Self {
            tokens: f64::from(burst),
            burst: f64::from(burst),
            refill,
            at: None,
        }
    }

    /// Takes a token at `now`, if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        if let Some(at) = self.at {
            let gained =
                now.saturating_duration_since(at).as_secs_f64() / self.refill.as_secs_f64().max(1e-3);
            self.tokens = (self.tokens + gained).min(self.burst);
        }
        self.at = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_interval() {
        let t0 = Instant::now();
        let mut b = Budget::new(3, Duration::from_secs(120));
        assert!((0..3).all(|_| b.take(t0)), "the burst");
        assert!(!b.take(t0 + Duration::from_secs(10)), "then limited");
        assert!(!b.take(t0 + Duration::from_secs(100)));
        assert!(
            b.take(t0 + Duration::from_secs(130)),
            "one token back after the interval"
        );
        assert!(!b.take(t0 + Duration::from_secs(131)));
        assert!(
            (0..3).all(|_| b.take(t0 + Duration::from_secs(10_000))),
            "never more than the burst"
        );
        assert!(!b.take(t0 + Duration::from_secs(10_000)));
    }
}
