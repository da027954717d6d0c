//! The chain's arithmetic: canonical content of a row and its SHA-256.

use super::AuditRecord;
use chrono::SecondsFormat;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// `prev_hash` of the very first row: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The canonical content: the JSON array `[id, at, actor, action, target, details, prev_hash]` with `at` in
/// RFC 3339 UTC with microseconds and `details` with object keys sorted, no insignificant whitespace.
pub fn canonical(r: &AuditRecord) -> String {
    let mut out = String::from("[");
    out.push_str(&r.id.to_string());
    for s in [
        r.at.to_rfc3339_opts(SecondsFormat::Micros, true).as_str(),
        &r.actor,
        &r.action,
        &r.target,
    ] {
        out.push(',');
        write_json(&Value::String(s.to_owned()), &mut out);
    }
    out.push(',');
    write_json(&r.details, &mut out);
    out.push(',');
    write_json(&Value::String(r.prev_hash.clone()), &mut out);
    out.push(']');
    out
}

/// SHA-256 (lowercase hex) of [`canonical`].
pub fn hash(r: &AuditRecord) -> String {
    let digest = Sha256::digest(canonical(r).as_bytes());
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Compact JSON with object keys in sorted order at every depth.
fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(&Value::String(k.clone()), out);
                out.push(':');
                if let Some(val) = map.get(k) {
                    write_json(val, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn record(details: Value) -> AuditRecord {
        AuditRecord {
            id: 7,
            at: DateTime::parse_from_rfc3339("2026-11-23T10:00:00.5+01:00")
                .unwrap()
                .with_timezone(&Utc),
            actor: "cli".into(),
            action: "user.create".into(),
            target: "user:al\"ice".into(),
            details,
            prev_hash: GENESIS.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn canonical_form_is_stable_and_key_order_free() {
        let a = record(
            serde_json::json!({"role": "admin", "n": 1, "z": {"b": [1, {"y": 2, "x": 1}], "a": null}}),
        );
        assert_eq!(
            canonical(&a),
            format!(
                "[7,\"2026-11-23T09:00:00.500000Z\",\"cli\",\"user.create\",\"user:al\\\"ice\",\
                 {{\"n\":1,\"role\":\"admin\",\"z\":{{\"a\":null,\"b\":[1,{{\"x\":1,\"y\":2}}]}}}},\"{GENESIS}\"]"
            )
        );
        let b = record(
            serde_json::from_str(r#"{"z":{"a":null,"b":[1,{"x":1,"y":2}]},"n":1,"role":"admin"}"#).unwrap(),
        );
        assert_eq!(hash(&a), hash(&b));
    }

    #[test]
    fn hash_is_sha256_hex_and_covers_every_field() {
        let a = record(serde_json::json!({}));
        let h = hash(&a);
        assert_eq!(h.len(), 64);
        assert!(h
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        let expected = Sha256::digest(canonical(&a).as_bytes());
        assert_eq!(h, expected.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let mut changed = vec![a.clone(), a.clone(), a.clone(), a.clone()];
        changed[0].id = 8;
        changed[1].actor = "mallory".into();
        changed[2].prev_hash = "1".repeat(64);
        changed[3].at += chrono::Duration::microseconds(1);
        for c in changed {
            assert_ne!(hash(&c), h, "{c:?}");
        }
    }
}
