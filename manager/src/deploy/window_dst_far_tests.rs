//! DST tests of maintenance windows in America/New_York and Australia/Lord_Howe (its 30-minute shift).
//!
//! New York 2026: 03-08 02:00->03:00, 11-01 02:00->01:00. Lord Howe 2026: 04-05 02:00->01:30, 10-04 02:00->02:30.
//! Every expected instant is worked out by hand in UTC.

use chrono::Weekday;
use chrono_tz::Tz;

use super::dst_tests::{date, sunday};
use super::tests::{opening, utc, window};
use super::*;
use crate::deploy::window_text::format_opening;

#[test]
fn new_york_spring_forward() {
    // 2026-03-08 02:00 EST -> 03:00 EDT at 07:00 UTC.
    let w = window(WindowKind::Daily, "02:15", 60, "America/New_York");
    assert_eq!(
        openings_after(&w, utc(2026, 3, 6, 12, 0), 3),
        vec![
            opening(utc(2026, 3, 7, 7, 15), 60), // 02:15 EST
            opening(utc(2026, 3, 8, 7, 0), 60),  // skipped -> 03:00 EDT
            opening(utc(2026, 3, 9, 6, 15), 60), // 02:15 EDT
        ]
    );
    // US DST starts on the second Sunday of March.
    let second_sunday = window(
        WindowKind::MonthlyWeekday {
            nth: Nth::Ordinal(2),
            weekday: Weekday::Sun,
        },
        "02:30",
        90,
        "America/New_York",
    );
    assert_eq!(
        openings_after(&second_sunday, utc(2026, 3, 1, 0, 0), 2),
        vec![
            opening(utc(2026, 3, 8, 7, 0), 90),
            opening(utc(2026, 4, 12, 6, 30), 90)
        ]
    );
    // Saturday 23:00 EST for 4 h: across midnight and the change, ending 04:00 EDT.
    let saturday = window(
        WindowKind::Weekly {
            weekdays: vec![Weekday::Sat],
        },
        "23:00",
        240,
        "America/New_York",
    );
    let o = open_at(&saturday, utc(2026, 3, 8, 7, 30)).unwrap();
    assert_eq!(o, opening(utc(2026, 3, 8, 4, 0), 240));
    assert_eq!(
        format_opening(&o, Tz::America__New_York),
        "Sat 2026-03-07 23:00 EST–Sun 2026-03-08 04:00 EDT America/New_York"
    );
    let once = window(
        WindowKind::Once {
            date: date(2026, 3, 8),
        },
        "02:00",
        60,
        "America/New_York",
    );
    assert_eq!(
        openings_after(&once, utc(2026, 3, 1, 0, 0), 2),
        vec![opening(utc(2026, 3, 8, 7, 0), 60)]
    );
}

#[test]
fn new_york_fall_back() {
    // 2026-11-01 02:00 EDT -> 01:00 EST at 06:00 UTC; 01:00-02:00 happens twice.
    let w = window(WindowKind::Daily, "01:30", 120, "America/New_York");
    let got = openings_after(&w, utc(2026, 10, 30, 12, 0), 3);
    assert_eq!(
        got,
        vec![
            opening(utc(2026, 10, 31, 5, 30), 120), // 01:30 EDT
            opening(utc(2026, 11, 1, 5, 30), 120),  // first 01:30 (EDT), ends 02:30 EST
            opening(utc(2026, 11, 2, 6, 30), 120),  // 01:30 EST
        ]
    );
    assert_eq!(
        format_opening(&got[1], Tz::America__New_York),
        "Sun 2026-11-01 01:30 EDT–02:30 EST America/New_York"
    );
    assert_eq!(
        format_opening(&got[1], Tz::Europe__Berlin),
        "Sun 2026-11-01 06:30–08:30 Europe/Berlin"
    );
    // At the second 01:30 (EST) the opening that began at the first one is still open.
    assert_eq!(open_at(&w, utc(2026, 11, 1, 6, 30)), Some(got[1]));
    let first_sunday = window(
        WindowKind::MonthlyWeekday {
            nth: Nth::Ordinal(1),
            weekday: Weekday::Sun,
        },
        "01:00",
        60,
        "America/New_York",
    );
    assert_eq!(
        openings_after(&first_sunday, utc(2026, 10, 15, 0, 0), 2),
        vec![
            opening(utc(2026, 11, 1, 5, 0), 60),
            opening(utc(2026, 12, 6, 6, 0), 60)
        ]
    );
    let day = window(WindowKind::MonthlyDay { day: 1 }, "01:59", 60, "America/New_York");
    assert_eq!(
        openings_after(&day, utc(2026, 10, 15, 0, 0), 1),
        vec![opening(utc(2026, 11, 1, 5, 59), 60)]
    );
    let weekly = window(sunday(), "01:30", 60, "America/New_York");
    assert_eq!(
        openings_after(&weekly, utc(2026, 10, 31, 0, 0), 1),
        vec![opening(utc(2026, 11, 1, 5, 30), 60)]
    );
    let once = window(
        WindowKind::Once {
            date: date(2026, 11, 1),
        },
        "01:30",
        60,
        "America/New_York",
    );
    assert_eq!(
        openings_after(&once, utc(2026, 10, 1, 0, 0), 2),
        vec![opening(utc(2026, 11, 1, 5, 30), 60)]
    );
}

#[test]
fn lord_howe_half_hour_spring_forward() {
    // 2026-10-04 02:00 +10:30 -> 02:30 +11 at 2026-10-03 15:30 UTC.
    let w = window(WindowKind::Daily, "02:15", 60, "Australia/Lord_Howe");
    assert_eq!(
        openings_after(&w, utc(2026, 10, 2, 0, 0), 3),
        vec![
            opening(utc(2026, 10, 2, 15, 45), 60), // 02:15 +10:30
            opening(utc(2026, 10, 3, 15, 30), 60), // skipped -> 02:30 +11
            opening(utc(2026, 10, 4, 15, 15), 60), // 02:15 +11
        ]
    );
    let first_sunday = window(
        WindowKind::MonthlyWeekday {
            nth: Nth::Ordinal(1),
            weekday: Weekday::Sun,
        },
        "02:00",
        90,
        "Australia/Lord_Howe",
    );
    assert_eq!(
        openings_after(&first_sunday, utc(2026, 9, 15, 0, 0), 2),
        vec![
            opening(utc(2026, 10, 3, 15, 30), 90),
            opening(utc(2026, 10, 31, 15, 0), 90)
        ]
    );
    let weekly = window(sunday(), "02:29", 30, "Australia/Lord_Howe");
    assert_eq!(
        openings_after(&weekly, utc(2026, 10, 1, 0, 0), 1),
        vec![opening(utc(2026, 10, 3, 15, 30), 30)]
    );
    let once = window(
        WindowKind::Once {
            date: date(2026, 10, 4),
        },
        "02:15",
        60,
        "Australia/Lord_Howe",
    );
    assert_eq!(
        openings_after(&once, utc(2026, 9, 1, 0, 0), 2),
        vec![opening(utc(2026, 10, 3, 15, 30), 60)]
    );
}

#[test]
fn lord_howe_half_hour_fall_back() {
    // 2026-04-05 02:00 +11 -> 01:30 +10:30 at 2026-04-04 15:00 UTC; 01:30-02:00 happens twice.
    let w = window(WindowKind::Daily, "01:45", 60, "Australia/Lord_Howe");
    let got = openings_after(&w, utc(2026, 4, 3, 0, 0), 3);
    assert_eq!(
        got,
        vec![
            opening(utc(2026, 4, 3, 14, 45), 60), // 01:45 +11
            opening(utc(2026, 4, 4, 14, 45), 60), // first 01:45 (+11), ends 02:15 +10:30
            opening(utc(2026, 4, 5, 15, 15), 60), // 01:45 +10:30
        ]
    );
    assert_eq!(
        format_opening(&got[1], Tz::Australia__Lord_Howe),
        "Sun 2026-04-05 01:45 +11–02:15 +1030 Australia/Lord_Howe"
    );
    let first_sunday = window(
        WindowKind::MonthlyWeekday {
            nth: Nth::Ordinal(1),
            weekday: Weekday::Sun,
        },
        "01:30",
        60,
        "Australia/Lord_Howe",
    );
    assert_eq!(
        openings_after(&first_sunday, utc(2026, 3, 15, 0, 0), 2),
        vec![
            opening(utc(2026, 4, 4, 14, 30), 60),
            opening(utc(2026, 5, 2, 15, 0), 60)
        ]
    );
    let day = window(
        WindowKind::MonthlyDay { day: 5 },
        "01:59",
        60,
        "Australia/Lord_Howe",
    );
    assert_eq!(
        openings_after(&day, utc(2026, 4, 1, 0, 0), 1),
        vec![opening(utc(2026, 4, 4, 14, 59), 60)]
    );
    let once = window(
        WindowKind::Once {
            date: date(2026, 4, 5),
        },
        "01:30",
        60,
        "Australia/Lord_Howe",
    );
    assert_eq!(
        openings_after(&once, utc(2026, 4, 1, 0, 0), 2),
        vec![opening(utc(2026, 4, 4, 14, 30), 60)]
    );
}
