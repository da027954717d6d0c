//! The audit trail: one JSON line per event to `audit.log` and, when the journal is there, structured
//! journal fields (`journalctl -t linux-patch-api AUDIT_EVENT=http.request`).

pub mod limiter;
pub mod logging;
pub mod syslog;

use linux_patch_shared::clock::SharedClock;
use serde_json::{Map, Value};

/// The log target that routes a record to the audit appenders.
pub const TARGET: &str = "audit";

/// Writes audit events. Cheap to clone; shared by the listener and the HTTP layer.
#[derive(Debug, Clone)]
pub struct Auditor {
    clock: SharedClock,
}

impl Auditor {
    /// An auditor stamping events with `clock`.
    pub fn new(clock: SharedClock) -> Self {
        Self { clock }
    }

    /// Records `event` (e.g. `http.request`, `tls.handshake_failed`) with its fields.
    pub fn emit(&self, level: log::Level, event: &str, fields: Map<String, Value>) {
        let line = render(self.clock.now(), event, &fields);
        let flat: Vec<(String, String)> = std::iter::once(("audit_event".to_owned(), event.to_owned()))
            .chain(fields.iter().map(|(k, v)| (k.clone(), flatten(v))))
            .collect();
        let kvs: Vec<(&str, &str)> = flat.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        log::logger().log(
            &log::Record::builder()
                .target(TARGET)
                .level(level)
                .args(format_args!("{line}"))
                .key_values(&kvs)
                .build(),
        );
    }
}

/// The JSON line written to `audit.log`: `{"ts": ..., "event": ..., <fields>}`.
pub fn render(ts: chrono::DateTime<chrono::Utc>, event: &str, fields: &Map<String, Value>) -> String {
    let mut obj = Map::with_capacity(fields.len() + 2);
    obj.insert(
        "ts".into(),
        Value::String(ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    );
    obj.insert("event".into(), Value::String(event.to_owned()));
    for (k, v) in fields {
        obj.insert(k.clone(), v.clone());
    }
    Value::Object(obj).to_string()
}

fn flatten(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Builds the field map of an event: `fields!{"client" => c, "status" => 200}`.
#[macro_export]
macro_rules! audit_fields {
    ($($k:literal => $v:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut m = serde_json::Map::new();
        $( m.insert($k.to_owned(), serde_json::json!($v)); )*
        m
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_line_is_one_json_object_with_event_and_fields() {
        let ts = chrono::DateTime::parse_from_rfc3339("2026-03-04T05:06:07Z")
            .unwrap()
            .to_utc();
        let line = render(
            ts,
            "http.request",
            &crate::audit_fields! {"status" => 200, "path" => "/a\nb"},
        );
        assert!(
            !line.contains('\n'),
            "one line even when a field has a newline: {line}"
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["event"], "http.request");
        assert_eq!(v["status"], 200);
        assert_eq!(v["ts"], "2026-03-04T05:06:07.000Z");
    }
}
