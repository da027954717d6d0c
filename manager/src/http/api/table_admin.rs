//! The `/api/v1` route table's administrative part: runtime settings, SSO, notifications and reports.

use super::table::{get, post, put, ApiRoute};
use super::views as v;
use super::{reports, settings, sso};
use crate::http::ui;
use crate::http::ui::reports::ComplianceQuery;
use crate::http::ui::reports_exposure::{CveQuery, ExposureQuery};
use crate::services::notifications::Prefs;
use crate::services::reports::Compliance;
use crate::services::reports_audit::{Trail, TrailQuery};
use crate::services::reports_exposure::Exposure;
use crate::services::reports_history::{History, HistoryQuery};
use crate::services::settings::SettingsView;
use crate::services::sso::SettingsView as SsoView;
use crate::services::sso_test::Report as SsoReport;
use crate::settings::Change;
use crate::sso::settings::SettingsInput;

/// Settings, SSO, the user's notification choices, and the reports (JSON, CSV, PDF).
pub(super) fn routes() -> Vec<ApiRoute> {
    vec![
        get(
            "/settings",
            "Runtime settings (administrators; secrets never shown)",
            |r| r.to(settings::get),
        )
        .data::<SettingsView>(),
        put(
            "/settings",
            "Change runtime settings: validated, audited before/after, applied without a restart",
            |r| r.to(settings::put),
        )
        .body::<Change>()
        .data::<SettingsView>(),
        post(
            "/settings/smtp/test",
            "Send a test e-mail with the stored SMTP settings",
            |r| r.to(settings::smtp_test),
        )
        .body::<settings::TestBody>()
        .data::<v::TestSent>(),
        get(
            "/settings/sso",
            "Entra ID SSO settings (the client secret never shown)",
            |r| r.to(sso::get),
        )
        .data::<SsoView>(),
        put(
            "/settings/sso",
            "Replace the SSO settings: validated, audited before/after (secret redacted)",
            |r| r.to(sso::put),
        )
        .body::<SettingsInput>()
        .data::<SsoView>(),
        post(
            "/settings/sso/test",
            "Test connection: discovery, issuer, signing keys, a token request proving the secret",
            |r| r.to(sso::test),
        )
        .no_body()
        .data::<SsoReport>(),
        post(
            "/settings/sso/links",
            "Link a local account to an Entra identity (tid, oid)",
            |r| r.to(sso::link),
        )
        .body::<sso::LinkBody>()
        .data::<v::Linked>(),
        get(
            "/account/notifications",
            "The events this user is e-mailed about",
            |r| r.to(settings::my_notifications),
        )
        .data::<Prefs>(),
        put(
            "/account/notifications",
            "Choose the events this user is e-mailed about",
            |r| r.to(settings::set_my_notifications),
        )
        .body::<settings::PrefsBody>()
        .data::<Prefs>(),
        get(
            "/reports/compliance",
            "Compliance: fleet and per group, trend, PCI-DSS 6.3.3 ageing, hosts (scoped)",
            |r| r.to(reports::compliance),
        )
        .query::<ComplianceQuery>()
        .data::<Compliance>(),
        get(
            "/reports/compliance.csv",
            "The compliance report as CSV (RFC 4180, streamed; `?table=groups`: every group)",
            |r| r.to(ui::reports::compliance_csv),
        )
        .download("text/csv")
        .query::<ComplianceQuery>(),
        get(
            "/reports/compliance.pdf",
            "The compliance report as PDF (charts, scope, chain status)",
            |r| r.to(ui::reports::compliance_pdf),
        )
        .download("application/pdf")
        .query::<ComplianceQuery>(),
        get(
            "/reports/vulnerabilities",
            "Vulnerability exposure: CVE x hosts x severity x first seen x fix available",
            |r| r.to(reports::vulnerabilities),
        )
        .query::<ExposureQuery>()
        .data::<Exposure>(),
        get(
            "/reports/vulnerabilities.csv",
            "Vulnerability exposure as CSV (streamed)",
            |r| r.to(ui::reports_exposure::csv),
        )
        .download("text/csv")
        .query::<ExposureQuery>(),
        get(
            "/reports/vulnerabilities.pdf",
            "Vulnerability exposure as PDF",
            |r| r.to(ui::reports_exposure::pdf),
        )
        .download("application/pdf")
        .query::<ExposureQuery>(),
        get(
            "/reports/vulnerabilities/{cve}",
            "One CVE: the hosts it affects (scoped)",
            |r| r.to(reports::cve),
        )
        .text_path()
        .query::<CveQuery>()
        .data::<v::CveHosts>(),
        get(
            "/reports/audit",
            "Audit trail with filters and the chain's verification (administrators)",
            |r| r.to(reports::audit),
        )
        .query::<TrailQuery>()
        .data::<Trail>(),
        get(
            "/reports/audit.csv",
            "The audit trail as CSV (streamed, chain status included)",
            |r| r.to(ui::reports_audit::csv),
        )
        .download("text/csv")
        .query::<TrailQuery>(),
        get("/reports/audit.pdf", "The audit trail as PDF", |r| {
            r.to(ui::reports_audit::pdf)
        })
        .download("application/pdf")
        .query::<TrailQuery>(),
        get(
            "/reports/history",
            "Patch history by host or group and date range (scoped)",
            |r| r.to(reports::history),
        )
        .query::<HistoryQuery>()
        .data::<History>(),
        get("/reports/history.csv", "Patch history as CSV (streamed)", |r| {
            r.to(ui::reports_history::csv)
        })
        .download("text/csv")
        .query::<HistoryQuery>(),
        get("/reports/history.pdf", "Patch history as PDF", |r| {
            r.to(ui::reports_history::pdf)
        })
        .download("application/pdf")
        .query::<HistoryQuery>(),
    ]
}
