//! Access tokens: EdDSA (Ed25519) JWTs with a `kid`, signing keys in the database rotated every 90 days.

use crate::error::ManagerError;
use crate::secrets::SecretsKey;
use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

mod provider;
mod store;
#[cfg(test)]
mod tests;

pub use store::{prune_keys, seal_plaintext_keys};

/// How long an access token is valid.
pub const ACCESS_TTL: Duration = Duration::minutes(15);
/// How long a signing key signs new tokens.
pub const KEY_SIGNS_FOR_DAYS: i64 = 90;
/// How long a key still verifies after it stopped signing.
pub const KEY_OVERLAP_HOURS: i64 = 24;
/// The `iss` of every access token.
pub const ISSUER: &str = "linux-patch-manager";
/// Longer tokens are refused unparsed (ours are ~300 bytes).
const MAX_TOKEN_LEN: usize = 4096;

/// The payload of an access token.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The session id (see `auth::refresh_tokens`).
    pub sid: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds); the token is valid while `now < exp`.
    pub exp: i64,
    /// Always [`ISSUER`].
    pub iss: String,
}

/// Why an access token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    /// Not a JWT we could have issued (shape, encoding, `alg` other than EdDSA, no `kid`, claims, issuer).
    Malformed,
    /// The `kid` is not a key we know, or the key no longer verifies (past its `verify_until`).
    UnknownKey,
    /// The signature does not match the header and payload.
    BadSignature,
    /// `exp` is not after `now`.
    Expired,
}

impl fmt::Display for TokenRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenRejection::Malformed => "malformed access token",
            TokenRejection::UnknownKey => "access token signed by an unknown or retired key",
            TokenRejection::BadSignature => "access token signature is invalid",
            TokenRejection::Expired => "access token expired",
        })
    }
}

impl std::error::Error for TokenRejection {}

#[derive(Clone)]
struct VerifyKey {
    key: DecodingKey,
    verify_until: DateTime<Utc>,
}

#[derive(Clone)]
struct SignKey {
    kid: String,
    key: EncodingKey,
    created_at: DateTime<Utc>,
    sign_until: DateTime<Utc>,
}

impl SignKey {
    fn signs_at(&self, now: DateTime<Utc>) -> bool {
        self.created_at <= now && now < self.sign_until
    }
}

struct Inner {
    verify: RwLock<HashMap<String, VerifyKey>>,
    sign: Mutex<Option<SignKey>>,
    /// Decrypts the private parts (stored encrypted, `secrets.key`).
    secrets: Arc<SecretsKey>,
}

/// Keeps decoding keys in memory (kid -> (DecodingKey, verify_until)); reloads from the DB on an unknown kid.
/// Cheap to clone (Arc inside), Send + Sync; shared by all HTTP workers.
#[derive(Clone)]
pub struct KeyRing {
    inner: Arc<Inner>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<String> = self
            .inner
            .verify
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        f.debug_struct("KeyRing").field("kids", &kids).finish()
    }
}

impl KeyRing {
    /// An empty ring; keys are loaded (or created) from the database on first use, their private parts
    /// encrypted with `secrets` (rows still in plaintext from before are encrypted when first loaded).
    pub fn new(secrets: Arc<SecretsKey>) -> Self {
        provider::install();
        Self {
            inner: Arc::new(Inner {
                verify: RwLock::default(),
                sign: Mutex::default(),
                secrets,
            }),
        }
    }

    /// Signs an access token for (user, session) at `now`, with the current signing key; creates a new Ed25519 key
    /// when none signs at `now` (rotation: new key's sign_until = now + 90 days, verify_until = sign_until + 24 h).
    /// Concurrent creation cannot produce two current keys (advisory lock in a transaction, then re-check).
    /// Returns the token and when it expires.
    pub fn issue(
        &self,
        conn: &mut PgConnection,
        now: DateTime<Utc>,
        user_id: i64,
        session_id: &str,
    ) -> Result<(String, DateTime<Utc>), ManagerError> {
        let key = self.signing_key(conn, now)?;
        sign(&key, now, user_id, session_id)
    }

    /// Verifies signature (EdDSA only), `kid` known and `now <= verify_until` of its key, `iss`, and `exp > now`.
    /// Only touches the database when the `kid` is not cached (a database failure then counts as `UnknownKey`).
    pub fn verify(
        &self,
        conn: &mut PgConnection,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Claims, TokenRejection> {
        check(token, now, |kid| self.verify_key(conn, kid))
    }

    /// The cached signing key if it signs at `now`, else the database's (created if there is none).
    fn signing_key(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> Result<SignKey, ManagerError> {
        let mut cached = self.inner.sign.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(k) = cached.as_ref().filter(|k| k.signs_at(now)) {
            return Ok(k.clone());
        }
        let secrets = &self.inner.secrets;
        let row = store::current_or_create(conn, secrets, now)?;
        let pem = store::private_pem(conn, secrets, &row)?;
        let unusable =
            |e: jsonwebtoken::errors::Error| ManagerError::Internal(format!("signing key {}: {e}", row.kid));
        let key = SignKey {
            kid: row.kid.clone(),
            key: EncodingKey::from_ed_pem(pem.as_bytes()).map_err(unusable)?,
            created_at: row.created_at,
            sign_until: row.sign_until,
        };
        self.remember(&row).map_err(unusable)?;
        *cached = Some(key.clone());
        Ok(key)
    }

    /// The decoding key of `kid`, from the cache or else the database.
    fn verify_key(&self, conn: &mut PgConnection, kid: &str) -> Result<VerifyKey, TokenRejection> {
        let cache = self.inner.verify.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(k) = cache.get(kid) {
            return Ok(k.clone());
        }
        drop(cache);
        let row = store::find(conn, kid)
            .map_err(|e| {
                log::warn!("loading signing key {kid}: {e}");
                TokenRejection::UnknownKey
            })?
            .ok_or(TokenRejection::UnknownKey)?;
        self.remember(&row).map_err(|e| {
            log::error!("signing key {kid} in the database is unusable: {e}");
            TokenRejection::UnknownKey
        })
    }

    /// Caches the decoding key of `row`.
    fn remember(&self, row: &store::KeyRow) -> Result<VerifyKey, jsonwebtoken::errors::Error> {
        let key = VerifyKey {
            key: DecodingKey::from_ed_pem(row.public_pem.as_bytes())?,
            verify_until: row.verify_until,
        };
        self.inner
            .verify
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(row.kid.clone(), key.clone());
        Ok(key)
    }
}

/// Signs the access token of (user, session) at `now` with `key`; returns it and its expiry.
fn sign(
    key: &SignKey,
    now: DateTime<Utc>,
    user_id: i64,
    session_id: &str,
) -> Result<(String, DateTime<Utc>), ManagerError> {
    provider::install();
    let exp = (now + ACCESS_TTL).timestamp();
    let expires_at = DateTime::from_timestamp(exp, 0)
        .ok_or_else(|| ManagerError::Internal("access token expiry out of range".into()))?;
    let claims = Claims {
        sub: user_id.to_string(),
        sid: session_id.to_owned(),
        iat: now.timestamp(),
        exp,
        iss: ISSUER.to_owned(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    let token = jsonwebtoken::encode(&header, &claims, &key.key)
        .map_err(|e| ManagerError::Internal(format!("signing access token: {e}")))?;
    Ok((token, expires_at))
}

/// Checks `token` at `now`, with `lookup` mapping its `kid` to the key (or the reason there is none).
fn check(
    token: &str,
    now: DateTime<Utc>,
    lookup: impl FnOnce(&str) -> Result<VerifyKey, TokenRejection>,
) -> Result<Claims, TokenRejection> {
    provider::install();
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenRejection::Malformed);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenRejection::Malformed)?;
    if header.alg != Algorithm::EdDSA {
        return Err(TokenRejection::Malformed);
    }
    let kid = header.kid.ok_or(TokenRejection::Malformed)?;
    let key = lookup(&kid)?;
    if now > key.verify_until {
        return Err(TokenRejection::UnknownKey);
    }
    let mut validation = Validation::new(Algorithm::EdDSA);
    // jsonwebtoken would read the system clock: exp is checked below against `now` instead.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.set_issuer(&[ISSUER]);
    let claims = jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => TokenRejection::BadSignature,
            _ => TokenRejection::Malformed,
        })?
        .claims;
    if claims.iss != ISSUER {
        return Err(TokenRejection::Malformed);
    }
    match DateTime::from_timestamp(claims.exp, 0) {
        Some(exp) if now < exp => Ok(claims),
        Some(_) => Err(TokenRejection::Expired),
        None => Err(TokenRejection::Malformed),
    }
}
