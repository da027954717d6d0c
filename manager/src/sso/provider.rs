//! The identity provider over HTTPS (redirects off): discovery, the JWKS cache (refetched on an unknown `kid`, rate-limited), the code exchange.

use chrono::{DateTime, Duration, Utc};
use linux_patch_shared::clock::SharedClock;
use openidconnect::core::{CoreClient, CoreJsonWebKeySet, CoreProviderMetadata, CoreTokenResponse};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, IssuerUrl, PkceCodeVerifier, RedirectUrl,
};
use std::path::Path;
use std::sync::Mutex;

/// How long discovery and the JWKS are reused before a fresh fetch.
pub const CACHE_FOR: Duration = Duration::hours(24);
/// At most one refetch of the JWKS for an unknown `kid` in this time (a token with a made-up `kid` cannot
/// make the manager hammer the provider).
pub const UNKNOWN_KID_REFETCH_EVERY: Duration = Duration::minutes(5);

/// The HTTP client of every provider call: no redirects (SSRF), short timeouts, the built-in web roots plus
/// `ca_file` (config.yaml `sso.ca_file`).
pub fn http_client(ca_file: Option<&Path>) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(15))
        .https_only(true)
        // Calls are rare (sign-ins, key refetches); a pooled connection the provider has since closed would
        // fail the next call with a reset, so none is kept.
        .pool_max_idle_per_host(0);
    if let Some(p) = ca_file {
        let pem = std::fs::read(p).map_err(|e| format!("sso.ca_file {}: {e}", p.display()))?;
        for c in reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("sso.ca_file {}: not PEM certificates: {e}", p.display()))?
        {
            b = b.add_root_certificate(c);
        }
    }
    b.build()
        .map_err(|e| format!("cannot build the SSO HTTP client: {e}"))
}

#[derive(Debug, Clone)]
struct Cached {
    issuer: String,
    metadata: CoreProviderMetadata,
    fetched_at: DateTime<Utc>,
    last_kid_refetch: Option<DateTime<Utc>>,
}

/// The provider's discovery and keys, cached per issuer.
#[derive(Debug)]
pub struct Provider {
    http: reqwest::Client,
    clock: SharedClock,
    cache: Mutex<Option<Cached>>,
}

/// Describes an error and its causes on one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

impl Provider {
    /// A provider client on `http`.
    pub fn new(http: reqwest::Client, clock: SharedClock) -> Self {
        Self {
            http,
            clock,
            cache: Mutex::new(None),
        }
    }

    /// The HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    fn cached(&self, issuer: &str) -> Option<Cached> {
        let now = self.clock.now();
        let g = self.cache.lock().ok()?;
        g.as_ref()
            .filter(|c| c.issuer == issuer && now - c.fetched_at < CACHE_FOR)
            .cloned()
    }

    /// Discovery (issuer checked exactly by `openidconnect`) and the JWKS of `issuer`, cached.
    pub async fn metadata(&self, issuer: &str) -> Result<CoreProviderMetadata, String> {
        if let Some(c) = self.cached(issuer) {
            return Ok(c.metadata);
        }
        let url = IssuerUrl::new(issuer.to_owned()).map_err(|e| format!("issuer {issuer}: {e}"))?;
        let metadata = CoreProviderMetadata::discover_async(url, &self.http)
            .await
            .map_err(|e| format!("discovery of {issuer} failed: {}", chain(&e)))?;
        if let Ok(mut g) = self.cache.lock() {
            *g = Some(Cached {
                issuer: issuer.to_owned(),
                metadata: metadata.clone(),
                fetched_at: self.clock.now(),
                last_kid_refetch: None,
            });
        }
        Ok(metadata)
    }

    /// Fetches the JWKS again after a token named a `kid` the cache does not hold; `None` when a refetch
    /// happened less than [`UNKNOWN_KID_REFETCH_EVERY`] ago (rate limit) or nothing is cached.
    pub async fn refetch_keys(&self, issuer: &str) -> Result<Option<CoreJsonWebKeySet>, String> {
        let now = self.clock.now();
        let Some(c) = self.cached(issuer) else {
            return Ok(None);
        };
        if c.last_kid_refetch
            .is_some_and(|t| now - t < UNKNOWN_KID_REFETCH_EVERY)
        {
            return Ok(None);
        }
        // Mark first, so concurrent callers do not all fetch.
        if let Ok(mut g) = self.cache.lock() {
            if let Some(c) = g.as_mut() {
                c.last_kid_refetch = Some(now);
            }
        }
        let jwks = CoreJsonWebKeySet::fetch_async(c.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| format!("fetching the provider's keys failed: {}", chain(&e)))?;
        if let Ok(mut g) = self.cache.lock() {
            if let Some(c) = g.as_mut().filter(|c| c.issuer == issuer) {
                c.metadata = c.metadata.clone().set_jwks(jwks.clone());
            }
        }
        Ok(Some(jwks))
    }

    /// Forgets the cache (settings changed).
    pub fn forget(&self) {
        if let Ok(mut g) = self.cache.lock() {
            *g = None;
        }
    }

    /// Exchanges `code` (with its PKCE verifier) for tokens at the token endpoint, the secret in the body.
    pub async fn exchange(
        &self,
        metadata: CoreProviderMetadata,
        client: (&str, &str),
        redirect_uri: &str,
        code: &str,
        verifier: &str,
    ) -> Result<CoreTokenResponse, String> {
        let c = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(client.0.to_owned()),
            Some(ClientSecret::new(client.1.to_owned())),
        )
        .set_auth_type(AuthType::RequestBody)
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| e.to_string())?);
        c.exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| format!("the provider has no token endpoint: {e}"))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match &e {
                openidconnect::RequestTokenError::ServerResponse(r) => format!(
                    "the provider refused the code: {}{}",
                    r.error(),
                    r.error_description()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ),
                other => format!("the token request failed: {}", chain(other)),
            })
    }
}
