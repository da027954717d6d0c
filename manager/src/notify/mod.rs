//! E-mail notifications, apart from their actor: which events exist, who may receive each, the message text and the retry backoff (pure), the outbox writer the event sites call ([`emit`]) and the SMTP sender.

pub mod deliver;
pub mod emit;
pub mod send;

pub use emit::emit;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Kinds of events a user can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A deployment target failed after its retry.
    TargetFailed,
    /// A host went red (unreachable).
    HostRed,
    /// A certificate expires within 30 days.
    CertExpiring,
    /// The audit chain failed verification.
    AuditBroken,
    /// A deployment finished (opt-in).
    DeploymentFinished,
}

impl EventKind {
    /// Every kind, in the order the forms show them.
    pub const ALL: [EventKind; 5] = [
        EventKind::TargetFailed,
        EventKind::HostRed,
        EventKind::CertExpiring,
        EventKind::AuditBroken,
        EventKind::DeploymentFinished,
    ];

    /// The stored and wire name.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::TargetFailed => "target_failed",
            EventKind::HostRed => "host_red",
            EventKind::CertExpiring => "cert_expiring",
            EventKind::AuditBroken => "audit_broken",
            EventKind::DeploymentFinished => "deployment_finished",
        }
    }

    /// The kind of a stored name.
    pub fn of(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// A human label.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::TargetFailed => "A deployment target failed after its retry",
            EventKind::HostRed => "A host went red (unreachable)",
            EventKind::CertExpiring => "A certificate expires within 30 days (administrators)",
            EventKind::AuditBroken => "The audit chain failed verification (administrators)",
            EventKind::DeploymentFinished => "A deployment finished",
        }
    }

    /// Whether a new choice includes it (everything but the opt-in `deployment_finished`).
    pub fn on_by_default(self) -> bool {
        self != EventKind::DeploymentFinished
    }
}

/// Who may receive an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Administrators only.
    Admins,
    /// Administrators and operators of one of the host's groups.
    Host(i64),
    /// Administrators and the named user.
    AdminsAnd(String),
}

/// Something that happened and may be e-mailed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A deployment target failed after its retry.
    TargetFailed {
        /// Deployment.
        deployment: i64,
        /// Host id, if it still exists.
        host_id: Option<i64>,
        /// Host name.
        hostname: String,
        /// Why.
        error: String,
    },
    /// A host went red.
    HostRed {
        /// Host id.
        host_id: i64,
        /// Host name.
        hostname: String,
        /// Why.
        reason: String,
    },
    /// A certificate expires soon.
    CertExpiring {
        /// Subject.
        subject: String,
        /// Serial.
        serial: String,
        /// Expiry.
        not_after: DateTime<Utc>,
    },
    /// The audit chain is broken.
    AuditBroken {
        /// First broken row.
        row: i64,
        /// Why.
        reason: String,
    },
    /// A deployment finished.
    DeploymentFinished {
        /// Deployment.
        deployment: i64,
        /// Who created it.
        created_by: String,
        /// Targets that succeeded.
        succeeded: i64,
        /// Targets that did not.
        failed: i64,
    },
}

impl Event {
    /// Its kind.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::TargetFailed { .. } => EventKind::TargetFailed,
            Event::HostRed { .. } => EventKind::HostRed,
            Event::CertExpiring { .. } => EventKind::CertExpiring,
            Event::AuditBroken { .. } => EventKind::AuditBroken,
            Event::DeploymentFinished { .. } => EventKind::DeploymentFinished,
        }
    }

    /// Who may receive it.
    pub fn audience(&self) -> Audience {
        match self {
            Event::TargetFailed { host_id: Some(h), .. } | Event::HostRed { host_id: h, .. } => {
                Audience::Host(*h)
            }
            Event::TargetFailed { host_id: None, .. }
            | Event::CertExpiring { .. }
            | Event::AuditBroken { .. } => Audience::Admins,
            Event::DeploymentFinished { created_by, .. } => Audience::AdminsAnd(created_by.clone()),
        }
    }

    /// Subject and plain-text body.
    pub fn render(&self, at: DateTime<Utc>) -> (String, String) {
        let when = at.format("%Y-%m-%d %H:%M UTC");
        let (subject, text) = match self {
            Event::TargetFailed { deployment, hostname, error, .. } => (
                format!("Deployment {deployment}: {hostname} failed"),
                format!("The deployment {deployment} failed on {hostname} after its retry:\n\n{error}\n"),
            ),
            Event::HostRed { hostname, reason, .. } => (
                format!("Host {hostname} is unreachable"),
                format!("{hostname} went red: {reason}\n"),
            ),
            Event::CertExpiring { subject, serial, not_after } => (
                format!("Certificate {subject} expires on {}", not_after.format("%Y-%m-%d")),
                format!("The certificate {subject} (serial {serial}) expires on {not_after}.\n"),
            ),
            Event::AuditBroken { row, reason } => (
                "The audit chain failed verification".to_owned(),
                format!("The audit chain breaks at row {row}: {reason}\n"),
            ),
            Event::DeploymentFinished { deployment, created_by, succeeded, failed } => (
                format!("Deployment {deployment} finished: {succeeded} succeeded, {failed} failed"),
                format!("The deployment {deployment} (by {created_by}) finished: {succeeded} hosts succeeded, {failed} did not.\n"),
            ),
        };
        (
            format!("[Linux Patch Manager] {subject}"),
            format!("{text}\nAt {when}.\n\nYou receive this because of your notification choices in the console (Account).\n"),
        )
    }
}

/// First retry one minute after a failure, doubling per attempt, at most six hours apart.
pub fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(16);
    Duration::seconds((60_i64 << exp).min(6 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_six_hours() {
        let s: Vec<i64> = (1..=11).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(
            s,
            vec![60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600]
        );
        assert_eq!(backoff(0).num_seconds(), 60);
        assert_eq!(backoff(i32::MAX).num_seconds(), 21600);
    }

    #[test]
    fn kinds_round_trip_and_deployment_finished_is_opt_in() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::of(k.name()), Some(k));
        }
        assert_eq!(EventKind::of("nope"), None);
        assert!(!EventKind::DeploymentFinished.on_by_default() && EventKind::HostRed.on_by_default());
    }

    #[test]
    fn messages_name_what_happened_and_audiences_follow_rbac() {
        let at: DateTime<Utc> = "2026-06-01T12:00:00Z".parse().unwrap();
        let e = Event::HostRed {
            host_id: 7,
            hostname: "web-1".into(),
            reason: "3 failures".into(),
        };
        let (s, b) = e.render(at);
        assert_eq!(s, "[Linux Patch Manager] Host web-1 is unreachable");
        assert!(
            b.contains("web-1 went red: 3 failures") && b.contains("2026-06-01 12:00 UTC"),
            "{b}"
        );
        assert_eq!(e.audience(), Audience::Host(7));
        let a = Event::AuditBroken {
            row: 3,
            reason: "x".into(),
        };
        assert_eq!(a.audience(), Audience::Admins);
        let d = Event::DeploymentFinished {
            deployment: 1,
            created_by: "olive".into(),
            succeeded: 2,
            failed: 1,
        };
        assert_eq!(d.audience(), Audience::AdminsAnd("olive".into()));
        assert!(d.render(at).0.contains("2 succeeded, 1 failed"));
    }
}
