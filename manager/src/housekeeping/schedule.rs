//! When each housekeeping chore is due: audit prune + verify daily from start, stale agent-enrolment
//! requests purged hourly from start, certificate renewal daily from one day after start (`serve` loads
//! the agents' trust at start). Pure: the time is a parameter.

use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// One kind of housekeeping work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Chore {
    /// Prune audit rows past the retention (keeping a checkpoint), then verify the chain.
    Audit,
    /// Purge agent-enrolment requests that were never decided or collected.
    EnrolmentPurge,
    /// Renew the manager's client (and console) certificate when due, re-sign the CRL, reload trust.
    CertificateRenewal,
    /// Delete sessions (and their refresh tokens) that ended more than a day ago.
    SessionPrune,
    /// Prune operational data (health history, finished deployments, sent e-mails) past its retention.
    OperationalPrune,
    /// Record every host's compliance state for today (the reports' trend).
    ComplianceSnapshot,
}

impl Chore {
    /// Every chore, in the order they run when several are due.
    pub const ALL: [Chore; 6] = [
        Chore::Audit,
        Chore::EnrolmentPurge,
        Chore::CertificateRenewal,
        Chore::SessionPrune,
        Chore::OperationalPrune,
        Chore::ComplianceSnapshot,
    ];

    /// How often it runs.
    pub fn every(self) -> Duration {
        match self {
            Chore::Audit | Chore::CertificateRenewal | Chore::OperationalPrune => Duration::days(1),
            Chore::EnrolmentPurge | Chore::SessionPrune | Chore::ComplianceSnapshot => Duration::hours(1),
        }
    }

    /// How long after start it first runs.
    pub fn first_after(self) -> Duration {
        match self {
            Chore::Audit
            | Chore::EnrolmentPurge
            | Chore::SessionPrune
            | Chore::OperationalPrune
            | Chore::ComplianceSnapshot => Duration::zero(),
            Chore::CertificateRenewal => Duration::days(1),
        }
    }

    /// Its name in logs and reports.
    pub fn name(self) -> &'static str {
        match self {
            Chore::Audit => "audit prune and verify",
            Chore::EnrolmentPurge => "enrolment request purge",
            Chore::CertificateRenewal => "certificate renewal",
            Chore::SessionPrune => "ended session prune",
            Chore::OperationalPrune => "operational data prune",
            Chore::ComplianceSnapshot => "compliance snapshot",
        }
    }
}

/// When each chore is next due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    next: BTreeMap<Chore, DateTime<Utc>>,
}

impl Plan {
    /// The plan of a manager started at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            next: Chore::ALL.iter().map(|c| (*c, start + c.first_after())).collect(),
        }
    }

    /// The chores due at `now`, in [`Chore::ALL`] order.
    pub fn due(&self, now: DateTime<Utc>) -> Vec<Chore> {
        self.next
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(c, _)| *c)
            .collect()
    }

    /// Records that `chore` ran at `now`: next due one period later.
    pub fn ran(&mut self, chore: Chore, now: DateTime<Utc>) {
        self.next.insert(chore, now + chore.every());
    }

    /// When `chore` is next due.
    pub fn next_due(&self, chore: Chore) -> Option<DateTime<Utc>> {
        self.next.get(&chore).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        "2026-06-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::hours(h)
    }

    #[test]
    fn audit_and_purge_run_at_start_renewal_a_day_later() {
        let p = Plan::new(t(0));
        assert_eq!(
            p.due(t(0)),
            vec![
                Chore::Audit,
                Chore::EnrolmentPurge,
                Chore::SessionPrune,
                Chore::OperationalPrune,
                Chore::ComplianceSnapshot
            ]
        );
        assert_eq!(p.next_due(Chore::CertificateRenewal), Some(t(24)));
        assert!(p.due(t(0) - Duration::seconds(1)).is_empty());
    }

    #[test]
    fn each_chore_comes_back_after_its_period() {
        let mut p = Plan::new(t(0));
        for c in p.due(t(0)) {
            p.ran(c, t(0));
        }
        assert!(p.due(t(0)).is_empty());
        assert_eq!(
            p.due(t(1)),
            vec![
                Chore::EnrolmentPurge,
                Chore::SessionPrune,
                Chore::ComplianceSnapshot
            ]
        );
        p.ran(Chore::EnrolmentPurge, t(1));
        p.ran(Chore::SessionPrune, t(1));
        p.ran(Chore::ComplianceSnapshot, t(1));
        assert_eq!(p.due(t(2) - Duration::seconds(1)), vec![]);
        assert_eq!(
            p.due(t(24)),
            vec![
                Chore::Audit,
                Chore::EnrolmentPurge,
                Chore::CertificateRenewal,
                Chore::SessionPrune,
                Chore::OperationalPrune,
                Chore::ComplianceSnapshot
            ]
        );
    }

    #[test]
    fn a_late_run_moves_the_next_one() {
        let mut p = Plan::new(t(0));
        p.ran(Chore::Audit, t(30));
        assert_eq!(p.next_due(Chore::Audit), Some(t(54)));
    }
}
