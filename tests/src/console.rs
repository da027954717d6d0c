//! The manager's HTTP app in-process (no TLS) on a test database with a manual clock, and a cookie jar,
//! so login, refresh and timeout behaviour is driven through real handlers without sleeping.

use crate::pg::TestDb;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{test, web, App};
use chrono::{DateTime, Utc};
use linux_patch_manager::app::{ActorMode, AppBuilder, AppContext};
use linux_patch_manager::ca::InternalCa;
use linux_patch_shared::clock::ManualClock;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The builder of a test app (the same [`AppBuilder`] `serve` uses) on `db`, with a real CA in a fresh
/// directory and a manual clock (start: 2026-06-01 12:00 UTC); actors are manual (tests drive them).
pub fn builder(db: &TestDb) -> (AppBuilder, ManualClock) {
    let start: DateTime<Utc> = "2026-06-01T12:00:00Z".parse().unwrap();
    let clock = ManualClock::new(start);
    // A real CA per test app, in a directory that outlives the test (removed with the system's temp files).
    let data_dir = tempfile::Builder::new()
        .prefix("lpm-console-")
        .tempdir()
        .unwrap()
        .keep();
    let ca = InternalCa::load_or_create(&data_dir, &clock).unwrap();
    let b = AppBuilder::new(
        linux_patch_manager::db::pool(db.url()),
        Arc::new(clock.clone()),
        data_dir,
        ca,
        webauthn_url(),
    )
    .mode(ActorMode::Manual);
    (b, clock)
}

/// A test app's context (its actors started on the current actix system) and clock; see [`builder`].
pub fn state(db: &TestDb) -> (web::Data<AppContext>, ManualClock) {
    let (b, clock) = builder(db);
    (web::Data::new(b.build().unwrap()), clock)
}

fn webauthn_url() -> webauthn_rs::prelude::Url {
    webauthn_rs::prelude::Url::parse("https://localhost:8443").unwrap()
}

/// A response reduced to what tests look at.
#[derive(Debug, Clone)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// `Location` header.
    pub location: Option<String>,
    /// Body text.
    pub body: String,
    /// Cookies set (name -> value; empty value = removed).
    pub set_cookies: BTreeMap<String, String>,
}

impl Resp {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `value` of the first `<input ... name="NAME" value="...">` or text of the element with `id`.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let needle = format!("name=\"{name}\" value=\"");
        let i = self.body.find(&needle)? + needle.len();
        Some(self.body[i..].split('"').next()?.to_owned())
    }

    /// The flash message this response leaves for the next page (`("notice" | "error", text)`), decoded
    /// from the sealed `__Host-lpm_flash` cookie (tests read the payload; only the manager can seal one).
    pub fn flash(&self) -> Option<(String, String)> {
        use base64::Engine;
        let v = self.set_cookies.get("__Host-lpm_flash")?;
        let payload = v.strip_prefix("v1.")?.split('.').next()?;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .ok()?;
        let f: serde_json::Value = serde_json::from_slice(&json).ok()?;
        ["notice", "error"]
            .into_iter()
            .find_map(|k| Some((k.to_owned(), f.get(k)?.as_str()?.to_owned())))
    }

    /// The notice this response leaves for the next page.
    pub fn notice(&self) -> Option<String> {
        self.flash().filter(|(k, _)| k == "notice").map(|(_, m)| m)
    }

    /// The error this response leaves for the next page.
    pub fn flash_error(&self) -> Option<String> {
        self.flash().filter(|(k, _)| k == "error").map(|(_, m)| m)
    }

    /// The text inside the element with this id (up to the next `<`).
    pub fn text_of(&self, id: &str) -> Option<String> {
        let needle = format!("id=\"{id}\"");
        let i = self.body.find(&needle)?;
        let rest = &self.body[i..];
        let start = rest.find('>')? + 1;
        Some(rest[start..].split('<').next()?.trim().to_owned())
    }
}

/// Converts a service response.
pub async fn resp<B: MessageBody>(r: ServiceResponse<B>) -> Resp {
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let set_cookies = r
        .response()
        .cookies()
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect();
    let body = test::read_body(r).await;
    Resp {
        status,
        location,
        body: String::from_utf8_lossy(&body).into_owned(),
        set_cookies,
    }
}

/// A browser-like cookie jar.
#[derive(Debug, Clone, Default)]
pub struct Jar(pub BTreeMap<String, String>);

impl Jar {
    /// Applies a response's Set-Cookie headers.
    pub fn absorb(&mut self, r: &Resp) {
        for (k, v) in &r.set_cookies {
            if v.is_empty() {
                self.0.remove(k);
            } else {
                self.0.insert(k.clone(), v.clone());
            }
        }
    }

    /// Adds the jar's cookies to a request.
    pub fn apply(&self, mut req: test::TestRequest) -> test::TestRequest {
        for (k, v) in &self.0 {
            req = req.cookie(actix_web::cookie::Cookie::new(k.clone(), v.clone()));
        }
        req
    }

    /// A cookie's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// Builds the app service.
pub async fn app(
    state: web::Data<AppContext>,
) -> impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>
{
    test::init_service(
        App::new()
            .app_data(state)
            .configure(linux_patch_manager::http::configure),
    )
    .await
}

/// Sends a request through the app with `jar`'s cookies, absorbing the answer's cookies.
pub async fn send<S, B>(app: &S, jar: &mut Jar, req: test::TestRequest) -> Resp
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let req = jar
        .apply(req)
        .peer_addr("127.0.0.1:50000".parse().unwrap())
        .to_request();
    let r = resp(test::call_service(app, req).await).await;
    jar.absorb(&r);
    r
}

/// A urlencoded POST.
pub fn form(uri: &str, fields: &[(&str, &str)]) -> test::TestRequest {
    test::TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(serde_html_form::to_string(fields).unwrap())
}
