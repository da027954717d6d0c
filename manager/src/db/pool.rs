//! The connection pool behind a circuit: while the database is away a request gets its 503 within a
//! second instead of holding a worker for the pool's timeout, and connection errors are logged once per
//! change (not once per attempt). A connection given back healthy moments ago is handed out again without
//! a `SELECT 1` round trip; one whose statement found the server gone is dropped, not reused (diesel marks
//! it broken: libpq reports its transaction status unknown).

use super::health::DbHealth;
use crate::error::ManagerError;
use diesel::r2d2::{ConnectionManager, ManageConnection, PooledConnection};
use diesel::PgConnection;
use linux_patch_shared::clock::{SharedClock, SystemClock};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Connections per process.
pub const MAX_SIZE: u32 = 8;
/// How long a request waits for a connection before it is told the database is unavailable.
pub const FAST_WAIT: Duration = Duration::from_secs(1);
/// How much longer it waits when every connection is merely busy (the database answers).
pub const BUSY_WAIT: Duration = Duration::from_secs(14);
/// The pool's own timeout; its background reconnects retry at least every half of it.
const POOL_TIMEOUT: Duration = Duration::from_secs(2);
/// A connection given back healthy within this long is handed out without the checkout's `SELECT 1`
/// (a busy manager reuses its connections within milliseconds; one idle longer is tested first).
pub const FRESH: Duration = Duration::from_secs(1);

/// A PostgreSQL connection as the pool keeps it, with when it was last given back healthy.
pub struct Conn {
    pg: PgConnection,
    returned: Option<Instant>,
}

/// Whether a connection given back healthy at `returned` (never: `None`) may be handed out at `now` without
/// a test query.
fn untested_ok(returned: Option<Instant>, now: Instant) -> bool {
    returned.is_some_and(|t| now.saturating_duration_since(t) < FRESH)
}

impl std::ops::Deref for Conn {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.pg
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.pg
    }
}

/// The diesel connection manager, telling [`DbHealth`] how each connection attempt went.
#[derive(Debug)]
pub struct Guarded {
    inner: ConnectionManager<PgConnection>,
    health: Arc<DbHealth>,
    clock: SharedClock,
}

impl ManageConnection for Guarded {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        let r = self.inner.connect();
        match &r {
            Ok(_) => self.health.succeeded(self.clock.now()),
            Err(e) => self.health.failed(self.clock.now(), &e.to_string()),
        }
        r.map(|pg| Conn { pg, returned: None })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        if untested_ok(conn.returned, Instant::now()) {
            return Ok(());
        }
        // A stale connection (the server restarted) failing here says nothing about new ones.
        self.inner.is_valid(&mut conn.pg)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        let broken = self.inner.has_broken(&mut conn.pg);
        if !broken {
            conn.returned = Some(Instant::now());
        }
        broken
    }
}

/// One connection out of the pool.
pub type PgPooled = PooledConnection<Guarded>;

/// A pool of PostgreSQL connections with its health (cheap to clone; clones share both).
#[derive(Clone)]
pub struct PgPool {
    inner: r2d2::Pool<Guarded>,
    health: Arc<DbHealth>,
    clock: SharedClock,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool")
            .field("state", &self.health.state())
            .finish_non_exhaustive()
    }
}

impl PgPool {
    /// A lazy pool on `url`: no connection is made until one is asked for.
    pub fn new(url: &str) -> Self {
        let health = Arc::new(DbHealth::default());
        let clock: SharedClock = Arc::new(SystemClock);
        let manager = Guarded {
            inner: ConnectionManager::new(url),
            health: health.clone(),
            clock: clock.clone(),
        };
        let inner = r2d2::Pool::builder()
            .max_size(MAX_SIZE)
            .min_idle(Some(0))
            .connection_timeout(POOL_TIMEOUT)
            // Failed attempts are logged once per change by DbHealth, not once each.
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(manager);
        Self { inner, health, clock }
    }

    /// A connection: at once [`ManagerError::Unavailable`] while the circuit is open, else within
    /// [`FAST_WAIT`] unless the database answers and every one of the [`MAX_SIZE`] connections is busy.
    pub fn get(&self) -> Result<PgPooled, ManagerError> {
        if self.health.open(self.clock.now()) {
            return Err(self.unavailable());
        }
        match self.inner.get_timeout(FAST_WAIT) {
            Ok(c) => Ok(c),
            // Every connection is in use and the database answers: wait for one to come back.
            Err(_) if !self.health.snapshot().down() && self.inner.state().connections >= MAX_SIZE => self
                .inner
                .get_timeout(BUSY_WAIT)
                .map_err(|e| ManagerError::Database(format!("cannot get a database connection: {e}"))),
            // Connecting failed, or did not finish within FAST_WAIT (a server that does not answer).
            Err(_) => Err(self.unavailable()),
        }
    }

    fn unavailable(&self) -> ManagerError {
        let c = self.health.snapshot();
        ManagerError::Unavailable(if c.last_error().is_empty() {
            format!("no connection within {} s", FAST_WAIT.as_secs())
        } else {
            c.last_error().to_owned()
        })
    }

    /// Whether the database answers, as last seen (never waits).
    pub fn health(&self) -> &Arc<DbHealth> {
        &self.health
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_connection_given_back_healthy_moments_ago_skips_the_test_query() {
        let t = Instant::now();
        assert!(!untested_ok(None, t), "a new connection was never given back");
        assert!(untested_ok(Some(t), t));
        assert!(untested_ok(Some(t), t + FRESH - Duration::from_millis(1)));
        assert!(!untested_ok(Some(t), t + FRESH), "idle for FRESH: tested first");
        assert!(
            untested_ok(Some(t + FRESH), t),
            "given back after now (clock order) is fresh"
        );
    }
}
