//! When a host is due for a health check or a patch-data fetch, and the backoff after failures.

use crate::config::file::PollerSection;
pub use crate::db::models::poll_rows::Timing;
use chrono::{DateTime, Duration, Utc};

/// The poller settings as durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Between health checks of a host.
    pub health_interval: Duration,
    /// Between patch-data fetches of a host.
    pub patch_interval: Duration,
    /// Consecutive failures after which a host is unreachable.
    pub retries: u32,
    /// First retry wait (doubled per further failure).
    pub retry_base: Duration,
    /// Longest retry wait.
    pub max_backoff: Duration,
    /// Health history kept.
    pub history: Duration,
}

fn secs(v: u64) -> Duration {
    Duration::seconds(
        i64::try_from(v)
            .unwrap_or(i64::MAX / 1000)
            .min(100 * 365 * 86_400),
    )
}

impl Policy {
    /// From `poller:` of the configuration.
    pub fn of(cfg: &PollerSection) -> Self {
        Self {
            health_interval: secs(cfg.health_interval_secs),
            patch_interval: secs(cfg.patch_interval_secs),
            retries: cfg.retries.max(1),
            retry_base: secs(cfg.retry_base_secs.max(1)),
            max_backoff: secs(cfg.max_backoff_secs.max(1)),
            history: Duration::days(i64::from(cfg.history_days.max(1))),
        }
    }

    /// Wait after the `failures`-th consecutive failure: `min(base * 2^(failures-1), max_backoff)`.
    pub fn backoff(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(30);
        let wait = self
            .retry_base
            .checked_mul(1_i32 << exp)
            .unwrap_or(self.max_backoff);
        wait.min(self.max_backoff)
    }
}

fn older(t: Option<DateTime<Utc>>, now: DateTime<Utc>, interval: Duration) -> bool {
    t.is_none_or(|t| t <= now - interval)
}

fn retry_passed(t: &Timing, now: DateTime<Utc>) -> bool {
    t.retry_at.is_none_or(|r| r <= now)
}

/// Health is due when the last check is older than the interval (a healthy host), or — after failures —
/// when the backoff has passed (the retry does not wait for the interval).
pub fn health_due(p: &Policy, now: DateTime<Utc>, t: &Timing) -> bool {
    if t.failures > 0 {
        retry_passed(t, now)
    } else {
        older(t.health_checked_at, now, p.health_interval)
    }
}

/// Whether the host answered its last health check (patch data is only fetched from hosts that do).
pub fn answered(t: &Timing) -> bool {
    t.failures == 0 && t.last_seen_at.is_some()
}

/// Patch data is due when the host answered, the last fetch is older than the interval and no patch retry
/// wait is pending.
pub fn patches_due(p: &Policy, now: DateTime<Utc>, t: &Timing) -> bool {
    answered(t) && older(t.patches_checked_at, now, p.patch_interval) && retry_passed(t, now)
}

/// Whether the daily prune of the health history is due.
pub fn prune_due(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    older(last, now, Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        "2026-06-01T12:00:00Z".parse().unwrap()
    }

    fn policy() -> Policy {
        Policy::of(&PollerSection::default())
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let p = policy();
        let waits: Vec<i64> = (1..=8).map(|f| p.backoff(f).num_seconds()).collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1800, 1800, 1800]);
        assert_eq!(p.backoff(0).num_seconds(), 60);
        assert_eq!(p.backoff(u32::MAX).num_seconds(), 1800);
        let tiny = Policy::of(&PollerSection {
            retry_base_secs: 1,
            max_backoff_secs: 3,
            ..PollerSection::default()
        });
        let waits: Vec<i64> = (1..=4).map(|f| tiny.backoff(f).num_seconds()).collect();
        assert_eq!(waits, [1, 2, 3, 3]);
    }

    #[test]
    fn health_is_due_by_interval_or_after_the_backoff() {
        let p = policy();
        let now = t0();
        assert!(health_due(&p, now, &Timing::default()), "never checked");
        let fresh = Timing {
            health_checked_at: Some(now - Duration::seconds(299)),
            ..Timing::default()
        };
        assert!(!health_due(&p, now, &fresh));
        let old = Timing {
            health_checked_at: Some(now - Duration::seconds(300)),
            ..Timing::default()
        };
        assert!(health_due(&p, now, &old));
        let waiting = Timing {
            failures: 1,
            health_checked_at: Some(now - Duration::seconds(10)),
            retry_at: Some(now + Duration::seconds(50)),
            ..Timing::default()
        };
        assert!(!health_due(&p, now, &waiting));
        assert!(
            health_due(&p, now + Duration::seconds(50), &waiting),
            "retry before the interval"
        );
        // A patch retry wait does not hold back the health check of a healthy host.
        let patch_wait = Timing {
            retry_at: Some(now + Duration::seconds(50)),
            ..old
        };
        assert!(health_due(&p, now, &patch_wait));
    }

    #[test]
    fn patches_only_from_hosts_that_answered() {
        let p = policy();
        let now = t0();
        let seen = Timing {
            last_seen_at: Some(now),
            health_checked_at: Some(now),
            ..Timing::default()
        };
        assert!(patches_due(&p, now, &seen));
        let recent = Timing {
            patches_checked_at: Some(now - Duration::seconds(1799)),
            ..seen
        };
        assert!(!patches_due(&p, now, &recent));
        assert!(patches_due(&p, now + Duration::seconds(1), &recent));
        assert!(!patches_due(&p, now, &Timing { failures: 1, ..seen }));
        assert!(!patches_due(&p, now, &Timing::default()), "never answered");
        let backing_off = Timing {
            retry_at: Some(now + Duration::seconds(60)),
            ..seen
        };
        assert!(!patches_due(&p, now, &backing_off));
    }

    #[test]
    fn prune_runs_daily() {
        let now = t0();
        assert!(prune_due(None, now));
        assert!(!prune_due(Some(now - Duration::hours(23)), now));
        assert!(prune_due(Some(now - Duration::hours(24)), now));
    }
}
