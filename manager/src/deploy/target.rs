//! One deployment target's life (DESIGN §5.3): its states, what it becomes after the agent's job ends or a
//! dispatch fails (retry once while the window is open, back off while the agent is unreachable), and the
//! deployment's stop rule. Pure: time is a parameter.

use chrono::{DateTime, Duration, Utc};
use linux_patch_shared::api::jobs::JobStatus;

/// Agent jobs per target: the first and one retry (seed FR-03, NFR-04).
pub const MAX_ATTEMPTS: i32 = 2;
/// Failed POSTs in a row before a `now` target fails (a windowed one backs off until its cut-off).
pub const MAX_DISPATCH_FAILURES: i32 = 4;
/// First wait after a failed POST (doubling, at most [`MAX_BACKOFF`]).
pub const BACKOFF_BASE: Duration = Duration::seconds(15);
/// Longest wait between two POSTs.
pub const MAX_BACKOFF: Duration = Duration::minutes(15);
/// How long a manager process owns a claimed target before another may take it over.
pub const LEASE: Duration = Duration::seconds(60);

/// A target's state (`deployment_targets.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetState {
    /// Mode `now`: waiting for a dispatch slot.
    Queued,
    /// Mode `next_window`: waiting for its host's window.
    WaitingWindow,
    /// Claimed; the POST to the agent is under way (or was, when its manager died).
    Dispatching,
    /// The agent runs the job.
    Running,
    /// The first attempt failed; the retry is due.
    Retrying,
    /// The job succeeded.
    Succeeded,
    /// The job failed (after the retry), or the agent refused or stayed unreachable.
    Failed,
    /// The agent killed the job at its timeout (after the retry).
    TimedOut,
    /// The agent stopped while the job ran (after the retry).
    Interrupted,
    /// Cancelled before it was dispatched.
    Cancelled,
    /// Its window closed (cut-off) before it could start.
    MissedWindow,
    /// Succeeded, then undone by a rollback.
    RolledBack,
}

impl TargetState {
    /// Every state, in the order pages list them.
    pub const ALL: [TargetState; 12] = [
        TargetState::Queued,
        TargetState::WaitingWindow,
        TargetState::Dispatching,
        TargetState::Running,
        TargetState::Retrying,
        TargetState::Succeeded,
        TargetState::Failed,
        TargetState::TimedOut,
        TargetState::Interrupted,
        TargetState::Cancelled,
        TargetState::MissedWindow,
        TargetState::RolledBack,
    ];

    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Queued => "queued",
            TargetState::WaitingWindow => "waiting_window",
            TargetState::Dispatching => "dispatching",
            TargetState::Running => "running",
            TargetState::Retrying => "retrying",
            TargetState::Succeeded => "succeeded",
            TargetState::Failed => "failed",
            TargetState::TimedOut => "timed_out",
            TargetState::Interrupted => "interrupted",
            TargetState::Cancelled => "cancelled",
            TargetState::MissedWindow => "missed_window",
            TargetState::RolledBack => "rolled_back",
        }
    }

    /// Parses a column value.
    pub fn parse(s: &str) -> Option<TargetState> {
        TargetState::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Not yet handed to an agent (may still be cancelled).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            TargetState::Queued | TargetState::WaitingWindow | TargetState::Retrying
        )
    }

    /// Ended: nothing more happens to it (except a rollback of a succeeded one).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TargetState::Succeeded
                | TargetState::Failed
                | TargetState::TimedOut
                | TargetState::Interrupted
                | TargetState::Cancelled
                | TargetState::MissedWindow
                | TargetState::RolledBack
        )
    }

    /// Ended without doing its work (what the stop rule and the Dashboard count).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            TargetState::Failed
                | TargetState::TimedOut
                | TargetState::Interrupted
                | TargetState::MissedWindow
        )
    }
}

/// What happens next to a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// It ends in this state.
    Final(TargetState),
    /// It is tried again (a new attempt, or the same POST) at `due_at`.
    Again {
        /// The state it waits in.
        state: TargetState,
        /// No dispatch before this.
        due_at: DateTime<Utc>,
    },
}

/// Whether a claimed target may still start at `now` (before its window's cut-off; always for `now`).
pub fn may_start(now: DateTime<Utc>, dispatch_until: Option<DateTime<Utc>>) -> bool {
    dispatch_until.is_none_or(|until| now < until)
}

/// After the agent's job of attempt `attempts` ended with `status` at `now`: a failure is retried once,
/// at once, while the window is still open (mode `now`: once, at once); otherwise the target ends.
pub fn after_job(
    status: JobStatus,
    attempts: i32,
    now: DateTime<Utc>,
    dispatch_until: Option<DateTime<Utc>>,
) -> Next {
    let ended = match status {
        JobStatus::Succeeded => return Next::Final(TargetState::Succeeded),
        JobStatus::RolledBack => return Next::Final(TargetState::RolledBack),
        JobStatus::Queued | JobStatus::Running => return Next::Final(TargetState::Running),
        JobStatus::Failed => TargetState::Failed,
        JobStatus::TimedOut => TargetState::TimedOut,
        JobStatus::Interrupted => TargetState::Interrupted,
    };
    if attempts < MAX_ATTEMPTS && may_start(now, dispatch_until) {
        Next::Again {
            state: TargetState::Retrying,
            due_at: now,
        }
    } else {
        Next::Final(ended)
    }
}

/// The wait after the `failures`-th failed POST in a row (1, 2, ...): 15 s doubling, at most 15 min.
pub fn backoff(failures: i32) -> Duration {
    let steps = u32::try_from(failures.saturating_sub(1).clamp(0, 16)).unwrap_or(0);
    let wait = BACKOFF_BASE * 2_i32.saturating_pow(steps);
    wait.min(MAX_BACKOFF)
}

/// After a POST for a target failed at `now` (`failures`: in a row, this one included; `retryable`: no
/// answer, 429 or 5xx). A refusal ends it; silence is retried with backoff while the window allows (mode
/// `now`: [`MAX_DISPATCH_FAILURES`] times), in the state it waited in.
pub fn after_dispatch_error(
    retryable: bool,
    failures: i32,
    waited_in: TargetState,
    now: DateTime<Utc>,
    dispatch_until: Option<DateTime<Utc>>,
) -> Next {
    if !retryable {
        return Next::Final(TargetState::Failed);
    }
    let due_at = now + backoff(failures);
    let again = match dispatch_until {
        Some(until) => due_at < until,
        None => failures < MAX_DISPATCH_FAILURES,
    };
    if again {
        Next::Again {
            state: waited_in,
            due_at,
        }
    } else {
        Next::Final(TargetState::Failed)
    }
}

/// Whether more than `pct` % of `total` targets have failed (the deployment then pauses).
pub fn stop_rule_tripped(failed: i64, total: i64, pct: Option<i32>) -> bool {
    match pct {
        Some(p) if total > 0 => failed * 100 > i64::from(p) * total,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        "2026-06-01T02:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(min)
    }

    #[test]
    fn states_round_trip_and_are_classified() {
        for s in TargetState::ALL {
            assert_eq!(TargetState::parse(s.as_str()), Some(s));
            assert!(!(s.is_pending() && s.is_final()), "{s:?}");
        }
        assert_eq!(TargetState::parse("bogus"), None);
        assert!(TargetState::MissedWindow.is_failure());
        assert!(!TargetState::Cancelled.is_failure());
    }

    #[test]
    fn a_failure_is_retried_once_while_the_window_is_open() {
        let until = Some(t(60));
        assert_eq!(
            after_job(JobStatus::Failed, 1, t(10), until),
            Next::Again {
                state: TargetState::Retrying,
                due_at: t(10)
            }
        );
        assert_eq!(
            after_job(JobStatus::Failed, 2, t(20), until),
            Next::Final(TargetState::Failed)
        );
        assert_eq!(
            after_job(JobStatus::TimedOut, 2, t(20), until),
            Next::Final(TargetState::TimedOut)
        );
    }

    #[test]
    fn no_retry_after_the_cut_off_and_mode_now_retries_once() {
        assert_eq!(
            after_job(JobStatus::Interrupted, 1, t(60), Some(t(60))),
            Next::Final(TargetState::Interrupted)
        );
        assert!(matches!(
            after_job(JobStatus::Failed, 1, t(500), None),
            Next::Again { .. }
        ));
        assert_eq!(
            after_job(JobStatus::Failed, 2, t(500), None),
            Next::Final(TargetState::Failed)
        );
        assert_eq!(
            after_job(JobStatus::Succeeded, 1, t(500), Some(t(0))),
            Next::Final(TargetState::Succeeded)
        );
    }

    #[test]
    fn the_cut_off_is_exclusive() {
        assert!(may_start(t(59), Some(t(60))));
        assert!(!may_start(t(60), Some(t(60))));
        assert!(may_start(t(9999), None));
    }

    #[test]
    fn unreachable_agents_back_off_inside_the_window_then_fail() {
        assert_eq!(backoff(1), Duration::seconds(15));
        assert_eq!(backoff(2), Duration::seconds(30));
        assert_eq!(backoff(20), MAX_BACKOFF);
        let w = TargetState::WaitingWindow;
        assert_eq!(
            after_dispatch_error(true, 1, w, t(0), Some(t(60))),
            Next::Again {
                state: w,
                due_at: t(0) + Duration::seconds(15)
            }
        );
        assert_eq!(
            after_dispatch_error(true, 8, w, t(50), Some(t(60))),
            Next::Final(TargetState::Failed),
            "the next try would be after the cut-off"
        );
        assert_eq!(
            after_dispatch_error(false, 1, w, t(0), Some(t(60))),
            Next::Final(TargetState::Failed),
            "a refusal is final"
        );
        let q = TargetState::Queued;
        assert!(matches!(
            after_dispatch_error(true, 3, q, t(0), None),
            Next::Again { .. }
        ));
        assert_eq!(
            after_dispatch_error(true, 4, q, t(0), None),
            Next::Final(TargetState::Failed)
        );
    }

    #[test]
    fn the_stop_rule_pauses_above_its_percentage() {
        assert!(!stop_rule_tripped(1, 10, Some(10)));
        assert!(stop_rule_tripped(2, 10, Some(10)));
        assert!(!stop_rule_tripped(10, 10, None));
        assert!(!stop_rule_tripped(0, 0, Some(1)));
    }

    #[test]
    fn the_failed_target_query_and_its_index_name_exactly_the_failure_states() {
        let sql = crate::db::models::deployment::FAILED_TARGET_SQL;
        let named: Vec<&str> = TargetState::ALL
            .into_iter()
            .filter(|t| sql.contains(&format!("'{}'", t.as_str())))
            .map(TargetState::as_str)
            .collect();
        let failures: Vec<&str> = TargetState::ALL
            .into_iter()
            .filter(|t| t.is_failure())
            .map(TargetState::as_str)
            .collect();
        assert_eq!(named, failures);
        let index = include_str!("../../../migrations/2026-12-11-100000_s23_failed_targets/up.sql");
        for s in failures {
            assert!(index.contains(&format!("'{s}'")), "the partial index covers {s}");
        }
    }
}
