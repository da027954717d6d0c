//! The console's pages (server-rendered with Askama): the page context every template shares and the routes.

pub mod account;
pub mod account_security;
pub mod admin_groups;
pub mod admin_users;
pub mod api_tokens;
pub mod audit;
pub mod certificates;
pub mod dashboard;
pub mod deployments;
pub mod discovery;
pub mod enrollment;
pub mod host_detail;
pub mod hosts;
pub mod login;
pub mod mfa;
pub mod mfa_setup;
pub mod report_svg;
pub mod reports;
pub mod reports_audit;
pub mod reports_exposure;
pub mod reports_history;
pub mod settings;
pub mod sso;
pub mod svg;
pub mod webauthn;
pub mod windows;

pub use super::flash::Flash;
use super::identity::Signed;
use crate::error::ManagerError;
use actix_web::http::header;
use actix_web::HttpResponse;
use askama::Template;

/// What the base layout needs: title, the signed-in user (navigation), the CSRF token, the theme, messages.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// `<title>`.
    pub title: String,
    /// The signed-in user, when there is one (navigation and user menu are shown).
    pub user: Option<NavUser>,
    /// The CSRF token for the page's forms.
    pub csrf: String,
    /// `system`, `light` or `dark`.
    pub theme: String,
    /// Which navigation entry is current.
    pub current: &'static str,
    /// A success message.
    pub notice: Option<String>,
    /// An error message (shown next to the form, `role=alert`).
    pub error: Option<String>,
}

/// The user menu.
#[derive(Debug, Clone)]
pub struct NavUser {
    /// User name.
    pub name: String,
    /// `admin` or `operator`.
    pub role: String,
    /// Whether the admin-only pages are shown.
    pub is_admin: bool,
    /// The theme the toggle switches to.
    pub next_theme: &'static str,
}

impl Page {
    /// A page outside a session (login steps).
    pub fn anonymous(title: &str, csrf: &str) -> Self {
        Page {
            title: title.into(),
            csrf: csrf.into(),
            theme: "system".into(),
            ..Page::default()
        }
    }

    /// A page of the signed-in console.
    pub fn signed(title: &str, who: &Signed, current: &'static str) -> Self {
        let theme = who.user.theme.clone();
        Page {
            title: title.into(),
            user: Some(NavUser {
                name: who.user.username.clone(),
                role: who.user.role.clone(),
                is_admin: who.scope.is_admin(),
                next_theme: if theme == "dark" { "light" } else { "dark" },
            }),
            csrf: who.csrf_token().to_owned(),
            theme,
            current,
            ..Page::default()
        }
    }

    /// With a success message.
    pub fn notice(mut self, n: Option<String>) -> Self {
        self.notice = n;
        self
    }

    /// With an error message.
    pub fn error(mut self, e: Option<String>) -> Self {
        self.error = e;
        self
    }
}

/// Renders a template as a 200 HTML response.
pub fn html(t: &impl Template) -> Result<HttpResponse, ManagerError> {
    let body = t
        .render()
        .map_err(|e| ManagerError::Internal(format!("template: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// Renders a template with another status (a form shown again with its error).
pub fn html_status(
    status: actix_web::http::StatusCode,
    t: &impl Template,
) -> Result<HttpResponse, ManagerError> {
    let mut r = html(t)?;
    *r.status_mut() = status;
    Ok(r)
}

/// A 303 redirect (after a POST) to `to`.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// A redirect carrying a one-line message (`key` = `notice` or `error`) for the next page: sealed into the
/// session's flash cookie, never put in the URL (see [`crate::http::flash`]).
pub fn see_other_with(to: &str, key: &str, message: &str) -> HttpResponse {
    super::flash::redirect(to, Flash::one(key, message))
}

/// Which failures a form shows as a message on the page it returns to (the rest are error pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The user's mistakes: invalid input, a refused change, too many attempts.
    Mistakes,
    /// Those, and an object that is gone or out of reach (already decided, removed meanwhile).
    MistakesAndMissing,
}

/// A form's failure: a user mistake (per `shown`) becomes an error flash on `to`; anything else propagates.
pub fn flash_error(to: &str, e: ManagerError, shown: Shown) -> Result<HttpResponse, ManagerError> {
    let on_page = match e {
        ManagerError::Invalid(_) | ManagerError::Refused(_) | ManagerError::TooMany(_) => true,
        ManagerError::NotFound(_) | ManagerError::Forbidden(_) => shown == Shown::MistakesAndMissing,
        _ => false,
    };
    if on_page {
        Ok(see_other_with(to, "error", &e.public_message()))
    } else {
        Err(e)
    }
}

/// A form's outcome: `Ok(notice)` becomes a notice flash on `to`, a failure as [`flash_error`] says.
pub fn flash_result(
    to: &str,
    r: Result<String, ManagerError>,
    shown: Shown,
) -> Result<HttpResponse, ManagerError> {
    match r {
        Ok(notice) => Ok(see_other_with(to, "notice", &notice)),
        Err(e) => flash_error(to, e, shown),
    }
}

/// The error page (used by the console's error middleware).
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Layout.
    pub page: Page,
    /// e.g. `404 Not Found`.
    pub status: String,
    /// What went wrong.
    pub message: String,
}
