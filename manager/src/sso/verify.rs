//! Checks an Entra ID token: signature (JWKS), `iss` exactly, `aud`, `exp`, `nbf`, `nonce`, then reads `tid`, `oid`, `roles`, `groups`.

use super::mapping::RoleClaims;
use chrono::{DateTime, TimeZone, Utc};
use openidconnect::core::{
    CoreGenderClaim, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AdditionalClaims, ClaimsVerificationError, ClientId, IdToken, IssuerUrl, Nonce,
    SignatureVerificationError,
};
use serde::{Deserialize, Serialize};

/// Entra's claims beyond the standard ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EntraClaims {
    /// Tenant id.
    #[serde(default)]
    pub tid: Option<String>,
    /// The user's object id (stable, unlike e-mail and UPN).
    #[serde(default)]
    pub oid: Option<String>,
    /// App roles.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Group object ids (absent on overage).
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    /// Overage marker: `{"groups": "src1"}`.
    #[serde(default, rename = "_claim_names")]
    pub claim_names: Option<serde_json::Map<String, serde_json::Value>>,
    /// Not before (seconds).
    #[serde(default)]
    pub nbf: Option<i64>,
}
impl AdditionalClaims for EntraClaims {}

/// An Entra ID token.
pub type EntraIdToken =
    IdToken<EntraClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

/// Who signed in, from a verified token.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Tenant.
    pub tid: String,
    /// Object id.
    pub oid: String,
    /// A display name for the user row (`preferred_username`, else `name`; never a key).
    pub display: String,
    /// The claims that decide the role.
    pub role_claims: RoleClaims,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Its `kid` is not in the JWKS (refetch and try again).
    UnknownKey,
    /// Any other failed check (the message says which).
    Bad(String),
}

/// What to compare against.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    /// Exact issuer.
    pub issuer: &'a str,
    /// Our client id (the audience).
    pub client_id: &'a str,
    /// The tenant the settings name.
    pub tenant: &'a str,
    /// The nonce sent with this sign-in.
    pub nonce: &'a str,
    /// Now (the manager's clock).
    pub now: DateTime<Utc>,
}

/// Verifies `raw` against `keys`.
pub fn verify(raw: &str, keys: &CoreJsonWebKeySet, x: &Expect<'_>) -> Result<Identity, Refusal> {
    let bad = |m: String| Refusal::Bad(m);
    let token: EntraIdToken = raw
        .parse()
        .map_err(|e| bad(format!("the ID token is malformed: {e}")))?;
    let issuer = IssuerUrl::new(x.issuer.to_owned()).map_err(|e| bad(e.to_string()))?;
    let now = x.now;
    let verifier =
        CoreIdTokenVerifier::new_public_client(ClientId::new(x.client_id.to_owned()), issuer, keys.clone())
            .set_allowed_algs([CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256])
            .set_time_fn(move || now);
    let nonce = Nonce::new(x.nonce.to_owned());
    let claims = token.claims(&verifier, &nonce).map_err(|e| match e {
        ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey) => {
            Refusal::UnknownKey
        }
        ClaimsVerificationError::Expired(m) => bad(format!("the ID token has expired ({m})")),
        ClaimsVerificationError::InvalidAudience(m) => bad(format!(
            "the ID token was issued for another application (audience: {m})"
        )),
        ClaimsVerificationError::InvalidIssuer(m) => bad(format!(
            "the ID token comes from another issuer than {} ({m})",
            x.issuer
        )),
        ClaimsVerificationError::InvalidNonce(m) => {
            bad(format!("the ID token's nonce does not match this sign-in ({m})"))
        }
        ClaimsVerificationError::SignatureVerification(s) => {
            bad(format!("the ID token's signature is not valid ({s})"))
        }
        other => bad(format!("the ID token was refused: {other}")),
    })?;
    let extra = claims.additional_claims();
    if let Some(nbf) = extra.nbf {
        let not_before = Utc
            .timestamp_opt(nbf, 0)
            .single()
            .ok_or_else(|| bad("the ID token's nbf is not a time".into()))?;
        if not_before > now {
            return Err(bad(format!("the ID token is not valid before {not_before}")));
        }
    }
    let tid = extra.tid.clone().unwrap_or_default().to_ascii_lowercase();
    if tid != x.tenant {
        return Err(bad(format!(
            "the ID token's tenant (tid `{tid}`) is not {}",
            x.tenant
        )));
    }
    let oid = extra.oid.clone().unwrap_or_default().to_ascii_lowercase();
    if oid.is_empty() || oid.len() > 64 {
        return Err(bad("the ID token carries no object id (oid)".into()));
    }
    let display = claims
        .preferred_username()
        .map(|u| u.to_string())
        .or_else(|| claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()))
        .unwrap_or_default();
    Ok(Identity {
        tid,
        oid,
        display,
        role_claims: RoleClaims {
            roles: extra.roles.clone(),
            groups: extra.groups.clone(),
            groups_overage: extra
                .claim_names
                .as_ref()
                .is_some_and(|m| m.contains_key("groups")),
        },
    })
}
