//! The console and REST API over HTTPS: one route table, the middlewares, the listener and the server.

pub mod api;
pub mod assets;
pub mod cookies;
pub mod edge;
pub mod flow;
pub mod form;
pub mod middleware;
pub mod server;
pub mod session;

pub mod ui;

use actix_web::middleware::from_fn;
use actix_web::web;

/// Every route of the manager. Tests build an `App` with `App::new().app_data(state).configure(http::configure)`.
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
                    web::scope("/api/v1")
                        .wrap(from_fn(middleware::api_errors))
                        .configure(api::routes)
                        .default_service(web::to(not_found)),
                )
                .service(
                    web::scope("")
                        .wrap(from_fn(middleware::ui_errors))
                        .wrap(from_fn(session::silent_refresh))
                        .configure(ui::routes)
                        .default_service(web::to(not_found)),
                ),
        );
}

async fn not_found(
    req: actix_web::HttpRequest,
) -> Result<actix_web::HttpResponse, crate::error::ManagerError> {
    Err(crate::error::ManagerError::NotFound(format!(
        "no such page or endpoint: {} {}",
        req.method(),
        req.path()
    )))
}
