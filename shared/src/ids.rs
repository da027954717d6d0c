//! Identifier newtypes: request ids (client-supplied when well-formed, else a fresh ULID).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest client-supplied request id we accept.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// The id that ties a request, its response and its audit record together.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct RequestId(String);

impl RequestId {
    /// A new ULID-based id.
    pub fn generate() -> Self {
        Self(ulid::Ulid::generate().to_string())
    }

    /// The client's id when it is well-formed (1–64 chars of `A-Za-z0-9._:-`), else `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_REQUEST_ID_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'));
        ok.then(|| Self(raw.to_owned()))
    }

    /// The client's id if well-formed, else a fresh one.
    pub fn from_header(raw: Option<&str>) -> Self {
        raw.and_then(Self::parse).unwrap_or_else(Self::generate)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_client_ids() {
        assert_eq!(
            RequestId::parse("abc-123_X.y:z").unwrap().as_str(),
            "abc-123_X.y:z"
        );
    }

    #[test]
    fn refuses_malformed_client_ids() {
        for bad in ["", "has space", "new\nline", "semi;colon", &"x".repeat(65)] {
            assert!(RequestId::parse(bad).is_none(), "{bad:?} accepted");
        }
        let generated = RequestId::from_header(Some("bad id"));
        assert_eq!(generated.as_str().len(), 26, "a ULID replaces a malformed id");
    }
}
