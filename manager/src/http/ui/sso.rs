//! The SSO settings page (admins; a section of the Settings page later) and the sign-in through Entra ID (start, callback).

use super::{html, html_status, see_other_with, Flash, Page};
use crate::app::AppContext;
use crate::auth::session_lifecycle;
use crate::error::ManagerError;
use crate::http::cookies;
use crate::http::form::SignedForm;
use crate::http::identity::{source_ip, Signed};
use crate::services::sso::{self as svc, SettingsView};
use crate::services::{sso_login, sso_test};
use crate::sso::settings::{GroupRule, SettingsInput};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "console/sso.html")]
struct SsoPage {
    page: Page,
    s: SettingsView,
    group_lines: String,
    report: Option<sso_test::Report>,
}

#[derive(Template)]
#[template(path = "login/sso_done.html")]
struct DonePage {
    page: Page,
    message: Option<String>,
}

/// `POST /settings/sso`.
#[derive(Debug, Deserialize)]
pub(crate) struct SsoForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    role_source: String,
    #[serde(default)]
    group_map: String,
}

/// A form with only the CSRF token.
#[derive(Debug, Deserialize)]
pub(crate) struct TestForm {
    #[serde(default)]
    csrf: String,
}
crate::has_csrf!(SsoForm, TestForm);

/// The group map as text lines: `<entra group id> <admin|operator> [group,group]`.
fn lines_of(map: &[GroupRule]) -> String {
    map.iter()
        .map(|r| {
            format!("{} {} {}", r.entra_group, r.role, r.groups.join(","))
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_lines(text: &str) -> Result<Vec<GroupRule>, ManagerError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let mut it = line.split_whitespace();
        let (Some(g), Some(role)) = (it.next(), it.next()) else {
            return Err(ManagerError::Invalid(format!(
                "group mapping line {}: write `<Entra group object id> <admin|operator> [manager groups, comma separated]`",
                i + 1
            )));
        };
        let groups = it.collect::<Vec<_>>().join(" ");
        out.push(GroupRule {
            entra_group: g.into(),
            role: role.into(),
            groups: groups
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        });
    }
    Ok(out)
}

async fn render(
    state: &AppContext,
    who: &Signed,
    flash: Page,
    report: Option<sso_test::Report>,
) -> Result<HttpResponse, ManagerError> {
    let s = svc::get(state, &who.as_actor()).await?;
    html(&SsoPage {
        page: flash,
        group_lines: lines_of(&s.group_map),
        s,
        report,
    })
}

pub(crate) async fn page(
    state: web::Data<AppContext>,
    who: Signed,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let p = flash.apply(Page::signed("Single sign-on", &who, "settings"));
    render(&state, &who, p, None).await
}

pub(crate) async fn save(
    state: web::Data<AppContext>,
    f: SignedForm<SsoForm>,
) -> Result<HttpResponse, ManagerError> {
    let form = f.form;
    let input = parse_lines(&form.group_map).map(|group_map| SettingsInput {
        enabled: form.enabled.is_some(),
        tenant_id: form.tenant_id,
        client_id: form.client_id,
        client_secret: Some(form.client_secret),
        scopes: form.scopes,
        role_source: form.role_source,
        group_map,
    });
    let r = match input {
        Ok(i) => svc::put(&state, &f.who.as_actor(), i).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(see_other_with(
            "/settings/sso",
            "notice",
            "single sign-on settings saved",
        )),
        Err(e @ (ManagerError::Invalid(_) | ManagerError::Refused(_))) => {
            Ok(see_other_with("/settings/sso", "error", &e.to_string()))
        }
        Err(e) => Err(e),
    }
}

pub(crate) async fn test(
    state: web::Data<AppContext>,
    f: SignedForm<TestForm>,
) -> Result<HttpResponse, ManagerError> {
    let report = sso_test::run(&state, &f.who.as_actor()).await?;
    let p = Page::signed("Single sign-on", &f.who, "settings");
    render(&state, &f.who, p, Some(report)).await
}

/// `GET /login/sso`: to the provider, with the state bound to this browser.
pub(crate) async fn start(state: web::Data<AppContext>) -> Result<HttpResponse, ManagerError> {
    let s = match sso_login::begin(&state).await? {
        Ok(s) => s,
        Err(why) => {
            return html_status(
                StatusCode::BAD_GATEWAY,
                &DonePage {
                    page: Page::anonymous("Sign-in unavailable", ""),
                    message: Some(why),
                },
            )
        }
    };
    let mut r = HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, s.url))
        .finish();
    let _ = r.add_cookie(&cookies::make_lax(cookies::SSO, s.state));
    Ok(r)
}

/// `GET /login/sso/callback?code&state` (or `error`).
#[derive(Debug, Deserialize)]
pub(crate) struct CallbackQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

pub(crate) async fn callback(
    state: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<CallbackQuery>,
) -> Result<HttpResponse, ManagerError> {
    let q = q.into_inner();
    let cb = sso_login::Callback {
        state: q.state,
        cookie_state: cookies::get(&req, cookies::SSO).unwrap_or_default(),
        code: q.code,
        error: q.error.map(|e| {
            format!(
                "{e}{}",
                q.error_description.map(|d| format!(": {d}")).unwrap_or_default()
            )
        }),
    };
    let origin = session_lifecycle::Origin {
        via: "console",
        source_ip: source_ip(&req),
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect(),
    };
    let out = sso_login::finish(&state, cb, origin).await?;
    let mut r = match &out {
        // A page, not a redirect: the session cookies are SameSite=Strict, and a redirect chain that began at
        // the provider is cross-site, so the browser would not send them to `/`; this page's refresh is same-site.
        Ok(_) => html(&DonePage {
            page: Page::anonymous("Signed in", ""),
            message: None,
        })?,
        Err(refused) => html_status(
            StatusCode::FORBIDDEN,
            &DonePage {
                page: Page::anonymous("Sign-in refused", ""),
                message: Some(refused.0.clone()),
            },
        )?,
    };
    let _ = r.add_cookie(&cookies::clear(cookies::SSO));
    if let Ok((_, issued)) = &out {
        super::login::set_session_cookies(&mut r, issued);
    }
    Ok(r)
}
