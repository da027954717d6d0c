//! The hosts a sweep contacts: address and poller columns from the stored row, and which are due.

use super::schedule::{self, Policy, Timing};
use crate::db::models::host_status::PollRow;
use chrono::{DateTime, Utc};
use std::net::SocketAddr;

/// One host to contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host id.
    pub id: i64,
    /// Where its agent listens (or why the stored address is unusable).
    pub addr: Result<SocketAddr, String>,
    /// Its poller columns before this sweep.
    pub timing: Timing,
    /// SHA-256 fingerprints of the certificates issued to it (its agent must present one of them).
    pub pins: Vec<String>,
}

impl Target {
    /// From a stored row.
    pub fn of(r: &PollRow) -> Self {
        let addr = match (r.ip.parse::<std::net::Ipv4Addr>(), u16::try_from(r.port)) {
            (Ok(ip), Ok(port)) if port > 0 => Ok(SocketAddr::from((ip, port))),
            _ => Err(format!(
                "stored address `{}:{}` is not a usable IPv4 address and port",
                r.ip, r.port
            )),
        };
        Self {
            id: r.id,
            addr,
            timing: r.timing(),
            pins: Vec::new(),
        }
    }

    /// The timing after a successful health check at `now` (what the writer stores).
    pub(super) fn answered_at(&self, now: DateTime<Utc>) -> Timing {
        Timing {
            failures: 0,
            last_seen_at: Some(now),
            health_checked_at: Some(now),
            retry_at: if self.timing.failures == 0 {
                self.timing.retry_at
            } else {
                None
            },
            ..self.timing
        }
    }
}

/// The hosts whose health check is due.
pub fn due_for_health(p: &Policy, now: DateTime<Utc>, rows: &[PollRow]) -> Vec<Target> {
    rows.iter()
        .filter(|r| schedule::health_due(p, now, &r.timing()))
        .map(Target::of)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::file::PollerSection;

    fn row(id: i64, ip: &str, failures: i32, checked: Option<i64>) -> PollRow {
        let t = |s: i64| DateTime::from_timestamp(1_780_000_000 + s, 0).unwrap();
        PollRow {
            id,
            ip: ip.into(),
            port: 12443,
            failures,
            health_checked_at: checked.map(t),
            patches_checked_at: None,
            retry_at: None,
            last_seen_at: None,
        }
    }

    #[test]
    fn due_hosts_and_bad_addresses() {
        let p = Policy::of(&PollerSection::default());
        let now = DateTime::from_timestamp(1_780_000_000 + 600, 0).unwrap();
        let rows = [
            row(1, "10.0.0.1", 0, None),
            row(2, "10.0.0.2", 0, Some(500)),
            row(3, "10.0.0.3", 0, Some(0)),
            row(4, "not-an-ip", 0, None),
        ];
        let due: Vec<i64> = due_for_health(&p, now, &rows).iter().map(|t| t.id).collect();
        assert_eq!(due, [1, 3, 4]);
        let bad = Target::of(&rows[3]);
        assert!(bad.addr.unwrap_err().contains("not a usable IPv4 address"));
        assert_eq!(
            Target::of(&rows[0]).addr.unwrap(),
            "10.0.0.1:12443".parse().unwrap()
        );
    }
}
