//! Compliance figures (pure): percentages over hosts with data, the trend with every day present, PCI-DSS
//! 6.3.3 ageing (critical security updates pending more than 30 days since first seen).

use crate::db::models::reports::compliance::{Counts, TrendDay};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

/// PCI-DSS 6.3.3: critical security updates installed within one month of release; we count from the day
/// the manager first saw the update pending.
pub const PCI_MAX_AGE_DAYS: i64 = 30;

/// Days of trend shown (the operational retention).
pub const TREND_DAYS: i64 = 30;

/// The share of compliant hosts among those with data, in percent (`None` when no host has data).
pub fn percent(c: &Counts) -> Option<f64> {
    let with_data = c.compliant + c.noncompliant;
    if with_data <= 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let p = c.compliant as f64 * 100.0 / with_data as f64;
    Some(p)
}

/// `87.5 %` (one decimal) or `n/a`.
pub fn percent_text(p: Option<f64>) -> String {
    p.map_or_else(|| "n/a".to_owned(), |p| format!("{p:.1} %"))
}

/// One day of the trend as shown.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TrendPoint {
    /// The day.
    pub day: NaiveDate,
    /// Counts that day (zero when no snapshot was taken).
    #[serde(flatten)]
    pub counts: Counts,
    /// Compliant share that day (`None`: no snapshot or no host with data).
    pub percent: Option<f64>,
}

/// Every day from `from` to `to` inclusive, with the snapshots found (a missing day has no percentage).
pub fn fill_trend(rows: &[TrendDay], from: NaiveDate, to: NaiveDate) -> Vec<TrendPoint> {
    let mut out = Vec::new();
    let mut day = from;
    let mut it = rows.iter().peekable();
    while day <= to {
        while it.peek().is_some_and(|r| r.day < day) {
            it.next();
        }
        let counts = match it.peek() {
            Some(r) if r.day == day => r.counts,
            _ => Counts::default(),
        };
        out.push(TrendPoint {
            day,
            counts,
            percent: percent(&counts),
        });
        day += Duration::days(1);
    }
    out
}

/// The first day of the trend ending at `now`'s day.
pub fn trend_from(now: DateTime<Utc>) -> NaiveDate {
    now.date_naive() - Duration::days(TREND_DAYS - 1)
}

/// Updates first seen before this are past the PCI-DSS limit at `now`.
pub fn pci_cutoff(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(PCI_MAX_AGE_DAYS)
}

/// Whole days an update has been pending at `now`.
pub fn days_pending(first_seen: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (now - first_seen).num_days().max(0)
}

/// How a state reads in reports.
pub fn state_label(state: &str) -> &'static str {
    match state {
        "compliant" => "compliant",
        "noncompliant" => "not compliant",
        _ => "no data",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(compliant: i64, noncompliant: i64, nodata: i64) -> Counts {
        Counts {
            compliant,
            noncompliant,
            nodata,
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn percent_ignores_hosts_without_data() {
        assert_eq!(percent(&c(3, 1, 10)), Some(75.0));
        assert_eq!(percent(&c(0, 0, 4)), None);
        assert_eq!(percent_text(percent(&c(2, 1, 0))), "66.7 %");
        assert_eq!(percent_text(None), "n/a");
    }

    #[test]
    fn the_trend_has_every_day_and_gaps_have_no_percentage() {
        let rows = [
            TrendDay {
                day: d("2026-06-01"),
                counts: c(1, 1, 0),
            },
            TrendDay {
                day: d("2026-06-03"),
                counts: c(2, 0, 1),
            },
        ];
        let t = fill_trend(&rows, d("2026-05-31"), d("2026-06-03"));
        assert_eq!(t.len(), 4);
        assert_eq!(t[0].percent, None);
        assert_eq!(t[1].percent, Some(50.0));
        assert_eq!(t[2].percent, None);
        assert_eq!(t[3].percent, Some(100.0));
        assert_eq!(t[3].counts.nodata, 1);
    }

    #[test]
    fn ageing_counts_whole_days_and_the_cutoff_is_thirty_days() {
        let now: DateTime<Utc> = "2026-06-30T12:00:00Z".parse().unwrap();
        assert_eq!(
            pci_cutoff(now),
            "2026-05-31T12:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(days_pending(now - Duration::hours(47), now), 1);
        assert_eq!(days_pending(now + Duration::hours(1), now), 0);
        assert_eq!(trend_from(now), d("2026-06-01"));
    }
}
