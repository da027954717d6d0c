//! The "API tokens" pages: a user's own tokens (`/account/tokens`) and the administrators' view of every token
//! and the service accounts (`/tokens`); create (fresh factor proof: a code or a security key; secret shown once),
//! revoke, paged lists.

use super::{flash_error, html, see_other_with, Flash, Page, Shown};
use crate::app::AppContext;
use crate::db::models::mfa::WebauthnCredential;
use crate::db::models::{Group, Role};
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use crate::http::respond::ok_json;
use crate::http::tokens_dto::{me_of, token_page, ServiceAccountView, TokenView};
use crate::services::api_tokens::{self, NewToken};
use crate::services::reauth::{self, Proof};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// Rows per page of the token and service-account lists.
const PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "console/api_tokens.html")]
struct TokensPage {
    page: Page,
    /// `/tokens` (every token, service accounts) rather than `/account/tokens`.
    admin_view: bool,
    /// This page's path (forms come back here).
    base: &'static str,
    tokens: Vec<TokenView>,
    next_before: Option<i64>,
    /// A token just created: (name, secret), shown only now.
    created: Option<(String, String)>,
    service_accounts: Vec<ServiceAccountView>,
    groups: Vec<Group>,
    /// The signed-in user has a security key (the form offers it as the proof).
    security_keys: bool,
}

/// `?before=ID`.
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    before: Option<i64>,
}

async fn render(
    state: &AppContext,
    who: &Signed,
    admin_view: bool,
    before: Option<i64>,
    flash: Flash,
    created: Option<(String, String)>,
) -> Result<HttpResponse, ManagerError> {
    let actor = who.as_actor();
    let rows = api_tokens::list(state, &actor, admin_view, before, PAGE).await?;
    let page = token_page(rows, PAGE, state.now());
    let (service_accounts, groups) = if admin_view {
        let sas =
            api_tokens::service_accounts(state, &actor, None, crate::http::tokens_dto::MAX_PAGE).await?;
        let groups = state.db(|c| Ok(Group::all(c)?)).await?;
        let views = sas
            .into_iter()
            .map(|(s, u)| ServiceAccountView {
                id: u.id,
                username: u.username,
                role: u.role,
                disabled: u.disabled,
                description: s.description,
                created_by: s.created_by,
                created_at: s.created_at,
            })
            .collect();
        (views, groups)
    } else {
        (Vec::new(), Vec::new())
    };
    let uid = who.user.id;
    let security_keys = state
        .db(move |c| Ok(!WebauthnCredential::for_user(c, uid)?.is_empty()))
        .await?;
    let (title, current, base) = if admin_view {
        ("All API tokens", "tokens", "/tokens")
    } else {
        ("API tokens", "account", "/account/tokens")
    };
    html(&TokensPage {
        page: flash.apply(Page::signed(title, who, current)),
        admin_view,
        base,
        tokens: page.tokens,
        next_before: page.next_before,
        created,
        service_accounts,
        groups,
        security_keys,
    })
}

pub(crate) async fn own_page(
    state: web::Data<AppContext>,
    who: Signed,
    flash: Flash,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ManagerError> {
    render(&state, &who, false, q.before, flash, None).await
}

pub(crate) async fn admin_page(
    state: web::Data<AppContext>,
    who: Signed,
    flash: Flash,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    render(&state, &who, true, q.before, flash, None).await
}

/// `POST /account/tokens` and `POST /tokens` (administrators, for a service account).
#[derive(Debug, Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    /// `read` or `role`.
    #[serde(default)]
    scope: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    code: String,
    /// The answer to this session's security-key challenge (JSON), filled in by `static/webauthn.js`.
    #[serde(default)]
    security_key: String,
    #[serde(default)]
    service_account: String,
}

/// `POST /tokens/service-accounts`.
#[derive(Debug, Deserialize)]
pub(crate) struct ServiceAccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    groups: Vec<i64>,
    #[serde(default)]
    description: String,
}

/// `POST .../{id}/revoke`.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}
crate::has_csrf!(CreateForm, ServiceAccountForm, CsrfOnly);

fn parse_create(f: &CreateForm) -> Result<NewToken, ManagerError> {
    let read_only = match f.scope.as_str() {
        "read" => true,
        "role" => false,
        other => {
            return Err(ManagerError::Invalid(format!(
                "choose a scope: read-only or your role (got `{other}`)"
            )))
        }
    };
    let days = match f.days.trim() {
        "" => None,
        d => Some(
            d.parse::<i64>()
                .map_err(|_| ManagerError::Invalid(format!("days must be a number (got `{d}`)")))?,
        ),
    };
    let service_account = match f.service_account.trim() {
        "" => None,
        s => Some(
            s.parse::<i64>()
                .map_err(|_| ManagerError::Invalid(format!("no service account `{s}`")))?,
        ),
    };
    Ok(NewToken {
        name: f.name.clone(),
        read_only,
        days,
        service_account,
        proof: proof_of(f)?,
    })
}

/// The security-key answer when the form carries one, else the typed code.
fn proof_of(f: &CreateForm) -> Result<Proof, ManagerError> {
    match f.security_key.trim() {
        "" => Ok(Proof::Code(f.code.clone())),
        answer => serde_json::from_str(answer)
            .map(Proof::SecurityKey)
            .map_err(|e| ManagerError::Invalid(format!("the security key's answer is not JSON: {e}"))),
    }
}

/// `POST /account/tokens/security-key` (JSON, `X-CSRF-Token`): a security-key challenge bound to this
/// session, for the token form's re-authentication (answered once, within five minutes).
pub(crate) async fn security_key_start(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
) -> Result<HttpResponse, ManagerError> {
    let options = reauth::start_security_key(&state, &me_of(&who)?).await?;
    Ok(ok_json(&req, state.now(), options))
}

async fn create_on(
    state: &AppContext,
    f: SignedForm<CreateForm>,
    admin_view: bool,
) -> Result<HttpResponse, ManagerError> {
    let back = if admin_view { "/tokens" } else { "/account/tokens" };
    let made = async {
        let ask = parse_create(&f.form)?;
        api_tokens::create(state, &me_of(&f.who)?, &f.who.as_actor(), ask).await
    }
    .await;
    match made {
        Ok((row, secret)) => {
            let flash = Flash::one("notice", "token created: copy it now, it is not shown again");
            render(state, &f.who, admin_view, None, flash, Some((row.name, secret))).await
        }
        Err(e) => flash_error(back, e, Shown::MistakesAndMissing),
    }
}

pub(crate) async fn create_own(
    state: web::Data<AppContext>,
    f: SignedForm<CreateForm>,
) -> Result<HttpResponse, ManagerError> {
    create_on(&state, f, false).await
}

pub(crate) async fn create_admin(
    state: web::Data<AppContext>,
    f: SignedForm<CreateForm>,
) -> Result<HttpResponse, ManagerError> {
    f.who.require_admin()?;
    create_on(&state, f, true).await
}

async fn revoke_on(
    state: &AppContext,
    who: &Signed,
    id: i64,
    back: &str,
) -> Result<HttpResponse, ManagerError> {
    match api_tokens::revoke(state, &who.as_actor(), id).await {
        Ok(t) => Ok(see_other_with(
            back,
            "notice",
            &format!("token `{}` revoked", t.name),
        )),
        Err(e) => flash_error(back, e, Shown::MistakesAndMissing),
    }
}

pub(crate) async fn revoke_own(
    state: web::Data<AppContext>,
    f: SignedForm<CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    revoke_on(&state, &f.who, id.into_inner(), "/account/tokens").await
}

pub(crate) async fn revoke_admin(
    state: web::Data<AppContext>,
    f: SignedForm<CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    f.who.require_admin()?;
    revoke_on(&state, &f.who, id.into_inner(), "/tokens").await
}

pub(crate) async fn create_service_account(
    state: web::Data<AppContext>,
    f: SignedForm<ServiceAccountForm>,
) -> Result<HttpResponse, ManagerError> {
    let made = async {
        let role = Role::parse(&f.form.role).ok_or_else(|| {
            ManagerError::Invalid(format!("role must be admin or operator (got `{}`)", f.form.role))
        })?;
        let (name, groups, desc) = (f.form.username.trim(), f.form.groups.clone(), &f.form.description);
        api_tokens::create_service_account(&state, &f.who.as_actor(), name, role, groups, desc).await
    }
    .await;
    match made {
        Ok(u) => Ok(see_other_with(
            "/tokens",
            "notice",
            &format!(
                "service account `{}` created: create a token for it below",
                u.username
            ),
        )),
        Err(e) => flash_error("/tokens", e, Shown::MistakesAndMissing),
    }
}
