//! Users page (admins): accounts with role, groups, factors and sessions; create, disable/enable, role,
//! groups, MFA reset, session revocation, password reset, linking a local account to an Entra ID identity.

use super::{flash_error, html, see_other_with, Flash, Page, Shown};
use crate::app::AppContext;
use crate::auth::refresh_tokens;
use crate::db::models::{mfa, sso};
use crate::db::models::{Group, Role, User};
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use crate::services::users::{self, Change};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// One row of the table.
struct Row {
    user: User,
    groups: Vec<(i64, String)>,
    factors: i64,
    sessions: usize,
    /// Signs in through Entra ID (an SSO identity is linked).
    sso: bool,
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct UsersPage {
    page: Page,
    rows: Vec<Row>,
    groups: Vec<Group>,
    created: Option<(String, String)>,
    /// The configured Entra tenant (prefills the link form's tenant ID).
    tenant: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf: String,
    username: String,
    role: String,
    #[serde(default)]
    groups: Vec<i64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    groups: Vec<i64>,
    /// `link-sso`: the Entra tenant ID.
    #[serde(default)]
    tid: String,
    /// `link-sso`: the user's Entra object ID.
    #[serde(default)]
    oid: String,
}
crate::has_csrf!(CreateForm, ActForm);

async fn page(
    state: &AppContext,
    who: &Signed,
    flash: Flash,
    created: Option<(String, String)>,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let now = state.now();
    let (rows, groups, tenant) = state
        .db(move |c| {
            let mut rows = Vec::new();
            for user in User::all(c)? {
                let live = refresh_tokens::for_user(c, user.id)?
                    .into_iter()
                    .filter(|s| {
                        s.revoked_at.is_none()
                            && now - s.last_refresh_at
                                <= chrono::Duration::minutes(refresh_tokens::REFRESH_IDLE_MINUTES)
                    })
                    .count();
                rows.push(Row {
                    groups: User::groups(c, user.id)?,
                    factors: mfa::factor_count(c, user.id)?,
                    sessions: live,
                    sso: sso::is_sso_user(c, user.id)?,
                    user,
                });
            }
            let tenant = sso::SsoSettingsRow::get(c)?
                .map(|r| r.tenant_id)
                .unwrap_or_default();
            Ok((rows, Group::all(c)?, tenant))
        })
        .await?;
    html(&UsersPage {
        page: flash.apply(Page::signed("Users", who, "users")),
        rows,
        groups,
        created,
        tenant,
    })
}

pub(crate) async fn list(
    state: web::Data<AppContext>,
    who: Signed,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    page(&state, &who, flash, None).await
}

pub(crate) async fn create(
    state: web::Data<AppContext>,
    f: SignedForm<CreateForm>,
) -> Result<HttpResponse, ManagerError> {
    f.who.require_admin()?;
    let Some(role) = Role::parse(&f.form.role) else {
        return Ok(see_other_with(
            "/users",
            "error",
            "choose the role admin or operator",
        ));
    };
    let a = f.who.as_actor();
    let clock = state.clock.clone();
    let (name, groups) = (f.form.username.clone(), f.form.groups.clone());
    match state
        .db(move |c| users::create(c, &*clock, &a, &name, role, &groups))
        .await
    {
        Ok(created) => {
            let shown = (created.user.username.clone(), created.one_time_password);
            let notice = Flash {
                notice: Some(format!("account {} created", created.user.username)),
                error: None,
            };
            page(&state, &f.who, notice, Some(shown)).await
        }
        Err(e) => flash_error("/users", e, Shown::Mistakes),
    }
}

pub(crate) async fn act(
    state: web::Data<AppContext>,
    f: SignedForm<ActForm>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, ManagerError> {
    f.who.require_admin()?;
    let (id, action) = path.into_inner();
    let now = state.now();
    let a = f.who.as_actor();
    if action == "reset-password" {
        let otp = state.db(move |c| users::reset_password(c, now, &a, id)).await?;
        let name = state
            .db(move |c| Ok(User::by_id(c, id)?.map(|u| u.username).unwrap_or_default()))
            .await?;
        let notice = Flash {
            notice: Some(format!("new one-time password for {name}")),
            error: None,
        };
        return page(&state, &f.who, notice, Some((name, otp))).await;
    }
    if action == "unlock" {
        return match users::unlock(&state, &a, id).await {
            Ok(n) => Ok(see_other_with(
                "/users",
                "notice",
                &format!("unlock: done ({n} throttled addresses cleared)"),
            )),
            Err(e) => flash_error("/users", e, Shown::Mistakes),
        };
    }
    if action == "link-sso" {
        let linked = crate::services::sso::link(&state, &a, id, &f.form.tid, &f.form.oid).await;
        return match linked {
            Ok(()) => Ok(see_other_with(
                "/users",
                "notice",
                "linked: the next Entra ID sign-in of that identity signs in as this account",
            )),
            Err(e) => flash_error("/users", e, Shown::MistakesAndMissing),
        };
    }
    let change = match action.as_str() {
        "disable" => Change::Disabled(true),
        "enable" => Change::Disabled(false),
        "reset-mfa" => Change::ResetMfa,
        "revoke-sessions" => Change::RevokeSessions,
        "role" => Change::Role(
            Role::parse(&f.form.role)
                .ok_or_else(|| ManagerError::Invalid("role must be admin or operator".into()))?,
        ),
        "groups" => Change::Groups(f.form.groups.clone()),
        other => return Err(ManagerError::NotFound(format!("no user action `{other}`"))),
    };
    match state.db(move |c| users::apply(c, now, &a, id, &change)).await {
        Ok(()) => Ok(see_other_with("/users", "notice", &format!("{action}: done"))),
        Err(e) => flash_error("/users", e, Shown::Mistakes),
    }
}
