//! Every path of the console and the REST API, read top to bottom: the public files, the live views under
//! `/ws/...`, then `/api/v1/...` (the documented table `api::table`, JSON envelope errors, API tokens), then the
//! console's pages (HTML errors, silent session refresh). Handlers parse, call one service and render.

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
                        .wrap(from_fn(identity::api_token_gate))
                        .wrap(from_fn(middleware::api_errors))
                        .configure(api::table::register)
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

/// The console's pages and forms (`/hosts/bulk` before `/hosts/{id}`).
fn console_routes(cfg: &mut web::ServiceConfig) {
    cfg
        // login
        .route("/login", web::get().to(ui::login::login_page))
        .route("/login", web::post().to(ui::login::login_submit))
        .route("/login/password", web::get().to(ui::login::password_page))
        .route("/login/password", web::post().to(ui::login::password_submit))
        .route("/logout", web::post().to(ui::login::logout))
        // sso (Entra ID sign-in; settings page for admins)
        .route("/login/sso", web::get().to(ui::sso::start))
        .route("/login/sso/callback", web::get().to(ui::sso::callback))
        .route("/settings/sso", web::get().to(ui::sso::page))
        .route("/settings/sso", web::post().to(ui::sso::save))
        .route("/settings/sso/test", web::post().to(ui::sso::test))
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
        // settings
        .route("/settings", web::get().to(ui::settings::page))
        .route("/settings/smtp/test", web::post().to(ui::settings::smtp_test))
        .route("/settings/{section}", web::post().to(ui::settings::save))
        .route(
            "/account/notifications",
            web::post().to(ui::settings::my_notifications),
        )
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
        // api_tokens (the user's own; administrators: every token and the service accounts)
        .route("/account/tokens", web::get().to(ui::api_tokens::own_page))
        .route("/account/tokens", web::post().to(ui::api_tokens::create_own))
        .route(
            "/account/tokens/security-key",
            web::post().to(ui::api_tokens::security_key_start),
        )
        .route(
            "/account/tokens/{id}/revoke",
            web::post().to(ui::api_tokens::revoke_own),
        )
        .route("/tokens", web::get().to(ui::api_tokens::admin_page))
        .route("/tokens", web::post().to(ui::api_tokens::create_admin))
        .route(
            "/tokens/service-accounts",
            web::post().to(ui::api_tokens::create_service_account),
        )
        .route(
            "/tokens/{id}/revoke",
            web::post().to(ui::api_tokens::revoke_admin),
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
