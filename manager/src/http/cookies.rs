//! The console's cookies: `__Host-` prefixed, Secure, HttpOnly, SameSite=Strict, path `/`.

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::HttpRequest;

/// The access token (JWT, 15 minutes).
pub const ACCESS: &str = "__Host-lpm_access";
/// The refresh token (opaque, rotated on every use).
pub const REFRESH: &str = "__Host-lpm_refresh";
/// A login between the password and the second factor.
pub const LOGIN: &str = "__Host-lpm_login";
/// The CSRF token of the login form (before there is a session).
pub const PRELOGIN: &str = "__Host-lpm_pre";
/// A one-line message for the next page after a redirect (signed with the session's secret; shown once).
pub const FLASH: &str = "__Host-lpm_flash";
/// The state of an SSO sign-in, binding the provider's answer to the browser that started it (SameSite=Lax:
/// the provider's redirect back is a cross-site navigation).
pub const SSO: &str = "__Host-lpm_sso";

/// Like [`make`] but SameSite=Lax and at most 10 minutes (the SSO sign-in's state).
pub fn make_lax(name: &'static str, value: String) -> Cookie<'static> {
    let mut c = make(name, value);
    c.set_same_site(SameSite::Lax);
    c.set_max_age(Duration::minutes(10));
    c
}

/// A session cookie (no Max-Age: it ends with the browser; the server enforces the real lifetimes).
pub fn make(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish()
}

/// A cookie that removes `name`.
pub fn clear(name: &'static str) -> Cookie<'static> {
    let mut c = make(name, String::new());
    c.set_max_age(Duration::ZERO);
    c
}

/// The value of cookie `name`, when present and non-empty.
pub fn get(req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(name)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}
