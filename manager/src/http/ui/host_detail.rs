//! Host detail (`/hosts/{id}`): system info, 30 days of health, pending patches, reboot, groups, refresh,
//! the certificate bundle link; installed packages fetched live from the agent on their own route so the
//! page itself stays fast.

use super::svg::{self, Cell};
use super::{html, see_other_with, Flash, Page};
use crate::app::AppContext;
use crate::db::models::deployment::{Deployment, Target};
use crate::db::models::fleet_view::detail::HealthDay;
use crate::db::models::Host;
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use crate::services::fleet::{self, HostDetail, DAYS};
use crate::services::hosts;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use linux_patch_shared::api::agent::Package;
use serde::Deserialize;

/// The worst outcome of a day as a colour class.
fn day_class(d: &HealthDay) -> &'static str {
    if d.unreachable > 0 {
        "st-unreachable"
    } else if d.degraded > 0 {
        "st-degraded"
    } else if d.healthy > 0 {
        "st-healthy"
    } else {
        "none"
    }
}

/// One cell per day for the `DAYS` days up to `today` (oldest first) and the text equivalent.
pub fn health_cells(days: &[HealthDay], today: NaiveDate) -> (Vec<Cell>, String) {
    let (mut good, mut bad, mut none) = (0, 0, 0);
    let cells = (0..DAYS)
        .rev()
        .map(|back| {
            let day = today - Duration::days(back);
            match days.iter().find(|d| d.day == day) {
                Some(d) => {
                    if d.degraded + d.unreachable > 0 {
                        bad += 1;
                    } else {
                        good += 1;
                    }
                    Cell {
                        tip: format!(
                            "{day}: {} healthy, {} degraded, {} unreachable",
                            d.healthy, d.degraded, d.unreachable
                        ),
                        class: day_class(d),
                    }
                }
                None => {
                    none += 1;
                    Cell {
                        tip: format!("{day}: no health checks"),
                        class: "none",
                    }
                }
            }
        })
        .collect();
    let text = format!(
        "Last {DAYS} days: {good} days healthy, {bad} days with problems, {none} days without checks"
    );
    (cells, text)
}

#[derive(Template)]
#[template(path = "console/host.html")]
struct HostPage {
    page: Page,
    jobs: Vec<(Target, Deployment)>,
    windows: Vec<(String, String, Vec<String>)>,
    d: HostDetail,
    strip: String,
    strip_text: String,
    now: DateTime<Utc>,
}

impl HostPage {
    fn admin(&self) -> bool {
        self.page.user.as_ref().is_some_and(|u| u.is_admin)
    }
}

pub(crate) async fn page(
    state: web::Data<AppContext>,
    who: Signed,
    id: web::Path<i64>,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    let id = id.into_inner();
    let d = fleet::load(&state, &who.as_actor(), id).await?;
    let jobs = crate::services::deployments::host_history(&state, &who.as_actor(), id, 20).await?;
    let windows = crate::services::windows::for_host(&state, &who.as_actor(), id)
        .await?
        .into_iter()
        .map(|v| {
            let zone = v.window.zone();
            let next = v
                .next
                .iter()
                .map(|o| crate::deploy::window_text::format_opening(o, zone))
                .collect();
            (
                v.row.name.clone(),
                format!(
                    "{} min from {} ({})",
                    v.window.duration_minutes(),
                    v.window.start().format("%H:%M"),
                    zone.name()
                ),
                next,
            )
        })
        .collect();
    let now = state.now();
    let (cells, strip_text) = health_cells(&d.days, now.date_naive());
    let strip = svg::strip(
        "health-strip",
        "Health over the last 30 days",
        &strip_text,
        &cells,
    );
    html(&HostPage {
        jobs,
        windows,
        page: flash.apply(Page::signed(&d.host.hostname, &who, "hosts")),
        d,
        strip,
        strip_text,
        now,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct PackagesQuery {
    #[serde(default)]
    fragment: Option<String>,
}

#[derive(Template)]
#[template(path = "console/host_packages.html")]
struct PackagesPage {
    page: Page,
    host: Host,
    packages: Result<Vec<Package>, String>,
}

#[derive(Template)]
#[template(path = "console/host_packages_table.html")]
struct PackagesFragment {
    host: Host,
    packages: Result<Vec<Package>, String>,
}

pub(crate) async fn packages(
    state: web::Data<AppContext>,
    who: Signed,
    id: web::Path<i64>,
    q: web::Query<PackagesQuery>,
) -> Result<HttpResponse, ManagerError> {
    let id = id.into_inner();
    let scope = who.scope;
    let host = state
        .db(move |c| Host::find(c, scope, id)?.ok_or_else(|| hosts::not_found(id)))
        .await?;
    let packages = fleet::fetch_packages(&state, &host).await;
    if q.fragment.is_some() {
        return html(&PackagesFragment { host, packages });
    }
    html(&PackagesPage {
        page: Page::signed(&format!("{} packages", host.hostname), &who, "hosts"),
        host,
        packages,
    })
}

pub(crate) async fn refresh(
    state: web::Data<AppContext>,
    f: SignedForm<super::login::CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    let id = id.into_inner();
    let to = format!("/hosts/{id}");
    match fleet::refresh(&state, &f.who.as_actor(), &[id]).await {
        Ok(_) => Ok(see_other_with(&to, "notice", "refresh queued")),
        Err(e @ ManagerError::Refused(_)) => Ok(see_other_with(&to, "error", &e.public_message())),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str, h: i64, d: i64, u: i64) -> HealthDay {
        HealthDay {
            day: s.parse().unwrap(),
            healthy: h,
            degraded: d,
            unreachable: u,
        }
    }

    #[test]
    fn thirty_cells_worst_state_wins() {
        let today: NaiveDate = "2026-06-30".parse().unwrap();
        let days = [
            day("2026-06-01", 10, 0, 0),
            day("2026-06-29", 5, 1, 0),
            day("2026-06-30", 3, 1, 2),
            day("2026-05-01", 9, 0, 0), // outside the window
        ];
        let (cells, text) = health_cells(&days, today);
        assert_eq!(cells.len(), 30);
        assert_eq!(cells[0].class, "st-healthy");
        assert_eq!(cells[0].tip, "2026-06-01: 10 healthy, 0 degraded, 0 unreachable");
        assert_eq!(cells[28].class, "st-degraded");
        assert_eq!(cells[29].class, "st-unreachable");
        assert_eq!(cells[1].class, "none");
        assert_eq!(
            text,
            "Last 30 days: 1 days healthy, 2 days with problems, 27 days without checks"
        );
    }
}
