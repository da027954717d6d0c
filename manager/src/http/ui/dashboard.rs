//! The Dashboard (`/`): fleet compliance, hosts by state with the red/yellow alerts, pending patches by
//! severity, reboots needed, and the root CA download — all scoped by RBAC, charts as inline SVG.

use super::svg::{self, Part};
use super::{html, Flash, Page};
use crate::app::AppContext;
use crate::db::models::fleet_view::Dashboard;
use crate::error::ManagerError;
use crate::http::identity::Signed;
use crate::services::fleet;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    page: Page,
    d: Dashboard,
    state_chart: String,
    severity_chart: String,
    ca_fingerprint: String,
    upcoming: Vec<(String, String)>,
    failed: Vec<crate::services::deployments::Summary>,
}

/// The state donut's parts (green, yellow, red, grey).
pub fn state_parts(d: &Dashboard) -> [Part<'static>; 4] {
    [
        Part {
            label: "healthy",
            value: d.states.healthy,
            class: "st-healthy",
        },
        Part {
            label: "degraded",
            value: d.states.degraded,
            class: "st-degraded",
        },
        Part {
            label: "unreachable",
            value: d.states.unreachable,
            class: "st-unreachable",
        },
        Part {
            label: "never polled",
            value: d.states.unknown,
            class: "st-unknown",
        },
    ]
}

/// The severity bars' parts.
pub fn severity_parts(d: &Dashboard) -> Vec<Part<'static>> {
    d.severities
        .pairs()
        .into_iter()
        .map(|(label, value)| Part {
            label,
            value,
            class: match label {
                "critical" => "sev-critical",
                "important" => "sev-important",
                "moderate" => "sev-moderate",
                "low" => "sev-low",
                _ => "sev-unrated",
            },
        })
        .collect()
}

pub(crate) async fn page(
    state: web::Data<AppContext>,
    who: Signed,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    let d = fleet::dashboard(&state, &who.as_actor()).await?;
    let state_chart = svg::donut("chart-states", "Hosts by state", &state_parts(&d));
    let severity_chart = svg::bars(
        "chart-severities",
        "Pending updates by severity",
        &severity_parts(&d),
    );
    html(&DashboardPage {
        page: flash.apply(Page::signed("Dashboard", &who, "dashboard")),
        d,
        state_chart,
        severity_chart,
        ca_fingerprint: state.ca_fingerprint.as_ref().clone(),
        upcoming: crate::services::windows::upcoming(&state, &who.as_actor(), 10)
            .await?
            .into_iter()
            .map(|(h, o, z)| (h, crate::deploy::window_text::format_opening(&o, z)))
            .collect(),
        failed: crate::services::deployments::recent_failures(&state, &who.as_actor(), 10).await?,
    })
}
