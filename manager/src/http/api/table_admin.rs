//! The `/api/v1` route table's administrative part: runtime settings, SSO, notifications and reports.

use super::table::{get, post, put, ApiRoute};
use super::{reports, settings, sso};
use crate::http::ui;

/// Settings, SSO, the user's notification choices, and the reports (JSON, CSV, PDF).
pub(super) fn routes() -> Vec<ApiRoute> {
    vec![
        get(
            "/settings",
            "Runtime settings (administrators; secrets never shown)",
            |r| r.to(settings::get),
        ),
        put(
            "/settings",
            "Change runtime settings: validated, audited before/after, applied without a restart",
            |r| r.to(settings::put),
        ),
        post(
            "/settings/smtp/test",
            "Send a test e-mail with the stored SMTP settings",
            |r| r.to(settings::smtp_test),
        ),
        get(
            "/settings/sso",
            "Entra ID SSO settings (the client secret never shown)",
            |r| r.to(sso::get),
        ),
        put(
            "/settings/sso",
            "Replace the SSO settings: validated, audited before/after (secret redacted)",
            |r| r.to(sso::put),
        ),
        post(
            "/settings/sso/test",
            "Test connection: discovery, issuer, signing keys, a token request proving the secret",
            |r| r.to(sso::test),
        ),
        post(
            "/settings/sso/links",
            "Link a local account to an Entra identity (tid, oid)",
            |r| r.to(sso::link),
        ),
        get(
            "/account/notifications",
            "The events this user is e-mailed about",
            |r| r.to(settings::my_notifications),
        ),
        put(
            "/account/notifications",
            "Choose the events this user is e-mailed about",
            |r| r.to(settings::set_my_notifications),
        ),
        get(
            "/reports/compliance",
            "Compliance: fleet and per group, trend, PCI-DSS 6.3.3 ageing, hosts (scoped)",
            |r| r.to(reports::compliance),
        ),
        get(
            "/reports/compliance.csv",
            "The compliance report as CSV (RFC 4180, streamed; `?table=groups`: every group)",
            |r| r.to(ui::reports::compliance_csv),
        )
        .download("text/csv"),
        get(
            "/reports/compliance.pdf",
            "The compliance report as PDF (charts, scope, chain status)",
            |r| r.to(ui::reports::compliance_pdf),
        )
        .download("application/pdf"),
        get(
            "/reports/vulnerabilities",
            "Vulnerability exposure: CVE x hosts x severity x first seen x fix available",
            |r| r.to(reports::vulnerabilities),
        ),
        get(
            "/reports/vulnerabilities.csv",
            "Vulnerability exposure as CSV (streamed)",
            |r| r.to(ui::reports_exposure::csv),
        )
        .download("text/csv"),
        get(
            "/reports/vulnerabilities.pdf",
            "Vulnerability exposure as PDF",
            |r| r.to(ui::reports_exposure::pdf),
        )
        .download("application/pdf"),
        get(
            "/reports/vulnerabilities/{cve}",
            "One CVE: the hosts it affects (scoped)",
            |r| r.to(reports::cve),
        ),
        get(
            "/reports/audit",
            "Audit trail with filters and the chain's verification (administrators)",
            |r| r.to(reports::audit),
        ),
        get(
            "/reports/audit.csv",
            "The audit trail as CSV (streamed, chain status included)",
            |r| r.to(ui::reports_audit::csv),
        )
        .download("text/csv"),
        get("/reports/audit.pdf", "The audit trail as PDF", |r| {
            r.to(ui::reports_audit::pdf)
        })
        .download("application/pdf"),
        get(
            "/reports/history",
            "Patch history by host or group and date range (scoped)",
            |r| r.to(reports::history),
        ),
        get("/reports/history.csv", "Patch history as CSV (streamed)", |r| {
            r.to(ui::reports_history::csv)
        })
        .download("text/csv"),
        get("/reports/history.pdf", "Patch history as PDF", |r| {
            r.to(ui::reports_history::pdf)
        })
        .download("application/pdf"),
    ]
}
