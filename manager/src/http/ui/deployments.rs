//! Patch Deployment (choose hosts or groups, review their pending updates by package, queue for the
//! window or apply now), Jobs (deployments, newest first) and Deployment detail (per-host state, output
//! tail, change set; cancel, rollback). Work without JavaScript (the pages refresh themselves while
//! anything runs).

use super::{flash_error, html, see_other_with, Flash, Page, Shown};
use crate::app::AppContext;
use crate::db::models::deployment::Target;
use crate::db::models::fleet_view::pending::PendingPackage;
use crate::db::models::{fleet_view, Host};
use crate::deploy::request::DeploymentRequest;
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use crate::services::deployments::{self, Summary};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// Rows per page of the Jobs and Deployment pages.
pub const PAGE: i64 = 100;

#[derive(Template)]
#[template(path = "console/jobs.html")]
struct JobsPage {
    page: Page,
    rows: Vec<Summary>,
    next_before: Option<i64>,
    live: bool,
}

#[derive(Template)]
#[template(path = "console/deploy_new.html")]
struct NewPage {
    page: Page,
    hosts: Vec<Host>,
    packages: Vec<PendingRow>,
    groups: Vec<(i64, String)>,
    chosen_groups: Vec<i64>,
    names: String,
}

#[derive(Template)]
#[template(path = "console/deployment.html")]
struct DetailPage {
    page: Page,
    d: Summary,
    packages: Vec<String>,
    targets: Vec<TargetRow>,
    next_after: Option<i64>,
    live: bool,
    /// `/ws/deployments/{id}?targets=...`: the live view of the targets shown.
    ws: String,
}

/// A target as the page shows it.
struct TargetRow {
    t: Target,
    tail: Vec<String>,
    change_set: Option<String>,
}

impl TargetRow {
    fn of(t: Target) -> Self {
        let tail = serde_json::from_value(t.output_tail.clone()).unwrap_or_default();
        let change_set = t
            .change_set
            .as_ref()
            .and_then(|c| serde_json::to_string_pretty(c).ok());
        TargetRow { t, tail, change_set }
    }
}

/// A pending package as the review shows it.
struct PendingRow {
    p: PendingPackage,
    cves: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Choice {
    #[serde(default)]
    host: Vec<i64>,
    #[serde(default)]
    group: Vec<i64>,
    #[serde(default)]
    names: String,
}

fn names_of(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `?before=ID` / `?after=ID`.
#[derive(Debug, Deserialize)]
pub(crate) struct Cursor {
    before: Option<i64>,
    after: Option<i64>,
}

pub(crate) async fn jobs(
    state: web::Data<AppContext>,
    who: Signed,
    q: web::Query<Cursor>,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    let rows = deployments::list(&state, &who.as_actor(), q.before, PAGE).await?;
    let next_before = (rows.len() as i64 >= PAGE)
        .then(|| rows.last().map(|r| r.deployment.id))
        .flatten();
    let live = rows
        .iter()
        .any(|r| r.deployment.status == "active" && r.deployment.finished_at.is_none());
    html(&JobsPage {
        page: flash.apply(Page::signed("Jobs", &who, "jobs")),
        rows,
        next_before,
        live,
    })
}

pub(crate) async fn new_page(
    state: web::Data<AppContext>,
    who: Signed,
    req: HttpRequest,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    let choice: Choice = serde_html_form::from_str(req.query_string())
        .map_err(|e| ManagerError::Invalid(format!("invalid selection: {e}")))?;
    let scope = who.scope;
    let groups = state
        .db(move |c| Ok(fleet_view::groups_in_scope(c, scope)?))
        .await?;
    let chosen = !(choice.host.is_empty() && choice.group.is_empty() && choice.names.trim().is_empty());
    let (hosts, packages) = if chosen {
        deployments::review(
            &state,
            &who.as_actor(),
            choice.host.clone(),
            names_of(&choice.names),
            choice.group.clone(),
        )
        .await?
    } else {
        (Vec::new(), Vec::new())
    };
    html(&NewPage {
        page: flash.apply(Page::signed("Patch deployment", &who, "jobs")),
        hosts,
        packages: packages
            .into_iter()
            .map(|p| PendingRow {
                cves: serde_json::from_value(p.cves.clone()).unwrap_or_default(),
                p,
            })
            .collect(),
        groups,
        chosen_groups: choice.group,
        names: choice.names,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    host: Vec<i64>,
    #[serde(default)]
    group: Vec<i64>,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    package: Vec<String>,
    #[serde(default)]
    install: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    reboot: String,
    #[serde(default)]
    stop_failed_pct: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RollbackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    host: Vec<i64>,
}

crate::has_csrf!(CreateForm, CsrfOnly, RollbackForm);

pub(crate) async fn create(
    state: web::Data<AppContext>,
    f: SignedForm<CreateForm>,
) -> Result<HttpResponse, ManagerError> {
    let form = f.form;
    let back = format!(
        "/deployments/new?{}",
        serde_html_form::to_string(
            form.host
                .iter()
                .map(|h| ("host", h.to_string()))
                .chain(form.group.iter().map(|g| ("group", g.to_string())))
                .collect::<Vec<_>>()
        )
        .unwrap_or_default()
    );
    let packages = match form.operation.as_str() {
        "install" | "remove" => names_of(&form.install),
        _ => form.package.clone(),
    };
    let stop = form.stop_failed_pct.trim();
    let stop_failed_pct = if stop.is_empty() {
        None
    } else {
        match stop.parse::<i32>() {
            Ok(p) => Some(p),
            Err(_) => {
                return flash_error(
                    &back,
                    ManagerError::Invalid("the stop rule is a percentage (1-100)".into()),
                    Shown::Mistakes,
                )
            }
        }
    };
    let r = DeploymentRequest {
        host_ids: form.host,
        group_ids: form.group,
        operation: form.operation,
        packages,
        rollback_of: None,
        mode: Some(form.mode).filter(|m| !m.is_empty()),
        reboot: Some(form.reboot).filter(|m| !m.is_empty()),
        stop_failed_pct,
    };
    match deployments::create(&state, &f.who.as_actor(), r).await {
        Ok(d) => {
            let what = if d.deployment.mode == "now" {
                "started now"
            } else {
                "queued for each host's next window"
            };
            Ok(see_other_with(
                &format!("/deployments/{}", d.deployment.id),
                "notice",
                &format!(
                    "deployment #{} created for {} hosts: {what}",
                    d.deployment.id, d.total
                ),
            ))
        }
        Err(e) => flash_error(&back, e, Shown::MistakesAndMissing),
    }
}

pub(crate) async fn detail(
    state: web::Data<AppContext>,
    who: Signed,
    id: web::Path<i64>,
    q: web::Query<Cursor>,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    let (d, targets) = deployments::detail(&state, &who.as_actor(), id.into_inner(), q.after, PAGE).await?;
    let next_after = (targets.len() as i64 >= PAGE)
        .then(|| targets.last().map(|t| t.id))
        .flatten();
    let live = d.deployment.status == "active" && d.deployment.finished_at.is_none();
    let shown: Vec<String> = targets.iter().map(|t| t.id.to_string()).collect();
    let ws = format!("/ws/deployments/{}?targets={}", d.deployment.id, shown.join(","));
    html(&DetailPage {
        page: flash.apply(Page::signed(
            &format!("Deployment #{}", d.deployment.id),
            &who,
            "jobs",
        )),
        packages: serde_json::from_value(d.deployment.packages.clone()).unwrap_or_default(),
        d,
        targets: targets.into_iter().map(TargetRow::of).collect(),
        next_after,
        live,
        ws,
    })
}

pub(crate) async fn cancel(
    state: web::Data<AppContext>,
    f: SignedForm<CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let id = id.into_inner();
    let to = format!("/deployments/{id}");
    let r = deployments::cancel(&state, &f.who.as_actor(), id)
        .await
        .map(|n| format!("cancelled: {n} targets not yet started; running jobs finish on their agents"));
    super::flash_result(&to, r, Shown::Mistakes)
}

pub(crate) async fn cancel_target(
    state: web::Data<AppContext>,
    f: SignedForm<CsrfOnly>,
    ids: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ManagerError> {
    let (id, target) = ids.into_inner();
    let to = format!("/deployments/{id}");
    let r = deployments::cancel_target(&state, &f.who.as_actor(), id, target)
        .await
        .map(|()| format!("target #{target} cancelled"));
    super::flash_result(&to, r, Shown::Mistakes)
}

pub(crate) async fn rollback(
    state: web::Data<AppContext>,
    f: SignedForm<RollbackForm>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let id = id.into_inner();
    let r = DeploymentRequest {
        host_ids: f.form.host.clone(),
        operation: "rollback".into(),
        rollback_of: Some(id),
        mode: Some("now".into()),
        ..DeploymentRequest::default()
    };
    match deployments::create(&state, &f.who.as_actor(), r).await {
        Ok(d) => Ok(see_other_with(
            &format!("/deployments/{}", d.deployment.id),
            "notice",
            &format!("rollback of deployment #{id} started on {} hosts", d.total),
        )),
        Err(e) => flash_error(&format!("/deployments/{id}"), e, Shown::Mistakes),
    }
}
