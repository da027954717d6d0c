//! Every path of the console and the REST API in one table, read top to bottom: the public files, the live
//! views under `/ws/...`, then `/api/v1/...` (JSON envelope errors), then the console's pages (HTML errors, silent session refresh).
//! Each line names the handler; handlers parse, call one service and render.

use super::{api, assets, flash, identity, middleware, ui};
use crate::error::ManagerError;
use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};

/// Every route of the manager. Tests build an `App` with `App::new().app_data(ctx).configure(http::configure)`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(api::json_config())
        .app_data(api::path_config())
        .app_data(api::query_config())
        .service(
            web::scope("")
                .wrap(from_fn(middleware::request_id))
                .route("/ca.pem", web::get().to(assets::ca_pem))
                .route("/crl.pem", web::get().to(ui::certificates::crl_pem))
                .route("/static/{name}", web::get().to(assets::asset))
                .service(
                    // Live views (WebSocket): console session or bearer token, JSON envelope errors.
                    web::scope("/ws")
                        .wrap(from_fn(middleware::api_errors))
                        .route("/deployments/{id}", web::get().to(super::ws::deployment))
                        .default_service(web::to(not_found)),
                )
                .service(
                    web::scope("/api/v1")
                        .wrap(from_fn(middleware::api_errors))
                        .configure(api_routes)
                        .default_service(web::to(not_found)),
                )
                .service(
                    web::scope("")
                        .wrap(from_fn(flash::carry))
                        .wrap(from_fn(middleware::ui_errors))
                        .wrap(from_fn(identity::silent_refresh))
                        .configure(console_routes)
                        .default_service(web::to(not_found)),
                ),
        );
}

/// `/api/v1/...`: JSON for scripts (bearer tokens) and the console's scripts (cookie + CSRF).
fn api_routes(cfg: &mut web::ServiceConfig) {
    cfg
        // auth
        .route("/auth/token", web::post().to(api::auth::token))
        .route("/auth/refresh", web::post().to(api::auth::refresh))
        .route("/auth/logout", web::post().to(api::auth::logout))
        .route("/me", web::get().to(api::auth::me))
        .route("/health", web::get().to(api::auth::health))
        // certificates
        .route("/certificates", web::get().to(api::certificates::list))
        .route(
            "/certificates/{id}/renew",
            web::post().to(api::certificates::renew),
        )
        .route(
            "/certificates/{id}/revoke",
            web::post().to(api::certificates::revoke),
        )
        .route("/hosts/{id}/bundle", web::post().to(api::certificates::bundle))
        // discovery
        .route("/discovery", web::get().to(api::discovery::list))
        .route("/discovery", web::post().to(api::discovery::start))
        .route("/discovery/ranges", web::get().to(api::discovery::ranges))
        .route("/discovery/ranges", web::post().to(api::discovery::allow_range))
        .route(
            "/discovery/ranges/{id}",
            web::delete().to(api::discovery::remove_range),
        )
        .route("/discovery/{id}", web::get().to(api::discovery::get))
        .route(
            "/discovery/{id}/register",
            web::post().to(api::discovery::register),
        )
        // deployments and maintenance windows
        .route("/deployments", web::get().to(api::deployments::list))
        .route("/deployments", web::post().to(api::deployments::create))
        .route("/deployments/{id}", web::get().to(api::deployments::detail))
        .route(
            "/deployments/{id}/cancel",
            web::post().to(api::deployments::cancel),
        )
        .route(
            "/deployments/{id}/rollback",
            web::post().to(api::deployments::rollback),
        )
        .route(
            "/deployments/{id}/targets/{target}/cancel",
            web::post().to(api::deployments::cancel_target),
        )
        .route("/windows", web::get().to(api::deployments::list_windows))
        .route("/windows", web::post().to(api::deployments::create_window))
        .route("/windows/{id}", web::delete().to(api::deployments::delete_window))
        .route(
            "/hosts/{id}/windows",
            web::get().to(api::deployments::host_windows),
        )
        // enroll (agent enrolment: the agent's request, its status, the approvals)
        .route("/enroll", web::post().to(api::enroll::enroll))
        .route("/enroll/status/{token}", web::get().to(api::enroll::status))
        .route("/enroll/renew", web::post().to(api::enroll::renew))
        .route("/enrollments", web::get().to(api::enroll::list))
        .route("/enrollments/{id}/approve", web::post().to(api::enroll::approve))
        .route("/enrollments/{id}/deny", web::post().to(api::enroll::deny))
        // fleet
        // GET /hosts, /hosts/{id}, /hosts/{id}/packages and POST /hosts/refresh: `super::hosts_view`.
        .route("/hosts", web::post().to(api::fleet::add_host))
        .route("/hosts/{id}", web::delete().to(api::fleet::remove_host))
        .route("/users", web::get().to(api::fleet::list_users))
        .route("/users", web::post().to(api::fleet::create_user))
        .route(
            "/users/{id}/revoke-sessions",
            web::post().to(api::fleet::revoke_sessions),
        )
        .route("/users/{id}/unlock", web::post().to(api::fleet::unlock_user))
        .route("/groups", web::get().to(api::fleet::list_groups))
        .route("/groups", web::post().to(api::fleet::create_group))
        .route("/groups/{id}", web::delete().to(api::fleet::delete_group))
        .route("/audit", web::get().to(api::fleet::audit_rows))
        .route("/audit/verify", web::get().to(api::fleet::audit_verify))
        // hosts_view
        .route("/dashboard", web::get().to(api::hosts_view::get_dashboard))
        .route("/hosts", web::get().to(api::hosts_view::list_hosts))
        .route("/hosts/refresh", web::post().to(api::hosts_view::refresh))
        .route("/hosts/{id}", web::get().to(api::hosts_view::get_host))
        .route("/hosts/{id}/packages", web::get().to(api::hosts_view::packages))
        // reports
        .route("/reports/compliance", web::get().to(api::reports::compliance))
        .route(
            "/reports/compliance.csv",
            web::get().to(ui::reports::compliance_csv),
        )
        .route(
            "/reports/compliance.pdf",
            web::get().to(ui::reports::compliance_pdf),
        )
        .route(
            "/reports/vulnerabilities",
            web::get().to(api::reports::vulnerabilities),
        )
        .route(
            "/reports/vulnerabilities.csv",
            web::get().to(ui::reports_exposure::csv),
        )
        .route(
            "/reports/vulnerabilities.pdf",
            web::get().to(ui::reports_exposure::pdf),
        )
        .route("/reports/vulnerabilities/{cve}", web::get().to(api::reports::cve))
        .route("/reports/audit", web::get().to(api::reports::audit))
        .route("/reports/history", web::get().to(api::reports::history))
        .route("/reports/history.csv", web::get().to(ui::reports_history::csv))
        .route("/reports/history.pdf", web::get().to(ui::reports_history::pdf))
        .route("/reports/audit.csv", web::get().to(ui::reports_audit::csv))
        .route("/reports/audit.pdf", web::get().to(ui::reports_audit::pdf))
        // poller
        .route("/poller", web::get().to(api::poller::status))
        .route("/poller/sweep", web::post().to(api::poller::sweep));
}

/// The console's pages and forms (`/hosts/bulk` before `/hosts/{id}`).
fn console_routes(cfg: &mut web::ServiceConfig) {
    cfg
        // login
        .route("/login", web::get().to(ui::login::login_page))
        .route("/login", web::post().to(ui::login::login_submit))
        .route("/login/password", web::get().to(ui::login::password_page))
        .route("/login/password", web::post().to(ui::login::password_submit))
        .route("/logout", web::post().to(ui::login::logout))
        // mfa_setup (a user's first second factor; the path keeps its seed name)
        .route("/login/enroll", web::get().to(ui::mfa_setup::setup_page))
        .route("/login/enroll/totp", web::post().to(ui::mfa_setup::setup_totp))
        .route("/login/recovery", web::get().to(ui::mfa_setup::recovery_page))
        .route("/login/complete", web::post().to(ui::mfa_setup::finish))
        // enrollment
        .route("/enrollment", web::get().to(ui::enrollment::list))
        .route(
            "/enrollment/{id}/approve",
            web::post().to(ui::enrollment::approve),
        )
        .route("/enrollment/{id}/deny", web::post().to(ui::enrollment::deny))
        // mfa
        .route("/login/mfa", web::get().to(ui::mfa::mfa_page))
        .route("/login/mfa/totp", web::post().to(ui::mfa::totp_submit))
        .route("/login/mfa/recovery", web::post().to(ui::mfa::recovery_submit))
        // webauthn
        .route(
            "/login/webauthn/register/start",
            web::post().to(ui::webauthn::register_start),
        )
        .route(
            "/login/webauthn/register/finish",
            web::post().to(ui::webauthn::register_finish),
        )
        .route(
            "/login/webauthn/auth/start",
            web::post().to(ui::webauthn::auth_start),
        )
        .route(
            "/login/webauthn/auth/finish",
            web::post().to(ui::webauthn::auth_finish),
        )
        // dashboard
        .route("/", web::get().to(ui::dashboard::page))
        // deployments (Patch Deployment, Jobs, Deployment detail) and maintenance windows
        .route("/deployments", web::get().to(ui::deployments::jobs))
        .route("/deployments", web::post().to(ui::deployments::create))
        .route("/deployments/new", web::get().to(ui::deployments::new_page))
        .route("/deployments/{id}", web::get().to(ui::deployments::detail))
        .route(
            "/deployments/{id}/cancel",
            web::post().to(ui::deployments::cancel),
        )
        .route(
            "/deployments/{id}/rollback",
            web::post().to(ui::deployments::rollback),
        )
        .route(
            "/deployments/{id}/targets/{target}/cancel",
            web::post().to(ui::deployments::cancel_target),
        )
        .route("/windows", web::get().to(ui::windows::page))
        .route("/windows", web::post().to(ui::windows::create))
        .route("/windows/{id}/delete", web::post().to(ui::windows::delete))
        // hosts
        .route("/hosts", web::get().to(ui::hosts::list))
        .route("/hosts", web::post().to(ui::hosts::add))
        .route("/hosts/bulk", web::post().to(ui::hosts::bulk))
        .route("/hosts/{id}/delete", web::post().to(ui::hosts::remove))
        .route("/hosts/{id}/groups", web::post().to(ui::hosts::set_groups))
        // discovery
        .route("/discovery", web::get().to(ui::discovery::page))
        .route("/discovery", web::post().to(ui::discovery::start))
        .route("/discovery/ranges", web::post().to(ui::discovery::allow_range))
        .route(
            "/discovery/ranges/{id}/delete",
            web::post().to(ui::discovery::remove_range),
        )
        .route("/discovery/{id}", web::get().to(ui::discovery::scan))
        .route(
            "/discovery/{id}/register",
            web::post().to(ui::discovery::register),
        )
        // host_detail
        .route("/hosts/{id}", web::get().to(ui::host_detail::page))
        .route("/hosts/{id}/packages", web::get().to(ui::host_detail::packages))
        .route("/hosts/{id}/refresh", web::post().to(ui::host_detail::refresh))
        // admin_users
        .route("/users", web::get().to(ui::admin_users::list))
        .route("/users", web::post().to(ui::admin_users::create))
        .route("/users/{id}/{action}", web::post().to(ui::admin_users::act))
        // admin_groups
        .route("/groups", web::get().to(ui::admin_groups::list))
        .route("/groups", web::post().to(ui::admin_groups::create))
        .route("/groups/{id}", web::get().to(ui::admin_groups::detail))
        .route("/groups/{id}/rename", web::post().to(ui::admin_groups::rename))
        .route("/groups/{id}/delete", web::post().to(ui::admin_groups::delete))
        .route("/groups/{id}/members", web::post().to(ui::admin_groups::members))
        // audit
        .route("/audit", web::get().to(ui::audit::page))
        // reports
        .route("/reports", web::get().to(ui::reports::index))
        .route("/reports/compliance", web::get().to(ui::reports::compliance))
        .route(
            "/reports/compliance.csv",
            web::get().to(ui::reports::compliance_csv),
        )
        .route(
            "/reports/compliance.pdf",
            web::get().to(ui::reports::compliance_pdf),
        )
        .route(
            "/reports/vulnerabilities",
            web::get().to(ui::reports_exposure::page),
        )
        .route(
            "/reports/vulnerabilities.csv",
            web::get().to(ui::reports_exposure::csv),
        )
        .route(
            "/reports/vulnerabilities.pdf",
            web::get().to(ui::reports_exposure::pdf),
        )
        .route(
            "/reports/vulnerabilities/{cve}",
            web::get().to(ui::reports_exposure::cve),
        )
        .route("/reports/audit", web::get().to(ui::reports_audit::page))
        .route("/reports/history", web::get().to(ui::reports_history::page))
        .route("/reports/history.csv", web::get().to(ui::reports_history::csv))
        .route("/reports/history.pdf", web::get().to(ui::reports_history::pdf))
        .route("/reports/audit.csv", web::get().to(ui::reports_audit::csv))
        .route("/reports/audit.pdf", web::get().to(ui::reports_audit::pdf))
        // certificates
        .route("/certificates", web::get().to(ui::certificates::page))
        .route(
            "/certificates/{id}/renew",
            web::post().to(ui::certificates::renew),
        )
        .route(
            "/certificates/{id}/revoke",
            web::post().to(ui::certificates::revoke),
        )
        .route(
            "/hosts/{id}/bundle.tar.gz",
            web::post().to(ui::certificates::bundle),
        )
        // account
        .route("/account", web::get().to(ui::account::page))
        .route("/account/theme", web::post().to(ui::account::theme))
        .route(
            "/account/password",
            web::post().to(ui::account_security::password),
        )
        .route(
            "/account/recovery-codes",
            web::post().to(ui::account_security::new_codes),
        )
        .route(
            "/account/totp/start",
            web::post().to(ui::account_security::totp_start),
        )
        .route(
            "/account/totp/add",
            web::post().to(ui::account_security::totp_add),
        )
        .route(
            "/account/factors/remove",
            web::post().to(ui::account_security::remove_factor),
        );
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ManagerError> {
    Err(ManagerError::NotFound(format!(
        "no such page or endpoint: {} {}",
        req.method(),
        req.path()
    )))
}
