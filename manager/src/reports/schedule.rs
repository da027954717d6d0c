//! When the weekly compliance e-mail is due (pure): from Monday 06:00 UTC of an ISO week on, that week's period
//! (`2026-W23`) is due; one send per period is recorded in `scheduled_emails`.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};

/// Hour (UTC) on Monday from which the week's report is due.
pub const SEND_HOUR: u32 = 6;

/// The ISO week whose report is due at `now` (`None` on Monday before 06:00 UTC: last week's was due then).
pub fn week_due(now: DateTime<Utc>) -> Option<String> {
    let monday = now.date_naive() - Duration::days(i64::from(now.weekday().num_days_from_monday()));
    let start = monday
        .and_time(NaiveTime::from_hms_opt(SEND_HOUR, 0, 0)?)
        .and_utc();
    (now >= start).then(|| now.format("%G-W%V").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn due_from_monday_six_utc_for_the_whole_iso_week() {
        assert_eq!(week_due(at("2026-06-01T05:59:59Z")), None, "Monday before six");
        assert_eq!(week_due(at("2026-06-01T06:00:00Z")).as_deref(), Some("2026-W23"));
        assert_eq!(
            week_due(at("2026-06-07T23:59:59Z")).as_deref(),
            Some("2026-W23"),
            "Sunday"
        );
        assert_eq!(week_due(at("2026-06-08T05:00:00Z")), None);
        assert_eq!(week_due(at("2026-06-08T06:00:00Z")).as_deref(), Some("2026-W24"));
        // ISO years: 2027-01-01 is a Friday of 2026-W53; periods still sort in time order.
        assert_eq!(week_due(at("2027-01-01T12:00:00Z")).as_deref(), Some("2026-W53"));
        assert_eq!(week_due(at("2027-01-04T06:00:00Z")).as_deref(), Some("2027-W01"));
        assert!("2026-W53" < "2027-W01" && "2026-W09" < "2026-W10");
    }
}
