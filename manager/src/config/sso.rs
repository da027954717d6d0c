//! `sso:` of config.yaml: the Entra authority host (national clouds, tests) and an extra CA file for the SSO HTTP client; never settable from the web UI.

use serde::Deserialize;
use std::path::PathBuf;

/// Microsoft's global cloud.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";

/// `sso:`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SsoSection {
    /// `https://host[:port]` of the authority (`https://login.microsoftonline.us` for US Government).
    pub authority_host: String,
    /// PEM certificates trusted for the provider besides the built-in web roots (relative to the config dir).
    pub ca_file: Option<PathBuf>,
}

impl Default for SsoSection {
    fn default() -> Self {
        Self {
            authority_host: DEFAULT_AUTHORITY_HOST.into(),
            ca_file: None,
        }
    }
}

/// Checks `authority_host`: `https://host[:port]`, nothing after it.
pub fn check(s: &SsoSection) -> Result<(), String> {
    let ok = s.authority_host.strip_prefix("https://").is_some_and(|rest| {
        let rest = rest.trim_end_matches('/');
        !rest.is_empty() && !rest.starts_with(':') && !rest.contains(['/', '?', '#', '@'])
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` must be https://host[:port] with no path (the tenant and /v2.0 are added)",
            s.authority_host
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_host_form() {
        let s = |h: &str| SsoSection {
            authority_host: h.into(),
            ca_file: None,
        };
        assert!(check(&SsoSection::default()).is_ok());
        assert!(check(&s("https://localhost:9443/")).is_ok());
        for bad in ["http://x", "https://x/tenant", "https://u@x", "https://"] {
            assert!(check(&s(bad)).is_err(), "{bad}");
        }
    }
}
