//! The Settings page (admins): one card per section (polling, deployments, retention, allow-list, web TLS, SMTP; more sections such as SSO add a card and a form), each saved on its own, validated, audited and applied without a restart.

use super::{flash_error, html, see_other_with, Flash, Page, Shown};
use crate::app::AppContext;
use crate::error::ManagerError;
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use crate::services;
use crate::settings::upload::Uploaded;
use crate::settings::{
    Change, Deployments, Polling, Retention, Settings, SmtpChange, SmtpTls, TlsStrategy, WebTlsChange,
};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "console/settings.html")]
struct SettingsPage {
    page: Page,
    s: Settings,
    uploaded: Option<Uploaded>,
    caller: String,
    allow_text: String,
    unsent: i64,
    unsent_error: Option<String>,
}

/// Every field of every section's form (each form sends its own).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    health_interval_secs: String,
    #[serde(default)]
    patch_interval_secs: String,
    #[serde(default)]
    concurrency: String,
    #[serde(default)]
    operational_days: String,
    #[serde(default)]
    audit_days: String,
    #[serde(default)]
    allow_list: String,
    #[serde(default)]
    strategy: String,
    #[serde(default)]
    cert_pem: String,
    #[serde(default)]
    key_pem: String,
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    tls: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    remove_password: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    ca_pem: String,
    #[serde(default)]
    weekly_compliance_to: String,
}

crate::has_csrf!(SettingsForm);

pub(crate) async fn page(
    state: web::Data<AppContext>,
    req: HttpRequest,
    who: Signed,
    flash: Flash,
) -> Result<HttpResponse, ManagerError> {
    let (s, uploaded) = services::settings::page(&state, &who.as_actor()).await?;
    let (unsent, unsent_error, _) = services::notifications::outbox(&state, &who.as_actor()).await?;
    html(&SettingsPage {
        unsent,
        unsent_error,
        page: flash.apply(Page::signed("Settings", &who, "settings")),
        allow_text: s.allow_list.join("\n"),
        s,
        uploaded,
        caller: crate::http::identity::source_ip(&req),
    })
}

fn number<T: std::str::FromStr>(field: &str, v: &str) -> Result<T, ManagerError> {
    v.trim().parse().map_err(|_| {
        ManagerError::Invalid(format!(
            "{field}: `{}` is not a whole number",
            v.chars().take(20).collect::<String>().escape_default()
        ))
    })
}

/// The change one section's form asks for.
fn change_of(section: &str, f: &SettingsForm) -> Result<Change, ManagerError> {
    let mut c = Change::default();
    match section {
        "polling" => {
            c.polling = Some(Polling {
                health_interval_secs: number("health interval", &f.health_interval_secs)?,
                patch_interval_secs: number("patch-data interval", &f.patch_interval_secs)?,
            });
        }
        "deployments" => {
            c.deployments = Some(Deployments {
                concurrency: number("concurrency", &f.concurrency)?,
            })
        }
        "retention" => {
            c.retention = Some(Retention {
                operational_days: number("operational data", &f.operational_days)?,
                audit_days: number("audit", &f.audit_days)?,
            });
        }
        "allow_list" => {
            c.allow_list = Some(
                f.allow_list
                    .split(['\n', ',', ' '])
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            );
        }
        "web_tls" => {
            let strategy = match f.strategy.as_str() {
                "internal_ca" => TlsStrategy::InternalCa,
                "uploaded" => TlsStrategy::Uploaded,
                _ => {
                    return Err(ManagerError::Invalid(
                        "choose the internal CA or an uploaded certificate".into(),
                    ))
                }
            };
            let given = |t: &str| (!t.trim().is_empty()).then(|| t.trim().to_owned());
            c.web_tls = Some(WebTlsChange {
                strategy,
                cert_pem: given(&f.cert_pem),
                key_pem: given(&f.key_pem),
            });
        }
        "smtp" => {
            let tls = match f.tls.as_str() {
                "none" => SmtpTls::None,
                "starttls" => SmtpTls::Starttls,
                "tls" => SmtpTls::Tls,
                _ => {
                    return Err(ManagerError::Invalid(
                        "choose a TLS mode: none, STARTTLS or TLS".into(),
                    ))
                }
            };
            let password = if f.remove_password.is_some() {
                Some(String::new())
            } else {
                (!f.password.is_empty()).then(|| f.password.clone())
            };
            c.smtp = Some(SmtpChange {
                enabled: f.enabled.is_some(),
                host: f.host.clone(),
                port: if f.port.trim().is_empty() {
                    587
                } else {
                    number("port", &f.port)?
                },
                tls,
                username: f.username.clone(),
                password,
                from: f.from.clone(),
                ca_pem: Some(f.ca_pem.clone()),
            });
        }
        "reports" => {
            c.reports = Some(crate::settings::Reports {
                weekly_compliance_to: f
                    .weekly_compliance_to
                    .split(|ch: char| ch == ',' || ch.is_whitespace())
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect(),
            });
        }
        _ => {
            return Err(ManagerError::NotFound(format!(
                "no settings section `{}`",
                section.escape_default()
            )))
        }
    }
    Ok(c)
}

pub(crate) async fn save(
    state: web::Data<AppContext>,
    req: HttpRequest,
    section: web::Path<String>,
    f: SignedForm<SettingsForm>,
) -> Result<HttpResponse, ManagerError> {
    let who = f.who.as_actor();
    who.require_admin()?;
    let caller = req.peer_addr().map(|a| a.ip());
    let anchor = format!("/settings#{}", section.as_str());
    let outcome = match change_of(&section, &f.form) {
        Ok(change) => services::settings::update(&state, &who, caller, change).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(v) if v.changed.is_empty() => Ok(see_other_with(&anchor, "notice", "Nothing changed.")),
        Ok(v) => Ok(see_other_with(
            &anchor,
            "notice",
            &format!("Saved and applied: {}.", v.changed.join(", ").replace('_', " ")),
        )),
        Err(e) => flash_error(&anchor, e, Shown::Mistakes),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PrefsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    event: Vec<String>,
}

crate::has_csrf!(TestForm, PrefsForm);

/// "Send test e-mail": the server's answer (or why not) comes back as the page's message.
pub(crate) async fn smtp_test(
    state: web::Data<AppContext>,
    f: SignedForm<TestForm>,
) -> Result<HttpResponse, ManagerError> {
    let who = f.who.as_actor();
    who.require_admin()?;
    match services::notifications::send_test(&state, &who, &f.form.to).await {
        Ok(()) => Ok(see_other_with(
            "/settings#smtp",
            "notice",
            &format!("Test e-mail sent to {}.", f.form.to.trim()),
        )),
        Err(e) => flash_error("/settings#smtp", e, Shown::Mistakes),
    }
}

/// The account page's notification choices (every user, for themselves).
pub(crate) async fn my_notifications(
    state: web::Data<AppContext>,
    f: SignedForm<PrefsForm>,
) -> Result<HttpResponse, ManagerError> {
    match services::notifications::set_prefs(&state, &f.who.as_actor(), &f.form.email, &f.form.event).await {
        Ok(_) => Ok(see_other_with(
            "/account#notifications",
            "notice",
            "Notification choices saved.",
        )),
        Err(e) => flash_error("/account#notifications", e, Shown::Mistakes),
    }
}
