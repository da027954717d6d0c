//! Flash messages come only from the server: a redirect's one-line message travels in a cookie sealed with
//! the session's secret and is shown once by the next page; nothing in the URL ever becomes a message.

use super::cookies;
use super::identity::Signed;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use serde::{Deserialize, Serialize};
use std::future::{ready, Ready};

/// Longest message kept (characters); longer ones are cut.
const MAX_CHARS: usize = 300;

/// The messages a page shows after a redirect: at most one notice and one error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// Success message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Error message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Flash {
    /// A flash with one message: `key` is `notice` or `error` (anything else is an error).
    pub fn one(key: &str, message: &str) -> Self {
        let m = Some(clean(message));
        if key == "notice" {
            Flash {
                notice: m,
                error: None,
            }
        } else {
            Flash {
                notice: None,
                error: m,
            }
        }
    }

    /// Applies to a page.
    pub fn apply(self, page: super::ui::Page) -> super::ui::Page {
        page.notice(self.notice.map(|m| clean(&m)))
            .error(self.error.map(|m| clean(&m)))
    }
}

/// Keeps messages short and single-line.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(MAX_CHARS).collect()
}

/// Response extension: the message to carry to the next page.
#[derive(Debug, Clone)]
struct Pending(Flash);

/// Request extension: the verified message the request's cookie carried.
#[derive(Debug, Clone)]
struct Carried(Flash);

/// Request extension: a page took (showed) the carried message.
#[derive(Debug, Clone, Copy)]
struct Taken;

/// A 303 redirect to `to` that carries `flash` to the next page (sealed into a cookie by [`carry`]).
pub fn redirect(to: &str, flash: Flash) -> HttpResponse {
    let mut r = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish();
    r.extensions_mut().insert(Pending(flash));
    r
}

fn mac(secret: &str, purpose: &str, payload: &str) -> Option<Vec<u8>> {
    let key = PKey::hmac(secret.as_bytes()).ok()?;
    let mut s = Signer::new(MessageDigest::sha256(), &key).ok()?;
    s.update(b"lpm-seal-v1\0").ok()?;
    s.update(purpose.as_bytes()).ok()?;
    s.update(b"\0").ok()?;
    s.update(payload.as_bytes()).ok()?;
    s.sign_to_vec().ok()
}

/// `v1.<base64url(json)>.<base64url(HMAC-SHA256(session secret, purpose, json))>`: a value only this
/// session's pages can have produced for `purpose` (readable, not secret).
pub fn seal_for<T: Serialize>(secret: &str, purpose: &str, value: &T) -> Option<String> {
    let json = serde_json::to_string(value).ok()?;
    let payload = B64.encode(json.as_bytes());
    let tag = mac(secret, purpose, &payload)?;
    Some(format!("v1.{payload}.{}", B64.encode(tag)))
}

/// The value sealed by [`seal_for`] with the same secret and purpose; `None` for anything forged, altered or
/// foreign.
pub fn open_for<T: serde::de::DeserializeOwned>(secret: &str, purpose: &str, sealed: &str) -> Option<T> {
    let rest = sealed.strip_prefix("v1.")?;
    let (payload, tag) = rest.split_once('.')?;
    let tag = B64.decode(tag).ok()?;
    let want = mac(secret, purpose, payload)?;
    if tag.len() != want.len() || !openssl::memcmp::eq(&tag, &want) {
        return None;
    }
    serde_json::from_slice(&B64.decode(payload).ok()?).ok()
}

/// A flash sealed for the next page of the session with `secret`.
pub fn seal(secret: &str, flash: &Flash) -> Option<String> {
    seal_for(secret, "flash", flash)
}

/// The flash in `value` when its seal is good for `secret`.
pub fn open(secret: &str, value: &str) -> Option<Flash> {
    open_for(secret, "flash", value)
}

/// Console middleware (inside the session refresh): opens the flash cookie of a signed-in request for the
/// page, seals a redirect's message into the cookie, and removes the cookie once a page has shown it (or when
/// it does not verify).
pub async fn carry(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secret = req
        .extensions()
        .get::<Signed>()
        .map(|s| s.csrf_token().to_owned());
    let raw = cookies::get(req.request(), cookies::FLASH);
    let mut valid = false;
    if let (Some(secret), Some(raw)) = (&secret, &raw) {
        if let Some(f) = open(secret, raw) {
            valid = true;
            req.extensions_mut().insert(Carried(f));
        }
    }
    let mut res = next.call(req).await?;
    let pending = res.response().extensions().get::<Pending>().cloned();
    let taken = res.request().extensions().get::<Taken>().is_some();
    let sealed = match (pending, &secret) {
        (Some(Pending(f)), Some(secret)) => seal(secret, &f),
        _ => None,
    };
    if let Some(value) = sealed {
        let _ = res
            .response_mut()
            .add_cookie(&cookies::make(cookies::FLASH, value));
    } else if raw.is_some() && (taken || !valid) {
        let _ = res.response_mut().add_cookie(&cookies::clear(cookies::FLASH));
    }
    Ok(res)
}

impl FromRequest for Flash {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    /// The message the previous request left for this page (empty when none); marks it as shown.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let carried = req.extensions().get::<Carried>().cloned();
        let out = match carried {
            Some(Carried(f)) => {
                req.extensions_mut().insert(Taken);
                f
            }
            None => Flash::default(),
        };
        ready(Ok(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_flash_opens_only_with_its_sessions_secret() {
        let f = Flash::one("notice", "saved");
        let v = seal("secret-a", &f).unwrap();
        assert_eq!(open("secret-a", &v), Some(f));
        assert_eq!(open("secret-b", &v), None);
        assert_eq!(open_for::<Flash>("secret-a", "other", &v), None);
    }

    #[test]
    fn an_altered_message_does_not_open() {
        let v = seal("s", &Flash::one("error", "no")).unwrap();
        let forged = B64.encode(br#"{"error":"call 555-0100 for help"}"#);
        let parts: Vec<&str> = v.split('.').collect();
        assert_eq!(open("s", &format!("v1.{forged}.{}", parts[2])), None);
        assert_eq!(open("s", "v1.e30"), None);
        assert_eq!(open("s", "garbage"), None);
    }

    #[test]
    fn messages_are_single_line_and_short() {
        let f = Flash::one("error", &format!("a\nb{}", "x".repeat(400)));
        let m = f.error.unwrap();
        assert!(!m.contains('\n'));
        assert_eq!(m.chars().count(), MAX_CHARS);
    }
}
