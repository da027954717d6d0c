//! Unit tests of maintenance windows: recurrences, clamping, once, cutoff edges, a host's several windows, text.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::*;
use crate::deploy::window_text::{describe_opening, format_opening, OpeningText};

pub(super) fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

pub(super) fn spec(kind: WindowKind, start: &str, minutes: u32, zone: &str) -> WindowSpec {
    WindowSpec {
        kind,
        start: start.into(),
        duration_minutes: minutes,
        time_zone: Some(zone.into()),
        cutoff_minutes: DEFAULT_CUTOFF_MINUTES,
    }
}

pub(super) fn window(kind: WindowKind, start: &str, minutes: u32, zone: &str) -> Window {
    spec(kind, start, minutes, zone).validate_stored().unwrap()
}

/// An opening from its UTC start and elapsed length, with the default 15-minute cutoff.
pub(super) fn opening(start: DateTime<Utc>, minutes: i64) -> Opening {
    let end = start + Duration::minutes(minutes);
    Opening {
        start,
        end,
        dispatch_until: end - Duration::minutes(15),
    }
}

fn starts(openings: &[Opening]) -> Vec<DateTime<Utc>> {
    openings.iter().map(|o| o.start).collect()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn tzdb_version_is_the_one_chrono_tz_carries() {
    assert_eq!(TZDB_VERSION, "2025b");
}

#[test]
fn daily_window_open_now_comes_first() {
    let w = window(WindowKind::Daily, "02:00", 60, "UTC");
    let got = openings_after(&w, utc(2026, 5, 4, 2, 30), 3);
    assert_eq!(
        got,
        vec![
            opening(utc(2026, 5, 4, 2, 0), 60),
            opening(utc(2026, 5, 5, 2, 0), 60),
            opening(utc(2026, 5, 6, 2, 0), 60),
        ]
    );
    // `after` exactly at the end: that opening is over (end is exclusive).
    assert_eq!(
        openings_after(&w, utc(2026, 5, 4, 3, 0), 1),
        vec![opening(utc(2026, 5, 5, 2, 0), 60)]
    );
}

#[test]
fn window_spanning_midnight() {
    // 23:00 CET + 3 h: 22:00 UTC to 01:00 UTC the next day.
    let w = window(WindowKind::Daily, "23:00", 180, "Europe/Berlin");
    let inside = utc(2026, 1, 11, 0, 30);
    let first = opening(utc(2026, 1, 10, 22, 0), 180);
    assert_eq!(open_at(&w, inside), Some(first));
    assert!(may_dispatch(&w, inside));
    assert_eq!(
        openings_after(&w, inside, 2),
        vec![first, opening(utc(2026, 1, 11, 22, 0), 180)]
    );
    assert_eq!(
        format_opening(&first, Tz::Europe__Berlin),
        "Sat 2026-01-10 23:00–Sun 2026-01-11 02:00 Europe/Berlin"
    );
    // A weekly Saturday-night window is open early on Sunday.
    let sat = window(
        WindowKind::Weekly {
            weekdays: vec![Weekday::Sat],
        },
        "23:00",
        180,
        "Europe/Berlin",
    );
    assert_eq!(open_at(&sat, inside), Some(first));
    assert_eq!(open_at(&sat, utc(2026, 1, 12, 0, 30)), None);
}

#[test]
fn weekly_on_a_set_of_weekdays() {
    let w = window(
        WindowKind::Weekly {
            weekdays: vec![Weekday::Thu, Weekday::Tue, Weekday::Tue],
        },
        "02:00",
        120,
        "UTC",
    );
    assert_eq!(
        w.kind(),
        &WindowKind::Weekly {
            weekdays: vec![Weekday::Tue, Weekday::Thu]
        }
    );
    // Mon 2026-03-09: Tue 10, Thu 12, Tue 17, Thu 19.
    assert_eq!(
        starts(&openings_after(&w, utc(2026, 3, 9, 12, 0), 4)),
        vec![
            utc(2026, 3, 10, 2, 0),
            utc(2026, 3, 12, 2, 0),
            utc(2026, 3, 17, 2, 0),
            utc(2026, 3, 19, 2, 0)
        ]
    );
}

#[test]
fn monthly_day_31_is_clamped_to_the_last_day() {
    let w = window(WindowKind::MonthlyDay { day: 31 }, "02:00", 60, "UTC");
    assert_eq!(
        starts(&openings_after(&w, utc(2026, 1, 31, 12, 0), 4)),
        vec![
            utc(2026, 2, 28, 2, 0),
            utc(2026, 3, 31, 2, 0),
            utc(2026, 4, 30, 2, 0),
            utc(2026, 5, 31, 2, 0)
        ]
    );
    // Leap year: 29 February.
    assert_eq!(
        starts(&openings_after(&w, utc(2028, 2, 1, 0, 0), 2)),
        vec![utc(2028, 2, 29, 2, 0), utc(2028, 3, 31, 2, 0)]
    );
    let thirtieth = window(WindowKind::MonthlyDay { day: 30 }, "02:00", 60, "UTC");
    assert_eq!(
        starts(&openings_after(&thirtieth, utc(2027, 1, 31, 0, 0), 2)),
        vec![utc(2027, 2, 28, 2, 0), utc(2027, 3, 30, 2, 0)]
    );
}

#[test]
fn fifth_tuesday_only_in_months_that_have_one() {
    let w = window(
        WindowKind::MonthlyWeekday {
            nth: Nth::Ordinal(5),
            weekday: Weekday::Tue,
        },
        "02:00",
        60,
        "UTC",
    );
    // 2026: March 31, June 30, September 29, December 29; then 2027-03-30 (none in Jan/Feb 2027).
    assert_eq!(
        starts(&openings_after(&w, utc(2026, 1, 1, 0, 0), 5)),
        vec![
            utc(2026, 3, 31, 2, 0),
            utc(2026, 6, 30, 2, 0),
            utc(2026, 9, 29, 2, 0),
            utc(2026, 12, 29, 2, 0),
            utc(2027, 3, 30, 2, 0)
        ]
    );
    let second = window(
        WindowKind::MonthlyWeekday {
            nth: Nth::Ordinal(2),
            weekday: Weekday::Tue,
        },
        "02:00",
        60,
        "UTC",
    );
    assert_eq!(
        starts(&openings_after(&second, utc(2026, 3, 1, 0, 0), 2)),
        vec![utc(2026, 3, 10, 2, 0), utc(2026, 4, 14, 2, 0)]
    );
}

#[test]
fn last_friday_of_each_month() {
    let w = window(
        WindowKind::MonthlyWeekday {
            nth: Nth::Last,
            weekday: Weekday::Fri,
        },
        "22:00",
        240,
        "UTC",
    );
    assert_eq!(
        starts(&openings_after(&w, utc(2026, 1, 1, 0, 0), 4)),
        vec![
            utc(2026, 1, 30, 22, 0),
            utc(2026, 2, 27, 22, 0),
            utc(2026, 3, 27, 22, 0),
            utc(2026, 4, 24, 22, 0)
        ]
    );
    // Running across midnight into Saturday 2026-01-31.
    assert_eq!(
        open_at(&w, utc(2026, 1, 31, 1, 0)),
        Some(opening(utc(2026, 1, 30, 22, 0), 240))
    );
}

#[test]
fn once_in_the_past_has_no_openings() {
    let w = window(
        WindowKind::Once {
            date: date(2026, 3, 10),
        },
        "02:00",
        60,
        "Europe/Berlin",
    );
    assert_eq!(openings_after(&w, utc(2026, 3, 10, 2, 0), 5), vec![]);
    assert_eq!(next_dispatchable(&w, utc(2026, 4, 1, 0, 0)), None);
    assert!(!may_dispatch(&w, utc(2026, 4, 1, 0, 0)));
    // Before it: exactly one opening (02:00 CET = 01:00 UTC).
    assert_eq!(
        openings_after(&w, utc(2026, 3, 1, 0, 0), 5),
        vec![opening(utc(2026, 3, 10, 1, 0), 60)]
    );
    // Far ahead still found.
    let later = window(
        WindowKind::Once {
            date: date(2040, 7, 1),
        },
        "02:00",
        60,
        "UTC",
    );
    assert_eq!(
        starts(&openings_after(&later, utc(2026, 1, 1, 0, 0), 5)),
        vec![utc(2040, 7, 1, 2, 0)]
    );
}

#[test]
fn cutoff_edges() {
    // 02:00-03:00 UTC, cutoff 15: dispatch in [02:00, 02:45).
    let w = window(WindowKind::Daily, "02:00", 60, "UTC");
    let until = utc(2026, 5, 4, 2, 45);
    assert!(!may_dispatch(&w, utc(2026, 5, 4, 2, 0) - Duration::seconds(1)));
    assert!(may_dispatch(&w, utc(2026, 5, 4, 2, 0)));
    assert!(may_dispatch(&w, until - Duration::seconds(1)));
    assert!(!may_dispatch(&w, until));
    assert!(!may_dispatch(&w, utc(2026, 5, 4, 3, 0)));
    assert!(!may_dispatch(&w, utc(2026, 5, 4, 3, 0) + Duration::seconds(1)));
    // Open but past the cutoff: open_at still says open, next dispatch is tomorrow.
    assert_eq!(open_at(&w, until).map(|o| o.dispatch_until), Some(until));
    assert_eq!(open_at(&w, utc(2026, 5, 4, 3, 0)), None);
    assert_eq!(next_dispatchable(&w, until), Some(utc(2026, 5, 5, 2, 0)));
    assert_eq!(
        next_dispatchable(&w, utc(2026, 5, 4, 2, 30)),
        Some(utc(2026, 5, 4, 2, 30))
    );
    assert_eq!(
        next_dispatchable(&w, utc(2026, 5, 4, 1, 0)),
        Some(utc(2026, 5, 4, 2, 0))
    );
    // Cutoff 0: dispatch right up to the end.
    let mut zero = spec(WindowKind::Daily, "02:00", 60, "UTC");
    zero.cutoff_minutes = 0;
    let zero = zero.validate_stored().unwrap();
    assert!(may_dispatch(&zero, utc(2026, 5, 4, 3, 0) - Duration::seconds(1)));
    assert!(!may_dispatch(&zero, utc(2026, 5, 4, 3, 0)));
}

#[test]
fn several_windows_of_one_host_merged() {
    let nightly = window(WindowKind::Daily, "02:00", 60, "UTC");
    // Wednesdays 22:00 Berlin (CET in March: 21:00 UTC) for 2 h.
    let wednesday = window(
        WindowKind::Weekly {
            weekdays: vec![Weekday::Wed],
        },
        "22:00",
        120,
        "Europe/Berlin",
    );
    let host = [nightly, wednesday];
    // Tue 2026-03-10 12:00 UTC.
    let now = utc(2026, 3, 10, 12, 0);
    assert_eq!(
        host_openings_after(&host, now, 4),
        vec![
            (0, opening(utc(2026, 3, 11, 2, 0), 60)),
            (1, opening(utc(2026, 3, 11, 21, 0), 120)),
            (0, opening(utc(2026, 3, 12, 2, 0), 60)),
            (0, opening(utc(2026, 3, 13, 2, 0), 60)),
        ]
    );
    assert_eq!(host_next_dispatchable(&host, now), Some(utc(2026, 3, 11, 2, 0)));
    assert_eq!(
        host_next_dispatchable(&host, utc(2026, 3, 11, 3, 0)),
        Some(utc(2026, 3, 11, 21, 0))
    );
    assert!(host_may_dispatch(&host, utc(2026, 3, 11, 22, 0)));
    assert!(!host_may_dispatch(&host, utc(2026, 3, 11, 12, 0)));
    assert_eq!(host_next_dispatchable(&[], now), None);
    assert_eq!(host_openings_after(&[], now, 3), vec![]);
}

#[test]
fn openings_as_text_in_own_and_viewer_zone() {
    let o = opening(utc(2026, 3, 10, 1, 0), 120);
    assert_eq!(
        format_opening(&o, Tz::Europe__Berlin),
        "Tue 2026-03-10 02:00–04:00 Europe/Berlin"
    );
    assert_eq!(
        describe_opening(&o, Tz::Europe__Berlin, Tz::America__New_York),
        OpeningText {
            own: "Tue 2026-03-10 02:00–04:00 Europe/Berlin".into(),
            viewer: "Mon 2026-03-09 21:00–23:00 America/New_York".into(),
        }
    );
    assert_eq!(format_opening(&o, Tz::UTC), "Tue 2026-03-10 01:00–03:00 UTC");
}
