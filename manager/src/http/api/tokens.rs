//! `/api/v1/tokens` and `/api/v1/service-accounts`: create (session + fresh factor), list (paged), revoke.

use super::{created_json, ok_json};
use crate::app::AppContext;
use crate::db::models::{Role, User};
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::services::api_tokens::{self, NewToken};
use actix_web::{web, HttpRequest, HttpResponse};

pub use crate::http::tokens_dto::*;

pub(crate) async fn list(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, ManagerError> {
    let limit = limit_of(q.limit)?;
    let rows = api_tokens::list(&state, &who.as_actor(), q.all.unwrap_or(false), q.before, limit).await?;
    Ok(ok_json(&req, state.now(), token_page(rows, limit, state.now())))
}

pub(crate) async fn create(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<CreateToken>,
) -> Result<HttpResponse, ManagerError> {
    let b = body.into_inner();
    let ask = NewToken {
        name: b.name,
        read_only: b.read_only,
        days: b.days,
        service_account: b.service_account,
        proof: crate::services::reauth::Proof::Code(b.code),
    };
    let (row, secret) = api_tokens::create(&state, &me_of(&who)?, &who.as_actor(), ask).await?;
    let uid = row.user_id;
    let owner = state
        .db(move |c| Ok(User::by_id(c, uid)?.map(|u| u.username).unwrap_or_default()))
        .await?;
    let out = CreatedToken {
        token: secret,
        details: TokenView::of(row, owner, state.now()),
    };
    Ok(created_json(&req, state.now(), out))
}

pub(crate) async fn revoke(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let t = api_tokens::revoke(&state, &who.as_actor(), id.into_inner()).await?;
    let owner = if t.user_id == who.user.id {
        who.user.username.clone()
    } else {
        String::new()
    };
    Ok(ok_json(&req, state.now(), TokenView::of(t, owner, state.now())))
}

pub(crate) async fn list_service_accounts(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ManagerError> {
    let limit = limit_of(q.limit)?;
    let rows = api_tokens::service_accounts(&state, &who.as_actor(), q.before, limit).await?;
    let full = i64::try_from(rows.len()).unwrap_or(0) >= limit;
    let next_before = full.then(|| rows.last().map(|(s, _)| s.user_id)).flatten();
    let service_accounts = rows.into_iter().map(|(s, u)| sa_view(s, u)).collect();
    Ok(ok_json(
        &req,
        state.now(),
        ServiceAccountPage {
            service_accounts,
            next_before,
        },
    ))
}

fn sa_view(s: crate::db::models::api_token::ServiceAccount, u: User) -> ServiceAccountView {
    ServiceAccountView {
        id: u.id,
        username: u.username,
        role: u.role,
        disabled: u.disabled,
        description: s.description,
        created_by: s.created_by,
        created_at: s.created_at,
    }
}

pub(crate) async fn create_service_account(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    body: web::Json<CreateServiceAccount>,
) -> Result<HttpResponse, ManagerError> {
    let b = body.into_inner();
    let role = Role::parse(&b.role).ok_or_else(|| {
        ManagerError::Invalid(format!("role must be `admin` or `operator` (got `{}`)", b.role))
    })?;
    let u = api_tokens::create_service_account(
        &state,
        &who.as_actor(),
        &b.username,
        role,
        b.groups,
        &b.description,
    )
    .await?;
    let view = ServiceAccountView {
        id: u.id,
        username: u.username,
        role: u.role,
        disabled: u.disabled,
        description: b.description.trim().to_owned(),
        created_by: who.user.username.clone(),
        created_at: u.created_at,
    };
    Ok(created_json(&req, state.now(), view))
}
