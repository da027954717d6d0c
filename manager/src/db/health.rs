//! Whether the database answers, as every part of the manager may ask without touching the pool: a circuit
//! fed by the pool's connection attempts plus the supervisor's view of the embedded cluster.

use chrono::{DateTime, Duration, Utc};
use std::sync::Mutex;

/// How long after a failed connection attempt requests skip the pool and answer 503 at once.
pub const OPEN_FOR: Duration = Duration::seconds(1);

/// What `GET /api/v1/health` says about the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbState {
    /// Connections succeed.
    Ok,
    /// The embedded cluster died and the manager is starting it again.
    Restarting,
    /// No connection can be made (external server down, or restarts keep failing).
    Unavailable,
}

impl DbState {
    /// `ok`, `restarting` or `unavailable`.
    pub fn as_str(self) -> &'static str {
        match self {
            DbState::Ok => "ok",
            DbState::Restarting => "restarting",
            DbState::Unavailable => "unavailable",
        }
    }
}

/// A change the circuit saw (logged once by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The first failed attempt after a success.
    WentDown,
    /// The first success after failures; how long connections failed.
    CameBack(Duration),
}

/// The circuit's state (pure: time is passed in).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Circuit {
    down_since: Option<DateTime<Utc>>,
    last_failure: Option<DateTime<Utc>>,
    last_error: String,
}

impl Circuit {
    /// A connection attempt failed at `now`.
    pub fn failed(&mut self, now: DateTime<Utc>, error: &str) -> Option<Change> {
        self.last_failure = Some(now);
        self.last_error = error.to_owned();
        if self.down_since.is_none() {
            self.down_since = Some(now);
            return Some(Change::WentDown);
        }
        None
    }

    /// A connection attempt succeeded at `now`.
    pub fn succeeded(&mut self, now: DateTime<Utc>) -> Option<Change> {
        self.last_failure = None;
        self.down_since.take().map(|since| Change::CameBack(now - since))
    }

    /// Whether requests skip the pool at `now` (the last attempt failed less than [`OPEN_FOR`] ago).
    pub fn open(&self, now: DateTime<Utc>) -> bool {
        self.down_since.is_some() && self.last_failure.is_some_and(|t| now - t < OPEN_FOR)
    }

    /// Whether the last attempt failed.
    pub fn down(&self) -> bool {
        self.down_since.is_some()
    }

    /// Since when attempts fail.
    pub fn down_since(&self) -> Option<DateTime<Utc>> {
        self.down_since
    }

    /// The last attempt's error.
    pub fn last_error(&self) -> &str {
        &self.last_error
    }
}

/// The shared view: the circuit plus what the supervisor of the embedded cluster says.
#[derive(Debug, Default)]
pub struct DbHealth {
    circuit: Mutex<Circuit>,
    supervisor: Mutex<Option<DbState>>,
}

impl DbHealth {
    fn circuit(&self) -> std::sync::MutexGuard<'_, Circuit> {
        self.circuit.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a failed connection attempt (logs when the database was up until now).
    pub fn failed(&self, now: DateTime<Utc>, error: &str) {
        if self.circuit().failed(now, error) == Some(Change::WentDown) {
            log::warn!(
                "database unreachable ({error}); requests answer 503 until it is back, the poller and \
                 the deployer wait"
            );
        }
    }

    /// Records a successful connection attempt (logs when it was down until now).
    pub fn succeeded(&self, now: DateTime<Utc>) {
        if let Some(Change::CameBack(d)) = self.circuit().succeeded(now) {
            log::info!("database reachable again after {} s", d.num_seconds());
        }
    }

    /// Whether a request should skip the pool now.
    pub fn open(&self, now: DateTime<Utc>) -> bool {
        self.circuit().open(now)
    }

    /// A copy of the circuit.
    pub fn snapshot(&self) -> Circuit {
        self.circuit().clone()
    }

    /// The supervisor of the embedded cluster sets its view (`None`: nothing to say, e.g. external).
    pub fn set_supervisor(&self, s: Option<DbState>) {
        *self.supervisor.lock().unwrap_or_else(|p| p.into_inner()) = s;
    }

    /// What the health endpoint reports: the supervisor's restarting/unavailable first, else the circuit.
    pub fn state(&self) -> DbState {
        let sup = *self.supervisor.lock().unwrap_or_else(|p| p.into_inner());
        match sup {
            Some(s @ (DbState::Restarting | DbState::Unavailable)) => s,
            _ if self.circuit().down() => DbState::Unavailable,
            _ => DbState::Ok,
        }
    }

    /// Whether the database is there (nothing says otherwise).
    pub fn available(&self) -> bool {
        self.state() == DbState::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn the_circuit_opens_for_a_second_after_each_failure_and_closes_on_success() {
        let mut c = Circuit::default();
        assert!(!c.open(t(0)));
        assert_eq!(c.failed(t(0), "refused"), Some(Change::WentDown));
        assert!(c.open(t(0)));
        assert!(!c.open(t(1)), "a second later one request may try again");
        assert_eq!(c.failed(t(1), "refused"), None, "still down: no second change");
        assert!(c.open(t(1)));
        assert_eq!(c.last_error(), "refused");
        assert_eq!(c.succeeded(t(5)), Some(Change::CameBack(Duration::seconds(5))));
        assert!(!c.open(t(5)) && !c.down());
        assert_eq!(c.succeeded(t(6)), None, "up already: no change");
    }

    #[test]
    fn the_supervisor_view_wins_over_the_circuit() {
        let h = DbHealth::default();
        assert_eq!(h.state(), DbState::Ok);
        h.failed(t(0), "x");
        assert_eq!(h.state(), DbState::Unavailable);
        h.set_supervisor(Some(DbState::Restarting));
        assert_eq!(h.state(), DbState::Restarting);
        assert!(!h.available());
        h.set_supervisor(Some(DbState::Ok));
        h.succeeded(t(3));
        assert_eq!(h.state(), DbState::Ok);
        assert!(h.available());
        assert_eq!(DbState::Restarting.as_str(), "restarting");
    }
}
