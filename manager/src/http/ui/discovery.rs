//! The Discovery page: scan an IPv4 range for agents (admins and operators), see which addresses
//! answered, register them with one click.

use super::{flash_error, html, see_other, see_other_with, Flash, Page, Shown};
use crate::app::AppContext;
use crate::db::models::discovery_range::DiscoveryRange;
use crate::discovery::{self, ScanSummary, ScanView};
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use crate::services;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "console/discovery.html")]
struct DiscoveryPage {
    page: Page,
    scans: Vec<ScanSummary>,
    scan: Option<ScanView>,
    range: String,
    port: u16,
    allowed: Vec<DiscoveryRange>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct StartForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    range: String,
    #[serde(default)]
    port: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    address: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    range: String,
}

crate::has_csrf!(StartForm, RegisterForm, RangeForm);

pub(crate) async fn page(
    state: web::Data<AppContext>,
    who: Signed,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    let scans = state.discovery.list(who.user.id, who.scope, state.now());
    html(&DiscoveryPage {
        page: flash.apply(Page::signed("Discovery", &who, "hosts")),
        scans,
        scan: None,
        range: String::new(),
        port: discovery::DEFAULT_PORT,
        allowed: services::discovery::allowed_ranges(&state).await?,
    })
}

fn port_of(text: &str) -> Result<u16, ManagerError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(discovery::DEFAULT_PORT);
    }
    match t.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(ManagerError::Invalid(format!(
            "`{}` is not a port (1 to 65535)",
            t.chars().take(16).collect::<String>().escape_default()
        ))),
    }
}

pub(crate) async fn start(
    state: web::Data<AppContext>,
    f: SignedForm<StartForm>,
) -> Result<HttpResponse, ManagerError> {
    let a = f.who.as_actor();
    let outcome = match port_of(&f.form.port) {
        Ok(port) => crate::services::discovery::start(&state, &a, &f.form.range, port, false).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(id) => Ok(see_other(&format!("/discovery/{id}"))),
        Err(e) => flash_error("/discovery", e, Shown::Mistakes),
    }
}

pub(crate) async fn scan(
    state: web::Data<AppContext>,
    who: Signed,
    id: web::Path<String>,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    let v = services::discovery::view(&state, &who.as_actor(), services::discovery::scan_id(&id)?).await?;
    let scans = state.discovery.list(who.user.id, who.scope, state.now());
    html(&DiscoveryPage {
        page: flash.apply(Page::signed(&format!("Discovery of {}", v.range), &who, "hosts")),
        range: v.range.clone(),
        port: v.port,
        scans,
        scan: Some(v),
        allowed: services::discovery::allowed_ranges(&state).await?,
    })
}

pub(crate) async fn register(
    state: web::Data<AppContext>,
    f: SignedForm<RegisterForm>,
    id: web::Path<String>,
) -> Result<HttpResponse, ManagerError> {
    let now = state.now();
    let raw = id.into_inner();
    let scan = state
        .discovery
        .get(
            services::discovery::scan_id(&raw)?,
            f.who.user.id,
            f.who.scope,
            now,
        )
        .ok_or_else(services::discovery::not_found)?;
    let back = format!("/discovery/{}", scan.id);
    let a = f.who.as_actor();
    let address = f.form.address;
    let reserved = state.console_names.clone();
    match state
        .db(move |c| crate::services::discovery::register(c, now, &a, &reserved, &scan, &address))
        .await
    {
        Ok(h) => Ok(see_other_with(
            &back,
            "notice",
            &format!("host {} registered", h.hostname),
        )),
        Err(e) => flash_error(&back, e, Shown::Mistakes),
    }
}

pub(crate) async fn allow_range(
    state: web::Data<AppContext>,
    f: SignedForm<RangeForm>,
) -> Result<HttpResponse, ManagerError> {
    let (now, a, range) = (state.now(), f.who.as_actor(), f.form.range);
    match state
        .db(move |c| services::discovery::allow_range(c, now, &a, &range))
        .await
    {
        Ok(r) => Ok(see_other_with(
            "/discovery",
            "notice",
            &format!("operators may now scan inside {}", r.cidr),
        )),
        Err(e) => flash_error("/discovery", e, Shown::MistakesAndMissing),
    }
}

pub(crate) async fn remove_range(
    state: web::Data<AppContext>,
    f: SignedForm<super::login::CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let (now, a, id) = (state.now(), f.who.as_actor(), id.into_inner());
    match state
        .db(move |c| services::discovery::remove_range(c, now, &a, id))
        .await
    {
        Ok(r) => Ok(see_other_with(
            "/discovery",
            "notice",
            &format!("{} is no longer allowed", r.cidr),
        )),
        Err(e) => flash_error("/discovery", e, Shown::MistakesAndMissing),
    }
}
