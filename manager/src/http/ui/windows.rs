//! Maintenance Windows page: every window of the hosts you may see with its next five openings in its own
//! zone and yours (`?tz=`, default the manager's), a form to add one to hosts or to every host of a group,
//! and removal.

use super::{flash_error, flash_result, html, see_other_with, Flash, Page, Shown};
use crate::app::AppContext;
use crate::deploy::window::{WindowKind, WindowSpec};
use crate::deploy::window_text::describe_opening;
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use crate::services::windows;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono_tz::Tz;
use serde::Deserialize;

/// Windows per page.
pub const PAGE: i64 = 100;

struct Row {
    id: i64,
    host_id: i64,
    hostname: String,
    name: String,
    what: String,
    openings: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "console/windows.html")]
struct WindowsPage {
    page: Page,
    rows: Vec<Row>,
    viewer: String,
    next_after: Option<i64>,
    groups: Vec<(i64, String)>,
    default_zone: String,
}

#[derive(Debug, Default, Deserialize)]
struct Query {
    after: Option<i64>,
    tz: Option<String>,
}

fn describe(kind: &WindowKind) -> String {
    match kind {
        WindowKind::Daily => "daily".into(),
        WindowKind::Weekly { weekdays } => format!(
            "weekly on {}",
            weekdays
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        WindowKind::MonthlyDay { day } => format!("monthly on day {day}"),
        WindowKind::MonthlyWeekday { nth, weekday } => {
            let which = match nth {
                crate::deploy::window::Nth::Last => "last".to_owned(),
                crate::deploy::window::Nth::Ordinal(1) => "1st".to_owned(),
                crate::deploy::window::Nth::Ordinal(2) => "2nd".to_owned(),
                crate::deploy::window::Nth::Ordinal(3) => "3rd".to_owned(),
                crate::deploy::window::Nth::Ordinal(n) => format!("{n}th"),
            };
            format!("monthly on the {which} {weekday}")
        }
        WindowKind::Once { date } => format!("once on {date}"),
    }
}

pub(crate) async fn page(
    state: web::Data<AppContext>,
    who: Signed,
    req: HttpRequest,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    let q: Query = serde_html_form::from_str(req.query_string()).unwrap_or_default();
    let manager_zone = crate::deploy::local_zone::manager_time_zone();
    let viewer: Tz = match q.tz.as_deref() {
        Some(z) => z.parse().map_err(|_| {
            ManagerError::Invalid(format!(
                "`{}` is not an IANA time zone",
                z.chars().take(64).collect::<String>().escape_default()
            ))
        })?,
        None => manager_zone,
    };
    let views = windows::page(&state, &who.as_actor(), q.after, PAGE).await?;
    let next_after = (views.len() as i64 >= PAGE)
        .then(|| views.last().map(|(_, v)| v.row.id))
        .flatten();
    let rows = views
        .into_iter()
        .map(|(hostname, v)| Row {
            id: v.row.id,
            host_id: v.row.host_id,
            hostname,
            name: v.row.name.clone(),
            what: format!(
                "{} at {} for {} min ({}; no new job in the last {} min)",
                describe(v.window.kind()),
                v.window.start().format("%H:%M"),
                v.window.duration_minutes(),
                v.window.zone().name(),
                v.window.cutoff_minutes()
            ),
            openings: v
                .next
                .iter()
                .map(|o| {
                    let t = describe_opening(o, v.window.zone(), viewer);
                    (t.own, t.viewer)
                })
                .collect(),
        })
        .collect();
    let scope = who.scope;
    let groups = state
        .db(move |c| Ok(crate::db::models::fleet_view::groups_in_scope(c, scope)?))
        .await?;
    html(&WindowsPage {
        page: flash.apply(Page::signed("Maintenance windows", &who, "windows")),
        rows,
        viewer: viewer.name().to_owned(),
        next_after,
        groups,
        default_zone: manager_zone.name().to_owned(),
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct WindowForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    hosts: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    weekday: Vec<String>,
    #[serde(default)]
    day: String,
    #[serde(default)]
    nth: String,
    #[serde(default)]
    nth_weekday: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    cutoff_minutes: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

crate::has_csrf!(WindowForm, CsrfOnly);

fn invalid(m: &str) -> ManagerError {
    ManagerError::Invalid(m.to_owned())
}

/// The form as the API's spec JSON (so both go through one validation).
fn spec_of(f: &WindowForm) -> Result<WindowSpec, ManagerError> {
    let kind = match f.kind.as_str() {
        "daily" => serde_json::json!({"type": "daily"}),
        "weekly" => serde_json::json!({"type": "weekly", "weekdays": f.weekday}),
        "monthly_day" => {
            serde_json::json!({"type": "monthly_day", "day": f.day.trim().parse::<u32>().map_err(|_| invalid("the day of the month is a number from 1 to 31"))?})
        }
        "monthly_weekday" => {
            let nth: serde_json::Value = match f.nth.as_str() {
                "last" => "last".into(),
                n => n
                    .parse::<u32>()
                    .map_err(|_| invalid("which weekday of the month: 1 to 5 or last"))?
                    .into(),
            };
            serde_json::json!({"type": "monthly_weekday", "nth": nth, "weekday": f.nth_weekday})
        }
        "once" => serde_json::json!({"type": "once", "date": f.date.trim()}),
        _ => return Err(invalid("choose daily, weekly, monthly (day or weekday) or once")),
    };
    let minutes = |s: &str, what: &str| {
        s.trim()
            .parse::<u32>()
            .map_err(|_| invalid(&format!("{what} is a number of minutes")))
    };
    let mut spec = serde_json::json!({
        "kind": kind, "start": f.start.trim(), "duration_minutes": minutes(&f.duration_minutes, "the duration")?,
    });
    if !f.time_zone.trim().is_empty() {
        spec["time_zone"] = f.time_zone.trim().into();
    }
    if !f.cutoff_minutes.trim().is_empty() {
        spec["cutoff_minutes"] = minutes(&f.cutoff_minutes, "the cut-off")?.into();
    }
    serde_json::from_value(spec)
        .map_err(|e| ManagerError::Invalid(format!("invalid maintenance window: {e}")))
}

pub(crate) async fn create(
    state: web::Data<AppContext>,
    f: SignedForm<WindowForm>,
) -> Result<HttpResponse, ManagerError> {
    let spec = match spec_of(&f.form) {
        Ok(s) => s,
        Err(e) => return flash_error("/windows", e, Shown::Mistakes),
    };
    let mut hosts = Vec::new();
    for h in f
        .form
        .hosts
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match h.parse::<i64>() {
            Ok(id) => hosts.push(id),
            Err(_) => {
                return flash_error(
                    "/windows",
                    invalid("hosts are listed by id (see the Hosts page)"),
                    Shown::Mistakes,
                )
            }
        }
    }
    let group = match f.form.group.trim() {
        "" => None,
        g => match g.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                return flash_error(
                    "/windows",
                    invalid("choose a group from the list"),
                    Shown::Mistakes,
                )
            }
        },
    };
    let r = windows::create(
        &state,
        &f.who.as_actor(),
        hosts,
        group,
        f.form.name.trim().to_owned(),
        spec,
    )
    .await
    .map(|rows| format!("window added to {} hosts", rows.len()));
    flash_result("/windows", r, Shown::MistakesAndMissing)
}

pub(crate) async fn delete(
    state: web::Data<AppContext>,
    f: SignedForm<CsrfOnly>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ManagerError> {
    match windows::delete(&state, &f.who.as_actor(), id.into_inner()).await {
        Ok(row) => Ok(see_other_with(
            "/windows",
            "notice",
            &format!("window #{} removed", row.id),
        )),
        Err(e) => flash_error("/windows", e, Shown::MistakesAndMissing),
    }
}
