//! The response envelope every API answer is wrapped in, and the error body inside it.

use crate::ids::RequestId;
use chrono::{DateTime, SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `{success, request_id, timestamp, data, error}`: exactly one of `data` and `error` is set.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Envelope_{T}")]
pub struct Envelope<T> {
    /// True when the request succeeded (then `data` is set), false when `error` is set.
    pub success: bool,
    /// The request id, also in the `X-Request-ID` response header and the audit log.
    pub request_id: RequestId,
    /// When the response was made (RFC 3339, UTC).
    pub timestamp: String,
    /// The answer on success.
    pub data: Option<T>,
    /// The error on failure.
    pub error: Option<ApiError>,
}

impl<T> Envelope<T> {
    /// A success envelope.
    pub fn ok(request_id: RequestId, now: DateTime<Utc>, data: T) -> Self {
        Self {
            success: true,
            request_id,
            timestamp: stamp(now),
            data: Some(data),
            error: None,
        }
    }

    /// A failure envelope.
    pub fn err(request_id: RequestId, now: DateTime<Utc>, error: ApiError) -> Self {
        Self {
            success: false,
            request_id,
            timestamp: stamp(now),
            data: None,
            error: Some(error),
        }
    }
}

fn stamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A machine-readable error: a stable `code`, a message for humans, optional details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    /// Stable upper-case code, e.g. `PACKAGE_NOT_FOUND`, `INVALID_PACKAGE_NAME`.
    pub code: String,
    /// What went wrong, for a human.
    pub message: String,
    /// Structured details (which field, which value, ...): always an object on the wire, `{}` when there
    /// are none (older agents sent null, still accepted).
    #[serde(default, serialize_with = "details_object")]
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub details: Option<serde_json::Value>,
    /// True when the same request may succeed later unchanged.
    pub retryable: bool,
}

impl ApiError {
    /// An error with a code and a message, not retryable, without details.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            details: None,
            retryable: false,
        }
    }

    /// The same error with details attached.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The same error marked retryable.
    pub fn retryable(mut self) -> Self {
        self.retryable = true;
        self
    }
}

/// Writes `details` as an object: `{}` for none (and for a non-object value, wrapped as `{"value": ...}`).
fn details_object<S: serde::Serializer>(d: &Option<serde_json::Value>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(v @ serde_json::Value::Object(_)) => v.serialize(s),
        None | Some(serde_json::Value::Null) => serde_json::Map::new().serialize(s),
        Some(other) => serde_json::json!({ "value": other }).serialize(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_and_error_envelopes_have_the_documented_shape() {
        let now = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .to_utc();
        let id = RequestId::parse("r1").unwrap();
        let ok = serde_json::to_value(Envelope::ok(id.clone(), now, 7)).unwrap();
        assert_eq!(
            ok,
            serde_json::json!({"success": true, "request_id": "r1", "timestamp": "2026-01-02T03:04:05.000Z",
                               "data": 7, "error": null})
        );
        let err = serde_json::to_value(Envelope::<()>::err(id, now, ApiError::new("X", "y"))).unwrap();
        assert_eq!(err["success"], false);
        assert_eq!(err["data"], serde_json::Value::Null);
        assert_eq!(
            err["error"],
            serde_json::json!({"code": "X", "message": "y", "details": {}, "retryable": false})
        );
        let old: ApiError =
            serde_json::from_str(r#"{"code":"X","message":"y","details":null,"retryable":false}"#).unwrap();
        assert_eq!(old.details, None, "null details from older agents are still read");
    }
}
