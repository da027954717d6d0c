//! Authentication building blocks: passwords, user names, second factors, access tokens and sessions.

pub mod api_tokens;
pub mod jwt;
pub mod password;
pub mod password_check;
pub mod qr;
pub mod rbac;
pub mod recovery;
pub mod refresh_tokens;
pub mod session_lifecycle;
pub mod throttle;
pub mod token_failures;
pub mod totp;
pub mod username;
pub mod webauthn;

/// A random secret token: 32 bytes from the CSPRNG, base64url without padding.
pub fn random_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
