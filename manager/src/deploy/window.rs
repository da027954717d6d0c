//! Maintenance windows (DESIGN §5.3): the spec an operator writes, its validation, and its openings in UTC.
//!
//! Pure: every function takes the instant it reasons about and the zone explicitly (the manager's own zone, the
//! default for new windows, comes from [`super::local_zone`]). Zones come from chrono-tz 0.10, which compiles in
//! IANA tz database [`TZDB_VERSION`] ("2025b" with chrono-tz 0.10.4); a window's openings follow that database
//! until the crate is upgraded.
//!
//! DST rules: a start inside a skipped hour begins at the first valid instant after it (the transition); a start
//! inside a repeated hour uses the first occurrence; the duration is elapsed time, so a 2 h window across a
//! fall-back ends 2 h of real time later (its end reads one hour "early" on the wall clock).

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use super::window_check::{SpecError, SpecErrors, Window};
pub use super::window_spec::{
    Nth, WindowKind, WindowSpec, DEFAULT_CUTOFF_MINUTES, MAX_DURATION_MINUTES, MIN_DURATION_MINUTES,
};

/// The IANA tz database version compiled into chrono-tz (e.g. "2025b").
pub const TZDB_VERSION: &str = chrono_tz::IANA_TZDB_VERSION;

/// How far a search walks forward from a skipped local time to the first valid one (Samoa skipped a whole day).
const GAP_SEARCH_MINUTES: u32 = 2 * 24 * 60;
/// How many local days an opening search scans before giving up (a `once` in 30 years is still found).
const MAX_SCAN_DAYS: u32 = 366 * 30;

/// One opening of a window, in UTC: jobs may be dispatched in `[start, dispatch_until)`; `end` is exclusive.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Opening {
    /// First instant of the opening.
    pub start: DateTime<Utc>,
    /// First instant after the opening (`start` + duration, elapsed time).
    pub end: DateTime<Utc>,
    /// First instant at which no new dispatch is allowed (`end` - cutoff).
    pub dispatch_until: DateTime<Utc>,
}

impl Opening {
    /// True when `now` lies inside the opening (`start <= now < end`).
    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        self.start <= now && now < self.end
    }

    /// True when a new job may be dispatched at `now` (`start <= now < dispatch_until`).
    pub fn allows_dispatch(&self, now: DateTime<Utc>) -> bool {
        self.start <= now && now < self.dispatch_until
    }
}

impl Window {
    /// True when the recurrence has an opening starting on local date `date`.
    fn occurs_on(&self, date: NaiveDate) -> bool {
        match &self.kind {
            WindowKind::Daily => true,
            WindowKind::Weekly { weekdays } => weekdays.contains(&date.weekday()),
            WindowKind::MonthlyDay { day } => date.day() == (*day).min(last_day_of_month(date)),
            WindowKind::MonthlyWeekday { nth, weekday } => {
                date.weekday() == *weekday
                    && match nth {
                        Nth::Ordinal(n) => (date.day() - 1) / 7 + 1 == *n,
                        Nth::Last => date.day() + 7 > last_day_of_month(date),
                    }
            }
            WindowKind::Once { date: once } => date == *once,
        }
    }

    /// The opening that starts on local date `date`, if the recurrence has one that day.
    fn opening_on(&self, date: NaiveDate) -> Option<Opening> {
        if !self.occurs_on(date) {
            return None;
        }
        let start = resolve_local(self.zone, date.and_time(self.start))?;
        let end = start + Duration::minutes(i64::from(self.duration_minutes));
        let dispatch_until = end - Duration::minutes(i64::from(self.cutoff_minutes));
        Some(Opening {
            start,
            end,
            dispatch_until,
        })
    }

    /// The last local date an opening can start on, for recurrences that stop.
    fn last_date(&self) -> Option<NaiveDate> {
        match &self.kind {
            WindowKind::Once { date } => Some(*date),
            _ => None,
        }
    }
}

/// The instant a local wall time names in `zone`, by the DST rules of DESIGN §5.3 (see the module doc).
pub fn resolve_local(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.with_timezone(&Utc).min(b.with_timezone(&Utc))),
        LocalResult::None => {
            // Skipped: the first valid local minute after it is the transition instant itself (tzdb transitions
            // fall on whole minutes in wall time since 1970).
            let mut probe = local;
            for _ in 0..GAP_SEARCH_MINUTES {
                probe += Duration::minutes(1);
                match zone.from_local_datetime(&probe) {
                    LocalResult::Single(t) => return Some(t.with_timezone(&Utc)),
                    LocalResult::Ambiguous(a, b) => {
                        return Some(a.with_timezone(&Utc).min(b.with_timezone(&Utc)))
                    }
                    LocalResult::None => {}
                }
            }
            None
        }
    }
}

/// Lazy, ordered openings of one window whose end is after a given instant; see [`openings`].
#[derive(Debug, Clone)]
pub struct Openings<'a> {
    window: &'a Window,
    after: DateTime<Utc>,
    next_date: Option<NaiveDate>,
    days_left: u32,
}

impl Iterator for Openings<'_> {
    type Item = Opening;

    fn next(&mut self) -> Option<Opening> {
        while self.days_left > 0 {
            let date = self.next_date?;
            if self.window.last_date().is_some_and(|last| date > last) {
                self.next_date = None;
                return None;
            }
            self.next_date = date.succ_opt();
            self.days_left -= 1;
            if let Some(opening) = self.window.opening_on(date) {
                if opening.end > self.after {
                    return Some(opening);
                }
            }
        }
        None
    }
}

/// Every opening of `window` whose end is after `after`, in order of start (lazy; a window open at `after` comes
/// first). Openings never overlap except around a DST change with a 24 h window.
pub fn openings(window: &Window, after: DateTime<Utc>) -> Openings<'_> {
    // Start two local days back: an opening that began yesterday (across midnight, or a DST shift) may still run.
    let local_date = after.with_timezone(&window.zone).date_naive();
    let first = local_date
        .pred_opt()
        .and_then(|d| d.pred_opt())
        .unwrap_or(local_date);
    Openings {
        window,
        after,
        next_date: Some(first),
        days_left: MAX_SCAN_DAYS,
    }
}

/// The next `n` openings of `window` whose end is after `after`, in order (an opening in progress comes first).
pub fn openings_after(window: &Window, after: DateTime<Utc>, n: usize) -> Vec<Opening> {
    openings(window, after).take(n).collect()
}

/// The opening of `window` that contains `now`, if it is open.
pub fn open_at(window: &Window, now: DateTime<Utc>) -> Option<Opening> {
    openings(window, now).next().filter(|o| o.contains(now))
}

/// True when a new job may be dispatched at `now`: inside an opening and before its `dispatch_until`.
pub fn may_dispatch(window: &Window, now: DateTime<Utc>) -> bool {
    openings(window, now)
        .take_while(|o| o.start <= now)
        .any(|o| o.allows_dispatch(now))
}

/// `now` if a job may be dispatched now, else the start of the next opening that allows one (None: never again).
pub fn next_dispatchable(window: &Window, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    openings(window, now)
        .find(|o| o.dispatch_until > now)
        .map(|o| o.start.max(now))
}

/// The next `n` openings across all windows of one host, ordered by start (ties by window order), each with the
/// index of its window in `windows`. Overlapping openings of different windows are listed separately.
pub fn host_openings_after(windows: &[Window], after: DateTime<Utc>, n: usize) -> Vec<(usize, Opening)> {
    let mut all: Vec<(usize, Opening)> = windows
        .iter()
        .enumerate()
        .flat_map(|(i, w)| openings(w, after).take(n).map(move |o| (i, o)))
        .collect();
    all.sort_by_key(|(i, o)| (o.start, *i));
    all.truncate(n);
    all
}

/// True when any of a host's windows allows a dispatch at `now`.
pub fn host_may_dispatch(windows: &[Window], now: DateTime<Utc>) -> bool {
    windows.iter().any(|w| may_dispatch(w, now))
}

/// The earliest instant at or after `now` when any of a host's windows allows a dispatch (None: no window will).
pub fn host_next_dispatchable(windows: &[Window], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    windows.iter().filter_map(|w| next_dispatchable(w, now)).min()
}

/// The number of the last day of `date`'s month (28..=31).
fn last_day_of_month(date: NaiveDate) -> u32 {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "window_dst_tests.rs"]
mod dst_tests;

#[cfg(test)]
#[path = "window_dst_far_tests.rs"]
mod dst_far_tests;
