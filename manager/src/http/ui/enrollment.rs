//! Enrolment approvals page (admins): pending agent requests with Approve / Deny, and recent decisions.

use super::login::CsrfOnly;
use super::{flash_result, html, Flash, Page, Shown};
use crate::app::AppContext;
use crate::db::models::enrollment::Enrollment;
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use crate::services::enrollment;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

/// One request as the page shows it.
struct Row {
    e: Enrollment,
    age: String,
    polled: String,
}

#[derive(Template)]
#[template(path = "console/enrollment.html")]
struct EnrollmentPage {
    page: Page,
    pending: Vec<Row>,
    decided: Vec<Row>,
    /// The id to continue after (more pending requests), when there may be more.
    next_after: Option<i64>,
    /// Whether this is a later page (a link back to the first is shown).
    paged: bool,
}

/// "3 min", "2 h", "4 d" since `t`.
fn ago(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let s = (now - t).num_seconds().max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

/// `?after=ID`: the next page of pending requests.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct After {
    after: Option<i64>,
}

pub(crate) async fn list(
    state: web::Data<AppContext>,
    who: Signed,
    flash: Flash,
    q: web::Query<After>,
) -> Result<HttpResponse, ManagerError> {
    who.require_admin()?;
    let now = state.now();
    let after = q.after;
    let enrollment::PendingPage {
        pending,
        next_after,
        decided,
    } = state
        .db(move |c| enrollment::page(c, after, enrollment::PAGE))
        .await?;
    let row = |e: Enrollment| Row {
        age: ago(now, e.created_at),
        polled: ago(now, e.last_polled_at),
        e,
    };
    html(&EnrollmentPage {
        page: flash.apply(Page::signed("Enrolment", &who, "enrollment")),
        pending: pending.into_iter().map(row).collect(),
        next_after,
        paged: after.is_some(),
        decided: decided.into_iter().map(row).collect(),
    })
}

/// A user mistake (already decided, address conflict) becomes a message on the page.
fn back_with(r: Result<String, ManagerError>) -> Result<HttpResponse, ManagerError> {
    flash_result("/enrollment", r, Shown::MistakesAndMissing)
}

pub(crate) async fn approve(
    state: web::Data<AppContext>,
    f: SignedForm<CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    f.who.require_admin()?;
    let now = state.now();
    let a = f.who.as_actor();
    let id = id.into_inner();
    let reserved = state.console_names.clone();
    let r = state
        .db(move |c| {
            enrollment::approve(c, now, &a, &reserved, id)
                .map(|(_, h)| format!("approved: {} is registered as host {}", h.hostname, h.id))
        })
        .await;
    back_with(r)
}

pub(crate) async fn deny(
    state: web::Data<AppContext>,
    f: SignedForm<CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    f.who.require_admin()?;
    let now = state.now();
    let a = f.who.as_actor();
    let id = id.into_inner();
    let r = state
        .db(move |c| enrollment::deny(c, now, &a, id).map(|e| format!("denied the request of {}", e.fqdn)))
        .await;
    back_with(r)
}
