//! Entra ID single sign-on's pure parts: settings validation, role mapping, token verification, and the provider client.

pub mod mapping;
pub mod provider;
pub mod settings;
pub mod username;
pub mod verify;

use crate::config::sso::SsoSection;
use crate::secrets::SecretsKey;
use linux_patch_shared::clock::SharedClock;
use std::sync::Arc;

/// The console path the provider sends the browser back to.
pub const CALLBACK_PATH: &str = "/login/sso/callback";

/// SSO's share of the application context: config.yaml's part, the redirect URI, the secrets key, the provider.
#[derive(Debug)]
pub struct SsoRuntime {
    /// `https://login.microsoftonline.com` or the configured host.
    pub authority_host: String,
    /// `<public_url>/login/sso/callback`.
    pub redirect_uri: String,
    /// Seals the client secret.
    pub secrets: Arc<SecretsKey>,
    /// Discovery, keys and token requests; `Err` when the HTTP client could not be built (bad `ca_file`).
    pub provider: Result<provider::Provider, String>,
}

impl SsoRuntime {
    /// Builds it from `sso:` (with `ca_file` already resolved) and the console's public URL.
    pub fn new(section: &SsoSection, public_url: &str, secrets: Arc<SecretsKey>, clock: SharedClock) -> Self {
        let provider =
            provider::http_client(section.ca_file.as_deref()).map(|h| provider::Provider::new(h, clock));
        if let Err(e) = &provider {
            log::error!("SSO is unavailable: {e}");
        }
        Self {
            authority_host: section.authority_host.trim_end_matches('/').to_owned(),
            redirect_uri: format!("{}{CALLBACK_PATH}", public_url.trim_end_matches('/')),
            secrets,
            provider,
        }
    }

    /// The provider client, or why there is none.
    pub fn provider(&self) -> Result<&provider::Provider, String> {
        self.provider.as_ref().map_err(|e| e.clone())
    }

    /// The exact issuer for `tenant`.
    pub fn issuer(&self, tenant: &str) -> String {
        settings::issuer(&self.authority_host, tenant)
    }
}
