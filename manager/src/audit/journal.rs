//! Copies every appended audit row to the systemd journal with structured fields, so
//! `journalctl -u linux-patch-manager AUDIT_EVENT=auth.login_failed` works beside the hash-chained table.

use super::AuditRecord;
use serde_json::Value;
use std::sync::OnceLock;
use systemd_journal_logger::JournalLog;

/// The journal's identifier for these entries (`journalctl -t linux-patch-manager`).
pub const IDENTIFIER: &str = "linux-patch-manager";
/// Where journald listens for native-protocol messages.
pub const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";

/// Detail keys copied to journal fields of their own (upper-cased by the journal client), when present.
const PROMOTED: [(&str, &str); 4] = [
    ("source_ip", "source_ip"),
    ("host_id", "host_id"),
    ("deployment_id", "deployment_id"),
    ("request_id", "request_id"),
];

/// The journal fields of one row: `AUDIT_EVENT`, `USER`, `AUDIT_TARGET`, `AUDIT_ID`, `AUDIT_HASH`,
/// `AUDIT_DETAILS` (JSON), and `SOURCE_IP`, `HOST_ID`, `DEPLOYMENT_ID`, `REQUEST_ID` where the details
/// carry them.
pub fn fields(r: &AuditRecord) -> Vec<(String, String)> {
    let mut out = vec![
        ("audit_event".to_owned(), r.action.clone()),
        ("user".to_owned(), r.actor.clone()),
        ("audit_target".to_owned(), r.target.clone()),
        ("audit_id".to_owned(), r.id.to_string()),
        ("audit_hash".to_owned(), r.hash.clone()),
        ("audit_details".to_owned(), r.details.to_string()),
    ];
    for (key, field) in PROMOTED {
        match r.details.get(key) {
            Some(Value::String(s)) if !s.is_empty() => out.push((field.to_owned(), s.clone())),
            Some(v @ Value::Number(_)) => out.push((field.to_owned(), v.to_string())),
            _ => {}
        }
    }
    out
}

/// Refusals and failures are warnings in the journal (`journalctl -p warning`); the rest is info.
pub fn level(action: &str) -> log::Level {
    if ["failed", "refused", "denied", "broken", "revoked"]
        .iter()
        .any(|w| action.contains(w))
    {
        log::Level::Warn
    } else {
        log::Level::Info
    }
}

fn journal() -> Option<&'static JournalLog> {
    static JOURNAL: OnceLock<Option<JournalLog>> = OnceLock::new();
    JOURNAL
        .get_or_init(|| {
            if !std::path::Path::new(JOURNAL_SOCKET).exists() {
                return None;
            }
            JournalLog::new()
                .map(|j| j.with_syslog_identifier(IDENTIFIER.to_owned()))
                .ok()
        })
        .as_ref()
}

/// Sends `r` to the journal when there is one. The table stays the record of truth: a journal failure
/// is logged, never returned (an audit row must not be lost because journald is busy).
pub fn send(r: &AuditRecord) {
    let Some(journal) = journal() else { return };
    let flat = fields(r);
    let kvs: Vec<(&str, &str)> = flat.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let result = journal.journal_send(
        &log::Record::builder()
            .target("audit")
            .level(level(&r.action))
            .args(format_args!("audit {} {} by {}", r.action, r.target, r.actor))
            .key_values(&kvs)
            .build(),
    );
    if let Err(e) = result {
        log::warn!("audit row {} not copied to the journal: {e}", r.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(action: &str, details: Value) -> AuditRecord {
        AuditRecord {
            id: 41,
            at: chrono::DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
                .unwrap()
                .to_utc(),
            actor: "alice".into(),
            action: action.into(),
            target: "host:web1".into(),
            details,
            prev_hash: "0".repeat(64),
            hash: "ab".repeat(32),
        }
    }

    #[test]
    fn promoted_details_become_their_own_fields() {
        let r = row(
            "host.register",
            serde_json::json!({"host_id": 7, "source_ip": "10.0.0.5", "deployment_id": null, "ip": "10.1.1.1"}),
        );
        let f: std::collections::BTreeMap<_, _> = fields(&r).into_iter().collect();
        assert_eq!(f["audit_event"], "host.register");
        assert_eq!(f["user"], "alice");
        assert_eq!(f["audit_id"], "41");
        assert_eq!(f["host_id"], "7");
        assert_eq!(f["source_ip"], "10.0.0.5");
        assert!(!f.contains_key("deployment_id"), "null is left out: {f:?}");
        assert!(
            !f.contains_key("ip"),
            "the host's own address is not a source ip: {f:?}"
        );
        let details: Value = serde_json::from_str(&f["audit_details"]).unwrap();
        assert_eq!(details["ip"], "10.1.1.1");
    }

    #[test]
    fn failures_are_warnings() {
        assert_eq!(level("auth.login_failed"), log::Level::Warn);
        assert_eq!(level("enrollment.denied"), log::Level::Warn);
        assert_eq!(level("user.create"), log::Level::Info);
    }
}
