//! Static files compiled into the binary (CSS, the small vanilla scripts) and the root CA download.

use crate::app::AppContext;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// The console's static files: name, content type, bytes.
const FILES: &[(&str, &str, &str)] = &[
    (
        "console.css",
        "text/css; charset=utf-8",
        include_str!("../../../static/console.css"),
    ),
    (
        "console.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../static/console.js"),
    ),
    (
        "webauthn.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../static/webauthn.js"),
    ),
];

/// `GET /static/{name}`.
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    match FILES.iter().find(|(n, _, _)| *n == name.as_str()) {
        Some((_, ct, body)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *ct))
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .body(*body),
        None => HttpResponse::NotFound()
            .content_type("text/plain")
            .body("no such file"),
    }
}

/// `GET /ca.pem`: the internal CA's root certificate (public), for agents and browsers to trust.
pub async fn ca_pem(state: web::Data<AppContext>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/x-pem-file"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"linux-patch-manager-ca.pem\"",
        ))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(state.ca_pem.to_string())
}
