//! What the database supervisor decides, apart from its actor: notice a dead embedded postmaster, restart
//! it with backoff (1 s doubling to 30 s), say so once per change, and note the outage for the audit trail
//! once the database answers again (embedded or external). Time is passed in; the actor owns the ticks.

use crate::db::health::DbState;
use chrono::{DateTime, Duration, Utc};

/// First wait before a restart; doubled after each failed attempt.
pub const FIRST_BACKOFF: Duration = Duration::seconds(1);
/// Longest wait between restart attempts.
pub const MAX_BACKOFF: Duration = Duration::seconds(30);
/// Failed restarts after which the state is `unavailable` (the supervisor keeps trying).
pub const UNAVAILABLE_AFTER: u32 = 4;

/// The wait before restart attempt `n` (0-based): 1, 2, 4, 8, 16, 30, 30, ... seconds.
pub fn backoff(n: u32) -> Duration {
    let secs = 1i64.checked_shl(n.min(16)).unwrap_or(i64::MAX);
    (FIRST_BACKOFF * i32::try_from(secs).unwrap_or(i32::MAX)).min(MAX_BACKOFF)
}

/// An outage as it goes into the audit trail once the database answers again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    /// When it was first seen.
    pub since: DateTime<Utc>,
    /// When the database answered again.
    pub until: DateTime<Utc>,
    /// Restarts of the embedded cluster it took (0: it came back by itself, e.g. an external server).
    pub restarts: u32,
    /// Whether the embedded postmaster had died.
    pub postmaster_died: bool,
}

impl Outage {
    /// The audit action.
    pub fn action(&self) -> &'static str {
        if self.postmaster_died {
            "database.restarted"
        } else {
            "database.recovered"
        }
    }

    /// The audit details.
    pub fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "down_since": self.since.to_rfc3339(),
            "back_at": self.until.to_rfc3339(),
            "down_seconds": (self.until - self.since).num_seconds(),
            "restart_attempts": self.restarts,
            "postmaster_died": self.postmaster_died,
        })
    }
}

/// What the actor should do after a look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing now.
    Wait,
    /// Start the postmaster (`pg_ctl start`) and report with [`Supervisor::started`].
    Start,
}

/// The supervisor's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Supervisor {
    /// Failed restarts of the current outage.
    failures: u32,
    /// Restart attempts of the current outage.
    attempts: u32,
    /// When the next restart may be tried (set while the postmaster is dead).
    next_start: Option<DateTime<Utc>>,
    /// The outage being lived through, if any.
    down_since: Option<DateTime<Utc>>,
    /// Started again, no connection yet (still `restarting` for the health endpoint).
    awaiting: bool,
    postmaster_died: bool,
    /// An outage over but not yet written to the audit trail.
    pending: Option<Outage>,
}

impl Supervisor {
    /// What `GET /api/v1/health` should say from the supervisor's side (`None`: nothing wrong it knows of).
    pub fn state(&self) -> Option<DbState> {
        match self.next_start {
            Some(_) if self.failures >= UNAVAILABLE_AFTER => Some(DbState::Unavailable),
            Some(_) => Some(DbState::Restarting),
            None if self.awaiting => Some(DbState::Restarting),
            None => None,
        }
    }

    /// Whether the actor should skip its connection probe (a restart is due or under way).
    pub fn restarting(&self) -> bool {
        self.next_start.is_some()
    }

    /// A look at the embedded postmaster at `now` (`alive`).
    pub fn postmaster(&mut self, now: DateTime<Utc>, alive: bool) -> Step {
        if alive {
            return Step::Wait;
        }
        self.awaiting = false;
        match self.next_start {
            None => {
                log::error!(
                    "the embedded PostgreSQL server is not running (killed?); restarting it in {} s",
                    FIRST_BACKOFF.num_seconds()
                );
                self.next_start = Some(now + FIRST_BACKOFF);
                self.down_since.get_or_insert(now);
                self.postmaster_died = true;
                Step::Wait
            }
            Some(at) if now >= at => Step::Start,
            Some(_) => Step::Wait,
        }
    }

    /// The result of a restart at `now`.
    pub fn started(&mut self, now: DateTime<Utc>, result: Result<(), String>) {
        self.attempts += 1;
        match result {
            Ok(()) => {
                log::info!(
                    "the embedded PostgreSQL server runs again (restart attempt {})",
                    self.attempts
                );
                self.next_start = None;
                self.failures = 0;
                self.awaiting = true;
            }
            Err(e) => {
                self.failures += 1;
                let wait = backoff(self.failures);
                if self.failures == UNAVAILABLE_AFTER {
                    log::error!(
                        "the embedded PostgreSQL server still cannot be started ({e}); the database is \
                         unavailable, trying again every {} s at most",
                        MAX_BACKOFF.num_seconds()
                    );
                } else {
                    log::debug!(
                        "restart attempt {} failed: {e}; next in {} s",
                        self.attempts,
                        wait.num_seconds()
                    );
                }
                self.next_start = Some(now + wait);
            }
        }
    }

    /// Whether a connection to the database succeeded at `now` (`down_since`: the circuit's view, for an
    /// outage the supervisor did not see itself, e.g. of an external server). Ends the outage.
    pub fn reachable(&mut self, now: DateTime<Utc>, ok: bool, down_since: Option<DateTime<Utc>>) {
        if !ok {
            if let Some(t) = down_since {
                self.down_since.get_or_insert(t);
            }
            return;
        }
        if self.next_start.is_some() {
            return;
        }
        self.awaiting = false;
        if let Some(since) = self.down_since.take() {
            self.pending = Some(Outage {
                since,
                until: now,
                restarts: self.attempts,
                postmaster_died: std::mem::take(&mut self.postmaster_died),
            });
            self.attempts = 0;
        }
    }

    /// The ended outage still to be written to the audit trail.
    pub fn pending(&self) -> Option<&Outage> {
        self.pending.as_ref()
    }

    /// It was written.
    pub fn written(&mut self) {
        self.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linux_patch_shared::clock::{Clock, ManualClock};

    fn clock() -> ManualClock {
        ManualClock::new(DateTime::from_timestamp(1_800_000_000, 0).unwrap())
    }

    #[test]
    fn backoff_doubles_from_one_second_to_thirty() {
        let secs: Vec<i64> = (0..8).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn a_dead_postmaster_is_restarted_after_a_second_and_the_outage_audited_once_back() {
        let c = clock();
        let mut s = Supervisor::default();
        assert_eq!(s.postmaster(c.now(), true), Step::Wait);
        assert_eq!(s.state(), None);
        let died = c.now();
        assert_eq!(s.postmaster(c.now(), false), Step::Wait, "first wait one second");
        assert_eq!(s.state(), Some(DbState::Restarting));
        c.advance(Duration::milliseconds(500));
        assert_eq!(s.postmaster(c.now(), false), Step::Wait);
        c.advance(Duration::milliseconds(500));
        assert_eq!(s.postmaster(c.now(), false), Step::Start);
        s.started(c.now(), Ok(()));
        assert_eq!(
            s.state(),
            Some(DbState::Restarting),
            "until a connection succeeds"
        );
        assert!(!s.restarting(), "the actor probes again");
        assert!(s.pending().is_none(), "written only once the database answers");
        s.reachable(c.now(), false, None);
        assert!(s.pending().is_none());
        c.advance(Duration::seconds(2));
        s.reachable(c.now(), true, None);
        assert_eq!(s.state(), None);
        let o = s.pending().cloned().unwrap();
        assert_eq!((o.since, o.until, o.restarts), (died, c.now(), 1));
        assert_eq!(o.action(), "database.restarted");
        assert_eq!(o.details()["down_seconds"], 3);
        s.written();
        s.reachable(c.now(), true, None);
        assert!(s.pending().is_none(), "one event per outage");
    }

    #[test]
    fn failed_restarts_back_off_and_turn_unavailable_then_recover() {
        let c = clock();
        let mut s = Supervisor::default();
        s.postmaster(c.now(), false);
        let mut waits = Vec::new();
        for _ in 0..6 {
            // Look every second until a start is due.
            let mut waited = 0;
            while s.postmaster(c.now(), false) == Step::Wait {
                c.advance(Duration::seconds(1));
                waited += 1;
            }
            waits.push(waited);
            s.started(c.now(), Err("shared memory still in use".into()));
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 30]);
        assert_eq!(s.state(), Some(DbState::Unavailable));
        c.advance(MAX_BACKOFF);
        assert_eq!(s.postmaster(c.now(), false), Step::Start);
        s.started(c.now(), Ok(()));
        assert_eq!(s.state(), Some(DbState::Restarting));
        s.reachable(c.now(), true, None);
        assert_eq!(s.state(), None);
        assert_eq!(s.pending().unwrap().restarts, 7);
    }

    #[test]
    fn an_external_outage_seen_by_the_circuit_is_audited_as_recovered() {
        let c = clock();
        let mut s = Supervisor::default();
        let since = c.now();
        c.advance(Duration::seconds(20));
        s.reachable(c.now(), false, Some(since));
        assert_eq!(s.state(), None, "no restart for an external server");
        c.advance(Duration::seconds(1));
        s.reachable(c.now(), true, None);
        let o = s.pending().unwrap();
        assert_eq!((o.action(), o.restarts), ("database.recovered", 0));
        assert_eq!(o.details()["down_seconds"], 21);
    }
}
