//! `manager:` in `config.yaml`: how often an enrolled agent talks to its manager on its own (CRL, renewal).

use serde::Deserialize;

/// `manager:`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ManagerSection {
    /// Seconds between two fetches of the manager's CRL (each also checks whether the server certificate is
    /// due for renewal); 0 = never (only enrolled agents fetch at all).
    pub refresh_secs: u64,
}

/// The default interval: one hour.
pub const DEFAULT_REFRESH_SECS: u64 = 3600;

impl Default for ManagerSection {
    fn default() -> Self {
        Self {
            refresh_secs: DEFAULT_REFRESH_SECS,
        }
    }
}

impl ManagerSection {
    /// Checks the interval: 0 (off) or 1 second to 1 day.
    pub fn validate(&self) -> Result<(), String> {
        if self.refresh_secs > 86_400 {
            return Err("must be between 0 (never) and 86400 seconds".into());
        }
        Ok(())
    }
}
