//! Form bodies: urlencoded (repeated keys become lists), size-limited, and for signed-in users checked
//! against the session's CSRF token before the handler runs.

use super::identity::{CsrfByForm, Signed};
use crate::error::ManagerError;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// Largest form body accepted.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// A form that carries the CSRF token in its `csrf` field.
pub trait HasCsrf {
    /// The submitted token.
    fn csrf(&self) -> &str;
}

/// A parsed form body (no session needed: the login pages check their own tokens).
#[derive(Debug)]
pub struct Form<T>(pub T);

/// A parsed form of a signed-in user whose CSRF token matched the session's.
#[derive(Debug)]
pub struct SignedForm<T> {
    /// Who.
    pub who: Signed,
    /// What they submitted.
    pub form: T,
}

/// Reads the body (at most [`MAX_FORM_BYTES`]) and parses it.
async fn read_form<T: DeserializeOwned>(req: &HttpRequest, mut payload: Payload) -> Result<T, ManagerError> {
    let ct = req.content_type();
    if ct != "application/x-www-form-urlencoded" {
        return Err(ManagerError::Invalid(format!(
            "expected a form (application/x-www-form-urlencoded), got `{ct}`"
        )));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ManagerError::Invalid(format!("cannot read the form: {e}")))?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            return Err(ManagerError::Invalid(format!(
                "the form is larger than {MAX_FORM_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    serde_html_form::from_bytes(&body).map_err(|e| ManagerError::Invalid(format!("invalid form: {e}")))
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = ManagerError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move { read_form(&req, payload).await.map(Form) })
    }
}

impl<T: DeserializeOwned + HasCsrf + 'static> FromRequest for SignedForm<T> {
    type Error = ManagerError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            req.extensions_mut().insert(CsrfByForm);
            let who = Signed::extract(&req).await?;
            let form: T = read_form(&req, payload).await?;
            who.check_csrf(Some(form.csrf()))?;
            Ok(SignedForm { who, form })
        })
    }
}

/// Implements [`HasCsrf`] for form structs with a `csrf: String` field.
#[macro_export]
macro_rules! has_csrf {
    ($($t:ty),+ $(,)?) => {
        $(impl $crate::http::form::HasCsrf for $t {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
