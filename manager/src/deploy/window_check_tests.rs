//! Unit tests of window specs: every refused field with its message, defaults, and the JSON form (serde).

use chrono::{NaiveDate, Weekday};
use chrono_tz::Tz;

use super::*;
use crate::deploy::window::DEFAULT_CUTOFF_MINUTES;

fn spec(kind: WindowKind, start: &str, minutes: u32, zone: &str) -> WindowSpec {
    WindowSpec {
        kind,
        start: start.into(),
        duration_minutes: minutes,
        time_zone: Some(zone.into()),
        cutoff_minutes: DEFAULT_CUTOFF_MINUTES,
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn invalid_specs_are_refused_with_every_reason() {
    let zone = Tz::UTC;
    let refused = |s: WindowSpec| s.validate(zone).unwrap_err().0;
    let fields = |s: WindowSpec| refused(s).into_iter().map(|e| e.field).collect::<Vec<_>>();
    let weekly_empty = refused(spec(WindowKind::Weekly { weekdays: vec![] }, "02:00", 60, "UTC"));
    assert_eq!(
        weekly_empty[0].message,
        "a weekly window needs at least one weekday (Mon..Sun)"
    );
    let day0 = refused(spec(WindowKind::MonthlyDay { day: 0 }, "02:00", 60, "UTC"));
    assert_eq!(
        day0[0].to_string(),
        "kind.day: day must be 1-31 (days past a month's end mean its last day), got 0"
    );
    assert_eq!(
        fields(spec(WindowKind::MonthlyDay { day: 32 }, "02:00", 60, "UTC")),
        ["kind.day"]
    );
    let nth = |n| WindowKind::MonthlyWeekday {
        nth: Nth::Ordinal(n),
        weekday: Weekday::Tue,
    };
    assert_eq!(
        refused(spec(nth(6), "02:00", 60, "UTC"))[0].message,
        "nth must be 1-5 or \"last\", got 6"
    );
    assert_eq!(fields(spec(nth(0), "02:00", 60, "UTC")), ["kind.nth"]);
    let cutoff = refused(spec(WindowKind::Daily, "02:00", 15, "UTC"));
    assert_eq!(
        cutoff[0].to_string(),
        "cutoff_minutes: cutoff_minutes must be less than duration_minutes (15), got 15"
    );
    assert_eq!(
        fields(spec(WindowKind::Daily, "02:00", 4, "UTC")),
        ["duration_minutes", "cutoff_minutes"]
    );
    assert_eq!(
        fields(spec(WindowKind::Daily, "02:00", 1441, "UTC")),
        ["duration_minutes"]
    );
    let zone_err = refused(spec(WindowKind::Daily, "02:00", 60, "Mars/Olympus_Mons"));
    assert_eq!(
        zone_err[0].message,
        "unknown time zone \"Mars/Olympus_Mons\" (use an IANA name such as \"Europe/Berlin\" or \"UTC\")"
    );
    for bad in [
        "24:00", "2:00", "02:60", "0200", "ab:cd", "02:00:00", "", " 02:00",
    ] {
        let errs = refused(spec(WindowKind::Daily, bad, 60, "UTC"));
        assert_eq!(errs.len(), 1, "{bad}");
        assert_eq!(
            errs[0].to_string(),
            format!(
                "start: start must be local wall time HH:MM (00:00-23:59, e.g. \"02:00\"), got \"{bad}\""
            )
        );
    }
    // Everything wrong at once: every field named, in order.
    let all = spec(WindowKind::MonthlyDay { day: 40 }, "25:61", 2000, "Nowhere/City");
    assert_eq!(
        fields(all),
        ["kind.day", "start", "duration_minutes", "time_zone"]
    );
    // The stored form must name its zone; the API form takes the default.
    let mut no_zone = spec(WindowKind::Daily, "23:59", 1440, "UTC");
    no_zone.time_zone = None;
    assert_eq!(no_zone.validate_stored().unwrap_err().0[0].field, "time_zone");
    let w = no_zone.validate(Tz::Europe__Berlin).unwrap();
    assert_eq!(w.zone(), Tz::Europe__Berlin);
    assert_eq!(w.to_spec().time_zone.as_deref(), Some("Europe/Berlin"));
}

#[test]
fn spec_json_round_trip_and_refusals() {
    let json = r#"{"kind":{"type":"monthly_weekday","nth":"last","weekday":"Fri"},"start":"22:00",
        "duration_minutes":240,"time_zone":"Europe/Berlin"}"#;
    let parsed: WindowSpec = serde_json::from_str(json).unwrap();
    assert_eq!(parsed.cutoff_minutes, DEFAULT_CUTOFF_MINUTES);
    assert_eq!(
        parsed.kind,
        WindowKind::MonthlyWeekday {
            nth: Nth::Last,
            weekday: Weekday::Fri
        }
    );
    let stored: Window = serde_json::from_str(json).unwrap();
    let text = serde_json::to_string(&stored).unwrap();
    assert_eq!(
        text,
        r#"{"kind":{"type":"monthly_weekday","nth":"last","weekday":"Fri"},"start":"22:00","duration_minutes":240,"time_zone":"Europe/Berlin","cutoff_minutes":15}"#
    );
    assert_eq!(serde_json::from_str::<Window>(&text).unwrap(), stored);
    let weekly: WindowSpec = serde_json::from_str(
        r#"{"kind":{"type":"weekly","weekdays":["tue","Thursday"]},"start":"02:00","duration_minutes":60}"#,
    )
    .unwrap();
    assert_eq!(
        weekly.kind,
        WindowKind::Weekly {
            weekdays: vec![Weekday::Tue, Weekday::Thu]
        }
    );
    assert_eq!(weekly.time_zone, None);
    let once: WindowSpec = serde_json::from_str(
        r#"{"kind":{"type":"once","date":"2026-03-10"},"start":"02:00","duration_minutes":60,"cutoff_minutes":0}"#,
    )
    .unwrap();
    assert_eq!(
        once.kind,
        WindowKind::Once {
            date: date(2026, 3, 10)
        }
    );
    let error = |j: &str| serde_json::from_str::<WindowSpec>(j).unwrap_err().to_string();
    assert!(
        error(r#"{"kind":{"type":"daily"},"start":"02:00","duration_minutes":60,"colour":1}"#)
            .contains("unknown field `colour`")
    );
    assert!(
        error(r#"{"kind":{"type":"daily","day":3},"start":"02:00","duration_minutes":60}"#)
            .contains("unknown field `day`")
    );
    assert!(error(r#"{"kind":{"type":"monthly_weekday","nth":"first","weekday":"Fri"},"start":"02:00","duration_minutes":60}"#)
        .contains("nth must be 1-5 or \"last\", got \"first\""));
    assert!(
        error(r#"{"kind":{"type":"hourly"},"start":"02:00","duration_minutes":60}"#)
            .contains("unknown variant")
    );
    let nth = |n: &str| {
        let json = format!(
            r#"{{"kind":{{"type":"monthly_weekday","nth":{n},"weekday":"Tue"}},"start":"02:00","duration_minutes":60}}"#
        );
        serde_json::from_str::<WindowSpec>(&json)
            .map(|s| s.kind)
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        nth("5"),
        Ok(WindowKind::MonthlyWeekday {
            nth: Nth::Ordinal(5),
            weekday: Weekday::Tue
        })
    );
    assert!(nth("-1").unwrap_err().contains("nth must be 1-5 or \"last\""));
    assert!(nth("true")
        .unwrap_err()
        .contains("expected a number 1-5 or \"last\""));
    // A stored window that no longer validates is an error, not "never open".
    let bad = serde_json::from_str::<Window>(
        r#"{"kind":{"type":"daily"},"start":"02:00","duration_minutes":60,"time_zone":"Atlantis/Main"}"#,
    );
    assert!(bad
        .unwrap_err()
        .to_string()
        .contains("time_zone: unknown time zone \"Atlantis/Main\""));
}
