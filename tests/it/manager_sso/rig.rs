//! One SSO test console: a fresh database, the Entra-shaped provider, the in-process console aimed at it
//! with its SSO settings saved, and the sign-in round trip (console -> provider's login page -> callback).

use super::*;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};

/// The console, its provider and an admin's bearer token. Fields drop in order: the app (and its pool)
/// before the database.
pub struct Rig<S> {
    /// The console (its SSO aimed at `idp`).
    pub app: S,
    /// Its clock (set to the real time: the provider's tokens carry real times).
    pub clock: ManualClock,
    /// `Bearer ...` of admin `root`.
    pub admin: String,
    /// The provider.
    pub idp: EntraProvider,
    /// The database.
    pub db: TestDb,
}

/// A rig whose SSO settings take roles from `source` (`app_roles` or `groups`) with the right secret.
pub async fn rig(
    source: &str,
) -> Rig<
    impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
> {
    let db = TestDb::new();
    let idp = EntraProvider::start(REDIRECT);
    let (state, clock, admin) = setup(&db, &idp).await;
    let app = console::app(state).await;
    let r = put_settings(&app, &admin, settings(source, CLIENT_SECRET)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    Rig {
        app,
        clock,
        admin,
        idp,
        db,
    }
}

impl<S, B> Rig<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// Saves SSO settings taking roles from `source` with client secret `secret` (empty: keep the stored one).
    pub async fn put_settings(&self, source: &str, secret: &str) -> Resp {
        put_settings(&self.app, &self.admin, settings(source, secret)).await
    }

    /// Starts a sign-in in a fresh browser, lets `edit` change the authorization URL, signs in at the
    /// provider as `login`; returns the browser and the provider's redirect (not yet delivered).
    pub async fn to_provider(&self, login: &str, edit: impl Fn(String) -> String) -> (Jar, String) {
        let mut jar = Jar::default();
        let back = at_provider(&self.app, &mut jar, &self.idp, login, edit).await;
        (jar, back)
    }

    /// Delivers the provider's redirect `back` to the console's callback in browser `jar`.
    pub async fn deliver(&self, jar: &mut Jar, back: &str) -> Resp {
        callback(&self.app, jar, back).await
    }

    /// A whole sign-in as `login` in a fresh browser: the callback's answer and the browser.
    pub async fn sign_in(&self, login: &str) -> (Resp, Jar) {
        let (mut jar, back) = self.to_provider(login, |u| u).await;
        let r = self.deliver(&mut jar, &back).await;
        (r, jar)
    }
}
