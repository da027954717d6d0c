//! DST tests of maintenance windows in Europe/Berlin (2026-03-29 02:00->03:00, 2026-10-25 03:00->02:00).
//!
//! Every expected instant is worked out by hand in UTC.

use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;

use super::tests::{opening, utc, window};
use super::*;
use crate::deploy::window_text::format_opening;

fn local(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_opt(h, mi, 0)
        .unwrap()
}

pub(super) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(super) fn sunday() -> WindowKind {
    WindowKind::Weekly {
        weekdays: vec![Weekday::Sun],
    }
}

#[test]
fn resolve_local_gap_overlap_and_plain() {
    let berlin = Tz::Europe__Berlin;
    // Skipped 02:00-03:00 CET on 2026-03-29: the first valid instant is 03:00 CEST = 01:00 UTC.
    assert_eq!(
        resolve_local(berlin, local(2026, 3, 29, 2, 0)),
        Some(utc(2026, 3, 29, 1, 0))
    );
    assert_eq!(
        resolve_local(berlin, local(2026, 3, 29, 2, 59)),
        Some(utc(2026, 3, 29, 1, 0))
    );
    assert_eq!(
        resolve_local(berlin, local(2026, 3, 29, 3, 0)),
        Some(utc(2026, 3, 29, 1, 0))
    );
    // Repeated 02:00-03:00 on 2026-10-25: the first occurrence (CEST).
    assert_eq!(
        resolve_local(berlin, local(2026, 10, 25, 2, 30)),
        Some(utc(2026, 10, 25, 0, 30))
    );
    assert_eq!(
        resolve_local(berlin, local(2026, 10, 25, 3, 0)),
        Some(utc(2026, 10, 25, 2, 0))
    );
    let lord_howe = Tz::Australia__Lord_Howe;
    assert_eq!(
        resolve_local(lord_howe, local(2026, 10, 4, 2, 15)),
        Some(utc(2026, 10, 3, 15, 30))
    );
    assert_eq!(
        resolve_local(lord_howe, local(2026, 4, 5, 1, 45)),
        Some(utc(2026, 4, 4, 14, 45))
    );
}

#[test]
fn berlin_spring_forward_daily() {
    let w = window(WindowKind::Daily, "02:30", 120, "Europe/Berlin");
    let got = openings_after(&w, utc(2026, 3, 27, 12, 0), 4);
    assert_eq!(
        got,
        vec![
            opening(utc(2026, 3, 28, 1, 30), 120), // 02:30 CET
            opening(utc(2026, 3, 29, 1, 0), 120),  // 02:30 skipped -> 03:00 CEST
            opening(utc(2026, 3, 30, 0, 30), 120), // 02:30 CEST
            opening(utc(2026, 3, 31, 0, 30), 120),
        ]
    );
    assert_eq!(
        format_opening(&got[1], Tz::Europe__Berlin),
        "Sun 2026-03-29 03:00–05:00 Europe/Berlin"
    );
    // Starting before the change and running across it: 3 h elapsed, 4 h on the wall clock.
    let early = window(WindowKind::Daily, "01:00", 180, "Europe/Berlin");
    let o = open_at(&early, utc(2026, 3, 29, 1, 0)).unwrap();
    assert_eq!(o, opening(utc(2026, 3, 29, 0, 0), 180));
    assert_eq!(
        format_opening(&o, Tz::Europe__Berlin),
        "Sun 2026-03-29 01:00 CET–05:00 CEST Europe/Berlin"
    );
    // Across midnight and the change: Sat 23:00 CET + 3 h ends 03:00 CEST.
    let late = window(WindowKind::Daily, "23:00", 180, "Europe/Berlin");
    assert_eq!(
        open_at(&late, utc(2026, 3, 29, 0, 59)),
        Some(opening(utc(2026, 3, 28, 22, 0), 180))
    );
    assert_eq!(open_at(&late, utc(2026, 3, 29, 1, 0)), None);
}

#[test]
fn berlin_spring_forward_weekly_monthly_once() {
    // 02:00 itself is the first skipped minute.
    let w = window(sunday(), "02:00", 60, "Europe/Berlin");
    assert_eq!(
        openings_after(&w, utc(2026, 3, 21, 0, 0), 3),
        vec![
            opening(utc(2026, 3, 22, 1, 0), 60), // 02:00 CET
            opening(utc(2026, 3, 29, 1, 0), 60), // -> 03:00 CEST
            opening(utc(2026, 4, 5, 0, 0), 60),  // 02:00 CEST
        ]
    );
    let day = window(WindowKind::MonthlyDay { day: 29 }, "02:30", 120, "Europe/Berlin");
    assert_eq!(
        openings_after(&day, utc(2026, 3, 1, 0, 0), 2),
        vec![
            opening(utc(2026, 3, 29, 1, 0), 120),
            opening(utc(2026, 4, 29, 0, 30), 120)
        ]
    );
    // The EU changes on the last Sunday of March and October.
    let last_sunday = window(
        WindowKind::MonthlyWeekday {
            nth: Nth::Last,
            weekday: Weekday::Sun,
        },
        "02:30",
        120,
        "Europe/Berlin",
    );
    assert_eq!(
        openings_after(&last_sunday, utc(2026, 3, 1, 0, 0), 2),
        vec![
            opening(utc(2026, 3, 29, 1, 0), 120),
            opening(utc(2026, 4, 26, 0, 30), 120)
        ]
    );
    let once = window(
        WindowKind::Once {
            date: date(2026, 3, 29),
        },
        "02:45",
        60,
        "Europe/Berlin",
    );
    assert_eq!(
        openings_after(&once, utc(2026, 3, 1, 0, 0), 3),
        vec![opening(utc(2026, 3, 29, 1, 0), 60)]
    );
}

#[test]
fn berlin_fall_back_daily_uses_first_occurrence_and_elapsed_duration() {
    let w = window(WindowKind::Daily, "02:30", 120, "Europe/Berlin");
    let got = openings_after(&w, utc(2026, 10, 23, 12, 0), 3);
    assert_eq!(
        got,
        vec![
            opening(utc(2026, 10, 24, 0, 30), 120), // 02:30 CEST
            opening(utc(2026, 10, 25, 0, 30), 120), // first 02:30 (CEST), ends 03:30 CET
            opening(utc(2026, 10, 26, 1, 30), 120), // 02:30 CET
        ]
    );
    assert_eq!(
        format_opening(&got[1], Tz::Europe__Berlin),
        "Sun 2026-10-25 02:30 CEST–03:30 CET Europe/Berlin"
    );
    // During the second 02:30 (CET, 01:30 UTC) the window is still open and dispatching until 02:15 UTC.
    assert_eq!(open_at(&w, utc(2026, 10, 25, 1, 30)), Some(got[1]));
    assert!(may_dispatch(&w, utc(2026, 10, 25, 2, 14)));
    assert!(!may_dispatch(&w, utc(2026, 10, 25, 2, 15)));
}

#[test]
fn berlin_fall_back_weekly_monthly_once() {
    let w = window(sunday(), "02:00", 120, "Europe/Berlin");
    let got = openings_after(&w, utc(2026, 10, 17, 0, 0), 3);
    assert_eq!(
        got,
        vec![
            opening(utc(2026, 10, 18, 0, 0), 120), // 02:00 CEST
            opening(utc(2026, 10, 25, 0, 0), 120), // first 02:00 (CEST), 2 h later is 03:00 CET
            opening(utc(2026, 11, 1, 1, 0), 120),  // 02:00 CET
        ]
    );
    assert_eq!(
        format_opening(&got[1], Tz::Europe__Berlin),
        "Sun 2026-10-25 02:00 CEST–03:00 CET Europe/Berlin"
    );
    let last_sunday = window(
        WindowKind::MonthlyWeekday {
            nth: Nth::Last,
            weekday: Weekday::Sun,
        },
        "02:30",
        120,
        "Europe/Berlin",
    );
    assert_eq!(
        openings_after(&last_sunday, utc(2026, 10, 1, 0, 0), 2),
        vec![
            opening(utc(2026, 10, 25, 0, 30), 120),
            opening(utc(2026, 11, 29, 1, 30), 120)
        ]
    );
    let day = window(WindowKind::MonthlyDay { day: 25 }, "02:59", 60, "Europe/Berlin");
    assert_eq!(
        openings_after(&day, utc(2026, 10, 1, 0, 0), 1),
        vec![opening(utc(2026, 10, 25, 0, 59), 60)]
    );
    let once = window(
        WindowKind::Once {
            date: date(2026, 10, 25),
        },
        "02:30",
        60,
        "Europe/Berlin",
    );
    assert_eq!(
        openings_after(&once, utc(2026, 10, 1, 0, 0), 3),
        vec![opening(utc(2026, 10, 25, 0, 30), 60)]
    );
}

#[test]
fn berlin_24h_window_across_a_change_overlaps_but_stays_ordered() {
    // 2026-03-29 has 23 hours: the 24 h opening of the 28th runs 30 minutes into the (moved) opening of the 29th.
    let w = window(WindowKind::Daily, "02:30", 1440, "Europe/Berlin");
    let got = openings_after(&w, utc(2026, 3, 28, 12, 0), 2);
    assert_eq!(
        got,
        vec![
            opening(utc(2026, 3, 28, 1, 30), 1440),
            opening(utc(2026, 3, 29, 1, 0), 1440)
        ]
    );
    assert_eq!(open_at(&w, utc(2026, 3, 29, 1, 15)), Some(got[0]));
    assert_eq!(
        next_dispatchable(&w, utc(2026, 3, 29, 1, 20)),
        Some(utc(2026, 3, 29, 1, 20))
    );
}
