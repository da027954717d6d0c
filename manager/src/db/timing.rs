//! Per-request database timing for `Server-Timing`: how long a request waited for a connection and spent in queries.
//!
//! The request middleware opens a [`scope`]; every [`super::Db::run`] awaited inside it adds its figures. Work
//! outside a request (actors) records nothing. Measurements only (`Instant`), never used for decisions.

use std::cell::Cell;
use std::future::Future;
use std::time::{Duration, Instant};

tokio::task_local! {
    static TIMING: DbTiming;
}

/// What the database cost one request so far.
#[derive(Debug, Default)]
pub struct DbTiming {
    calls: Cell<u32>,
    wait: Cell<Duration>,
    query: Cell<Duration>,
}

/// The figures of one request, as `Server-Timing` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DbFigures {
    /// `Db::run` calls.
    pub calls: u32,
    /// Time from asking to holding a connection on a blocking thread (thread hand-off + pool checkout).
    pub wait_ms: f64,
    /// Time inside the closures (queries and what they do with the rows).
    pub query_ms: f64,
}

impl DbFigures {
    /// The `Server-Timing` entries (`db` and `dbwait`), to follow `app;dur=…`.
    pub fn header_part(&self) -> String {
        format!(
            "db;dur={:.2};desc=\"{} calls\", dbwait;dur={:.2}",
            self.query_ms, self.calls, self.wait_ms
        )
    }
}

/// Runs `fut` with a fresh timing; returns its output and the figures.
pub async fn scope<F: Future>(fut: F) -> (F::Output, DbFigures) {
    TIMING
        .scope(DbTiming::default(), async move {
            let out = fut.await;
            let figures = TIMING
                .try_with(|t| DbFigures {
                    calls: t.calls.get(),
                    wait_ms: t.wait.get().as_secs_f64() * 1000.0,
                    query_ms: t.query.get().as_secs_f64() * 1000.0,
                })
                .unwrap_or_default();
            (out, figures)
        })
        .await
}

/// Adds one call's wait and query time to the current request's timing, if there is one.
pub fn record(wait: Duration, query: Duration) {
    let _ = TIMING.try_with(|t| {
        t.calls.set(t.calls.get().saturating_add(1));
        t.wait.set(t.wait.get() + wait);
        t.query.set(t.query.get() + query);
    });
}

/// Stamps taken on the blocking thread around one call.
#[derive(Debug, Clone, Copy)]
pub struct Stamps {
    /// When the caller asked.
    pub asked: Instant,
    /// When the connection was in hand.
    pub held: Instant,
    /// When the closure returned.
    pub done: Instant,
}

impl Stamps {
    /// Records these stamps in the current request's timing.
    pub fn record(&self) {
        record(self.held - self.asked, self.done - self.held);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_inside_a_scope_add_up_and_calls_outside_record_nothing() {
        record(Duration::from_millis(50), Duration::from_millis(50)); // no scope: ignored
        let ((), f) = scope(async {
            record(Duration::from_millis(2), Duration::from_millis(3));
            tokio::task::yield_now().await;
            record(Duration::from_millis(1), Duration::from_millis(4));
        })
        .await;
        assert_eq!(f.calls, 2);
        assert!((f.wait_ms - 3.0).abs() < 1e-9, "{f:?}");
        assert!((f.query_ms - 7.0).abs() < 1e-9, "{f:?}");
        assert_eq!(f.header_part(), "db;dur=7.00;desc=\"2 calls\", dbwait;dur=3.00");
        let ((), empty) = scope(async {}).await;
        assert_eq!(empty, DbFigures::default());
    }
}
