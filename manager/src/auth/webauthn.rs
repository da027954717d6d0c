//! WebAuthn second factor (passkeys and security keys) over webauthn-rs; ceremony state is JSON the caller stores.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid,
    Webauthn, WebauthnBuilder, WebauthnError,
};

pub use crate::db::models::mfa::credential_id;
pub use webauthn_rs::prelude::{AuthenticationResult, Passkey};

/// The relying-party name authenticators may show.
pub const RP_NAME: &str = "Linux Patch Manager";

/// The manager's WebAuthn relying party.
#[derive(Debug, Clone)]
pub struct WebauthnService {
    inner: Webauthn,
}

/// The WebAuthn user handle of user `user_id`: a UUID (version 8 layout) from SHA-256 of a fixed label and
/// the id, so it is stable across ceremonies without being stored.
fn user_handle(user_id: i64) -> Uuid {
    let digest = Sha256::digest(format!("linux-patch-manager webauthn user {user_id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

/// A clear message for a failed ceremony.
fn explain(e: WebauthnError) -> String {
    use WebauthnError as E;
    match e {
        E::MismatchedChallenge | E::ChallengeNotFound => {
            "the security key's response does not match the challenge".to_owned()
        }
        E::InvalidRPOrigin | E::CredentialCrossOrigin => {
            "the security key's response comes from another web origin than this manager".to_owned()
        }
        E::InvalidRPIDHash => {
            "the security key signed for another site (relying party id mismatch)".to_owned()
        }
        E::InvalidClientDataType => {
            "the security key's response is for a different kind of ceremony".to_owned()
        }
        E::UserNotPresent => "the security key did not confirm user presence (touch the key)".to_owned(),
        E::UserNotVerified => {
            "the security key did not verify the user (a PIN or biometric is required)".to_owned()
        }
        E::CredentialExcludedFromRequest | E::CredentialAlreadyExists => {
            "this security key is already registered".to_owned()
        }
        E::CredentialNotFound => "this security key is not registered for this account".to_owned(),
        E::AuthenticationFailure | E::SignatureInvalid => {
            "the security key's signature is not valid".to_owned()
        }
        E::CredentialPossibleCompromise | E::CredentialCounterUpdateFailure => {
            "the security key's signature counter went backwards (the key may have been cloned)".to_owned()
        }
        E::CredentialInsecureCryptography
        | E::COSEKeyInvalidAlgorithm
        | E::CredentialAlteredAlgFromRequest => {
            "the security key uses an algorithm this manager does not accept".to_owned()
        }
        E::ParseBase64Failure(_) | E::ParseCBORFailure(_) | E::ParseJSONFailure(_) | E::ParseNOMFailure => {
            "the security key's response is malformed".to_owned()
        }
        E::Configuration => "the WebAuthn configuration is invalid".to_owned(),
        other => format!("the security key ceremony failed: {other}"),
    }
}

/// Parses JSON `v` as `T`, naming `what` in the error.
fn parse<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> Result<T, String> {
    T::deserialize(v).map_err(|e| format!("{what} is not valid: {e}"))
}

/// Serialises `v` to JSON, naming `what` in the error.
fn to_json<T: serde::Serialize>(v: &T, what: &str) -> Result<Value, String> {
    serde_json::to_value(v).map_err(|e| format!("cannot serialise the {what}: {e}"))
}

impl WebauthnService {
    /// rp_id = host of `origin` (e.g. "localhost" or "manager.example.lan"), rp name "Linux Patch Manager";
    /// any port of that origin is accepted. An IP-address origin is refused (WebAuthn needs a domain).
    pub fn new(origin: &Url) -> Result<Self, String> {
        let rp_id = origin
            .domain()
            .ok_or_else(|| format!("WebAuthn needs a domain name in the origin, not `{origin}`"))?;
        let inner = WebauthnBuilder::new(rp_id, origin)
            .map_err(|e| format!("invalid WebAuthn origin `{origin}`: {e}"))?
            .rp_name(RP_NAME)
            // Bound to the console's exact origin (scheme, host and port): a page on another port of the
            // same host cannot use the console's credentials.
            .allow_any_port(false)
            .build()
            .map_err(|e| format!("invalid WebAuthn configuration: {e}"))?;
        Ok(Self { inner })
    }

    /// Starts registration for user `user_id` (the WebAuthn user handle is a UUID derived deterministically from
    /// the id), excluding `existing` credentials. Returns (options JSON, state JSON).
    ///
    /// The options are webauthn-rs's `CreationChallengeResponse`: `{"publicKey": {...}}` with binary fields
    /// (`challenge`, `user.id`, `excludeCredentials[].id`) as base64url strings without padding. The browser
    /// decodes those to `ArrayBuffer`s and calls `navigator.credentials.create(options)`. The state must be kept
    /// server-side (never sent to the browser) and passed back to [`Self::finish_registration`].
    pub fn start_registration(
        &self,
        user_id: i64,
        username: &str,
        existing: &[Passkey],
    ) -> Result<(Value, Value), String> {
        let exclude: Vec<_> = existing.iter().map(|p| p.cred_id().clone()).collect();
        let (ccr, state) = self
            .inner
            .start_passkey_registration(
                user_handle(user_id),
                username,
                username,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(explain)?;
        Ok((
            to_json(&ccr, "registration options")?,
            to_json(&state, "registration state")?,
        ))
    }

    /// Finishes it from the browser's JSON (`RegisterPublicKeyCredential`: `id`, `rawId`, `type`, and
    /// `response.attestationObject` / `response.clientDataJSON` as base64url) and the stored state; returns the
    /// new credential.
    pub fn finish_registration(&self, response: &Value, state: &Value) -> Result<Passkey, String> {
        let reg: RegisterPublicKeyCredential = parse(response, "the security key's registration response")?;
        let state: PasskeyRegistration = parse(state, "the stored registration state")?;
        self.inner
            .finish_passkey_registration(&reg, &state)
            .map_err(explain)
    }

    /// Starts authentication with any of `creds`. Returns (options JSON, state JSON).
    ///
    /// The options are webauthn-rs's `RequestChallengeResponse`: `{"publicKey": {...}}` with `challenge` and
    /// `allowCredentials[].id` as base64url strings without padding, for `navigator.credentials.get(options)`
    /// after decoding them. The state stays server-side for [`Self::finish_authentication`].
    pub fn start_authentication(&self, creds: &[Passkey]) -> Result<(Value, Value), String> {
        if creds.is_empty() {
            return Err("no security key is registered for this account".to_owned());
        }
        let (rcr, state) = self.inner.start_passkey_authentication(creds).map_err(explain)?;
        Ok((
            to_json(&rcr, "authentication options")?,
            to_json(&state, "authentication state")?,
        ))
    }

    /// Finishes it from the browser's JSON (`PublicKeyCredential`: `id`, `rawId`, `type`, and
    /// `response.authenticatorData` / `clientDataJSON` / `signature` / `userHandle` as base64url) and the stored
    /// state. Returns the credential id used (base64url, no padding) and the `AuthenticationResult` to update
    /// the stored passkey's counter with (`WebauthnCredential::record_use`).
    pub fn finish_authentication(
        &self,
        response: &Value,
        state: &Value,
    ) -> Result<(String, AuthenticationResult), String> {
        let cred: PublicKeyCredential = parse(response, "the security key's authentication response")?;
        let state: PasskeyAuthentication = parse(state, "the stored authentication state")?;
        let result = self
            .inner
            .finish_passkey_authentication(&cred, &state)
            .map_err(explain)?;
        Ok((URL_SAFE_NO_PAD.encode(result.cred_id()), result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service() -> WebauthnService {
        WebauthnService::new(&Url::parse("https://localhost:8443").unwrap()).unwrap()
    }

    #[test]
    fn service_accepts_domains_and_refuses_ip_origins() {
        service();
        WebauthnService::new(&Url::parse("https://manager.example.lan").unwrap()).unwrap();
        let err = WebauthnService::new(&Url::parse("https://10.0.0.5:8443").unwrap()).unwrap_err();
        assert!(err.contains("domain"), "{err}");
    }

    #[test]
    fn registration_options_carry_a_challenge_and_the_state_round_trips() {
        let svc = service();
        let (options, state) = svc.start_registration(42, "alice", &[]).unwrap();
        let pk = &options["publicKey"];
        let challenge = pk["challenge"].as_str().unwrap();
        assert!(
            URL_SAFE_NO_PAD.decode(challenge).unwrap().len() >= 16,
            "{options}"
        );
        assert_eq!(pk["rp"]["id"], "localhost");
        assert_eq!(pk["rp"]["name"], RP_NAME);
        assert_eq!(pk["user"]["name"], "alice");
        let user_id = URL_SAFE_NO_PAD
            .decode(pk["user"]["id"].as_str().unwrap())
            .unwrap();
        assert_eq!(user_id, user_handle(42).as_bytes().to_vec());
        // The state survives a trip through text (as the caller stores it).
        let text = serde_json::to_string(&state).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        let _: PasskeyRegistration = parse(&back, "state").unwrap();
        // A second start issues a different challenge.
        let (again, _) = svc.start_registration(42, "alice", &[]).unwrap();
        assert_ne!(again["publicKey"]["challenge"], pk["challenge"]);
    }

    #[test]
    fn user_handles_are_stable_and_distinct() {
        assert_eq!(user_handle(1), user_handle(1));
        assert_ne!(user_handle(1), user_handle(2));
    }

    #[test]
    fn bad_json_is_refused_with_a_clear_error() {
        let svc = service();
        let (_, state) = svc.start_registration(1, "alice", &[]).unwrap();
        let err = svc.finish_registration(&json!({"id": 1}), &state).unwrap_err();
        assert!(
            err.starts_with("the security key's registration response is not valid"),
            "{err}"
        );
        let err = svc
            .finish_registration(
                &json!({"id": "x", "rawId": "x", "type": "public-key"}),
                &json!("nope"),
            )
            .unwrap_err();
        assert!(err.contains("not valid"), "{err}");
        let err = svc.finish_authentication(&json!([]), &json!({})).unwrap_err();
        assert!(
            err.starts_with("the security key's authentication response is not valid"),
            "{err}"
        );
        let err = svc.start_authentication(&[]).unwrap_err();
        assert!(err.contains("no security key"), "{err}");
    }

    /// A registration response with `none` attestation and empty authenticator data, for `challenge`/`origin`.
    fn fake_registration(challenge: &[u8], origin: &str) -> Value {
        let client_data = json!({"type": "webauthn.create", "challenge": URL_SAFE_NO_PAD.encode(challenge), "origin": origin});
        // CBOR {"fmt": "none", "attStmt": {}, "authData": <37 zero bytes>}
        let mut att = vec![0xa3, 0x63];
        att.extend_from_slice(b"fmt");
        att.push(0x64);
        att.extend_from_slice(b"none");
        att.push(0x67);
        att.extend_from_slice(b"attStmt");
        att.extend_from_slice(&[0xa0, 0x68]);
        att.extend_from_slice(b"authData");
        att.extend_from_slice(&[0x58, 37]);
        att.extend_from_slice(&[0u8; 37]);
        json!({
            "id": "AAAA",
            "rawId": "AAAA",
            "type": "public-key",
            "response": {
                "attestationObject": URL_SAFE_NO_PAD.encode(att),
                "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data.to_string()),
            },
            "extensions": {},
        })
    }

    #[test]
    fn responses_to_another_challenge_or_origin_are_refused() {
        let svc = service();
        let (options, state) = svc.start_registration(1, "alice", &[]).unwrap();
        let wrong = fake_registration(&[7u8; 32], "https://localhost:8443");
        let err = svc.finish_registration(&wrong, &state).unwrap_err();
        assert_eq!(err, "the security key's response does not match the challenge");
        let challenge = URL_SAFE_NO_PAD
            .decode(options["publicKey"]["challenge"].as_str().unwrap())
            .unwrap();
        let elsewhere = fake_registration(&challenge, "https://evil.example");
        let err = svc.finish_registration(&elsewhere, &state).unwrap_err();
        assert!(err.contains("another web origin"), "{err}");
    }
}
