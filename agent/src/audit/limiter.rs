//! Fixed-window rate limiting by key: keeps denial floods out of the audit log and enforces
//! `security.rate_limit_per_minute` per client address.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::hash::Hash;

/// Above this many keys, expired windows are dropped so a scan from many addresses cannot grow memory.
const PRUNE_ABOVE: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Slot {
    start: DateTime<Utc>,
    count: u32,
    suppressed: u64,
}

/// What the limiter decided for one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Let it through; `suppressed_before` events of this key were refused in the previous window.
    Allow {
        /// Refusals since the last allowed event of the previous window, to report once.
        suppressed_before: u64,
    },
    /// Refuse it; the window reopens after `retry_after`.
    Refuse {
        /// Time until the key's window resets.
        retry_after: Duration,
    },
}

/// At most `max` events per key per `window`.
#[derive(Debug)]
pub struct WindowLimiter<K> {
    window: Duration,
    max: u32,
    slots: HashMap<K, Slot>,
}

impl<K: Hash + Eq + Clone> WindowLimiter<K> {
    /// A limiter allowing `max` events per `window` for each key.
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            window,
            max,
            slots: HashMap::new(),
        }
    }

    /// Counts one event of `key` at `now` and decides.
    pub fn check(&mut self, key: &K, now: DateTime<Utc>) -> Decision {
        if self.slots.len() > PRUNE_ABOVE {
            let window = self.window;
            self.slots.retain(|_, s| now - s.start < window);
        }
        let window = self.window;
        let slot = self.slots.entry(key.clone()).or_insert(Slot {
            start: now,
            count: 0,
            suppressed: 0,
        });
        let mut carried = 0;
        if now - slot.start >= window {
            carried = slot.suppressed;
            *slot = Slot {
                start: now,
                count: 0,
                suppressed: 0,
            };
        }
        if slot.count < self.max {
            slot.count += 1;
            Decision::Allow {
                suppressed_before: carried,
            }
        } else {
            slot.suppressed += carried + 1;
            Decision::Refuse {
                retry_after: slot.start + window - now,
            }
        }
    }

    /// Number of keys currently tracked.
    pub fn tracked(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn allows_max_per_window_then_refuses_with_retry_after() {
        let mut l = WindowLimiter::new(3, Duration::seconds(60));
        for _ in 0..3 {
            assert_eq!(l.check(&"a", t0()), Decision::Allow { suppressed_before: 0 });
        }
        assert_eq!(
            l.check(&"a", t0() + Duration::seconds(20)),
            Decision::Refuse {
                retry_after: Duration::seconds(40)
            }
        );
        assert_eq!(
            l.check(&"b", t0()),
            Decision::Allow { suppressed_before: 0 },
            "keys are independent"
        );
    }

    #[test]
    fn next_window_reports_what_was_suppressed() {
        let mut l = WindowLimiter::new(1, Duration::seconds(10));
        l.check(&1, t0());
        l.check(&1, t0());
        l.check(&1, t0() + Duration::seconds(5));
        assert_eq!(
            l.check(&1, t0() + Duration::seconds(10)),
            Decision::Allow { suppressed_before: 2 }
        );
        assert_eq!(
            l.check(&1, t0() + Duration::seconds(30)),
            Decision::Allow { suppressed_before: 0 }
        );
    }

    #[test]
    fn many_keys_do_not_grow_without_bound() {
        let mut l = WindowLimiter::new(1, Duration::seconds(1));
        for i in 0..(PRUNE_ABOVE as u32 * 3) {
            l.check(&i, t0() + Duration::seconds(i64::from(i)));
        }
        assert!(l.tracked() <= PRUNE_ABOVE + 1, "{}", l.tracked());
    }
}
