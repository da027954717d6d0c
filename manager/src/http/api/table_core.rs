//! The `/api/v1` route table's first part: sign-in, certificates, discovery, deployments and windows, enrolment.

use super::table::{delete, get, post, ApiRoute};
use super::views as v;
use super::{auth, certificates, deployments, discovery, enroll, openapi};
use crate::db::models::discovery_range::DiscoveryRange;
use crate::db::models::Host;
use crate::deploy::request::DeploymentRequest;
use crate::discovery::{ScanSummary, ScanView};
use crate::services::deployments::Summary;
use linux_patch_shared::api::enroll::{
    EnrollBundle, EnrollPending, EnrollRequest, EnrollTicket, RenewAnswer, RenewRequest,
};

/// Sign-in, certificates, discovery, deployments and windows, enrolment.
pub(super) fn routes() -> Vec<ApiRoute> {
    vec![
        post(
            "/auth/token",
            "Sign in (user name, password, TOTP code): an access and refresh token pair",
            |r| r.to(auth::token),
        )
        .public()
        .body::<auth::TokenRequest>()
        .data::<auth::TokenPair>(),
        post(
            "/auth/refresh",
            "Rotate a refresh token (reuse revokes the session)",
            |r| r.to(auth::refresh),
        )
        .public()
        .body::<auth::RefreshRequest>()
        .data::<auth::TokenPair>(),
        post("/auth/logout", "End this session (not for API tokens)", |r| {
            r.to(auth::logout)
        })
        .no_body()
        .data::<v::LoggedOut>(),
        get(
            "/me",
            "Who the credential is: user, role, groups, session or API token",
            |r| r.to(auth::me),
        )
        .data::<v::Me>(),
        get("/health", "Manager and database status", |r| r.to(auth::health))
            .public()
            .data::<v::Health>(),
        get(
            "/openapi.json",
            "This OpenAPI document (not wrapped in the envelope)",
            |r| r.to(openapi::get),
        )
        .public()
        .raw(),
        get("/certificates", "Issued certificates", |r| {
            r.to(certificates::list)
        })
        .data::<Vec<v::CertView>>(),
        post("/certificates/{id}/renew", "Renew a certificate", |r| {
            r.to(certificates::renew)
        })
        .no_body()
        .data::<v::Renewed>(),
        post(
            "/certificates/{id}/revoke",
            "Revoke a certificate (reason in the body)",
            |r| r.to(certificates::revoke),
        )
        .body::<certificates::RevokeBody>()
        .data::<v::Revoked>(),
        post(
            "/hosts/{id}/bundle",
            "A manually registered host's certificate bundle (handed over once)",
            |r| r.to(certificates::bundle),
        )
        .no_body()
        .download("application/gzip"),
        get("/discovery", "Discovery scans", |r| r.to(discovery::list)).data::<Vec<ScanSummary>>(),
        post("/discovery", "Start a discovery scan of an IPv4 range", |r| {
            r.to(discovery::start)
        })
        .body::<discovery::StartBody>()
        .data::<ScanView>()
        .status(202)
        .also::<ScanView>(200),
        get("/discovery/ranges", "Ranges operators may scan", |r| {
            r.to(discovery::ranges)
        })
        .data::<Vec<DiscoveryRange>>(),
        post(
            "/discovery/ranges",
            "Allow a range for operators (administrators)",
            |r| r.to(discovery::allow_range),
        )
        .body::<discovery::RangeBody>()
        .data::<DiscoveryRange>()
        .created(),
        delete("/discovery/ranges/{id}", "Remove an allowed range", |r| {
            r.to(discovery::remove_range)
        })
        .data::<DiscoveryRange>(),
        get("/discovery/{id}", "One scan and what it found", |r| {
            r.to(discovery::get)
        })
        .text_path()
        .data::<ScanView>(),
        post("/discovery/{id}/register", "Register hosts a scan found", |r| {
            r.to(discovery::register)
        })
        .text_path()
        .body::<discovery::RegisterBody>()
        .data::<Host>()
        .created(),
        get(
            "/deployments",
            "Deployments, newest first (`before`, `limit`)",
            |r| r.to(deployments::list),
        )
        .query::<deployments::PageQuery>()
        .data::<v::DeploymentPage>(),
        post("/deployments", "Queue a deployment (next window or now)", |r| {
            r.to(deployments::create)
        })
        .body::<DeploymentRequest>()
        .data::<crate::services::deployments::Summary>()
        .created(),
        get(
            "/deployments/{id}",
            "A deployment and its targets (`after`, `limit`)",
            |r| r.to(deployments::detail),
        )
        .query::<deployments::PageQuery>()
        .data::<v::DeploymentDetail>(),
        post("/deployments/{id}/cancel", "Cancel what has not started", |r| {
            r.to(deployments::cancel)
        })
        .no_body()
        .data::<v::TargetsCancelled>(),
        post("/deployments/{id}/rollback", "Roll a deployment back", |r| {
            r.to(deployments::rollback)
        })
        .optional_body::<deployments::RollbackBody>()
        .data::<Summary>()
        .created(),
        post(
            "/deployments/{id}/targets/{target}/cancel",
            "Cancel one target",
            |r| r.to(deployments::cancel_target),
        )
        .no_body()
        .data::<v::TargetCancelled>(),
        get("/windows", "Maintenance windows", |r| {
            r.to(deployments::list_windows)
        })
        .query::<deployments::PageQuery>()
        .data::<Vec<v::ListedWindow>>(),
        post(
            "/windows",
            "Add a maintenance window (to hosts or a group's hosts)",
            |r| r.to(deployments::create_window),
        )
        .body::<deployments::NewWindow>()
        .data::<Vec<v::WindowRow>>()
        .created(),
        delete("/windows/{id}", "Remove a maintenance window", |r| {
            r.to(deployments::delete_window)
        })
        .data::<v::Removed<v::WindowRow>>(),
        get(
            "/hosts/{id}/windows",
            "A host's maintenance windows and next openings",
            |r| r.to(deployments::host_windows),
        )
        .data::<Vec<v::WindowOut>>(),
        post("/enroll", "Agent enrolment request (CSR)", |r| {
            r.to(enroll::enroll)
        })
        .public()
        .body::<EnrollRequest>()
        .data::<EnrollTicket>()
        .created(),
        get("/enroll/status/{token}", "Agent enrolment status", |r| {
            r.to(enroll::status)
        })
        .public()
        .text_path()
        .data::<EnrollBundle>()
        .also::<EnrollPending>(202),
        post("/enroll/renew", "Agent certificate renewal", |r| {
            r.to(enroll::renew)
        })
        .public()
        .body::<RenewRequest>()
        .data::<RenewAnswer>(),
        get("/enrollments", "Pending and decided agent enrolments", |r| {
            r.to(enroll::list)
        })
        .query::<enroll::PendingPage>()
        .data::<v::EnrollmentPage>(),
        post("/enrollments/{id}/approve", "Approve an agent enrolment", |r| {
            r.to(enroll::approve)
        })
        .no_body()
        .data::<v::Approved>(),
        post("/enrollments/{id}/deny", "Deny an agent enrolment", |r| {
            r.to(enroll::deny)
        })
        .no_body()
        .data::<v::Denied>(),
    ]
}
