//! The one route table of the agent API (`/api/v1`) and the thin handlers, one concern per file.

pub mod ctx;
pub mod health;
pub mod middleware;
pub mod openapi;
pub mod packages;
pub mod patches;
pub mod system;

use crate::error::AgentError;
use actix_web::http::Method;
use actix_web::{web, Route};
use linux_patch_shared::api::agent::{Health, Package, Patch, SystemInfo};
use linux_patch_shared::Envelope;
use schemars::{JsonSchema, Schema, SchemaGenerator};

/// Base path of every route.
pub const BASE: &str = "/api/v1";

/// One route: how it is served and how it is documented in `openapi.json`.
#[derive(Debug)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: Method,
    /// Path under [`BASE`], with `{param}` segments.
    pub path: &'static str,
    /// OpenAPI operation id.
    pub operation_id: &'static str,
    /// One-line description.
    pub summary: &'static str,
    /// Query-parameter struct, when the route takes filters.
    pub query: Option<fn(&mut SchemaGenerator) -> Schema>,
    /// Path parameters with their descriptions.
    pub path_params: &'static [(&'static str, &'static str)],
    /// Schema of a successful response body.
    pub response: fn(&mut SchemaGenerator) -> Schema,
    /// Whether the success body is the envelope (everything but `openapi.json`).
    pub enveloped: bool,
    /// The actix route (method guard + handler).
    pub route: fn() -> Route,
}

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

fn any_object(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "object" })
}

/// Every route of the API, in documentation order.
pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec {
            method: Method::GET,
            path: "/health",
            operation_id: "getHealth",
            summary: "Agent status, version, backend and package-index freshness",
            query: None,
            path_params: &[],
            response: schema::<Envelope<Health>>,
            enveloped: true,
            route: || web::get().to(health::get),
        },
        RouteSpec {
            method: Method::GET,
            path: "/system/info",
            operation_id: "getSystemInfo",
            summary: "OS, kernel, host names, machine id, uptime, last package change, reboot-required",
            query: None,
            path_params: &[],
            response: schema::<Envelope<SystemInfo>>,
            enveloped: true,
            route: || web::get().to(system::info),
        },
        RouteSpec {
            method: Method::GET,
            path: "/packages",
            operation_id: "listPackages",
            summary: "Installed packages, filtered by name, version, status, upgradable (no pagination)",
            query: Some(schema::<packages::PackageQuery>),
            path_params: &[],
            response: schema::<Envelope<Vec<Package>>>,
            enveloped: true,
            route: || web::get().to(packages::list),
        },
        RouteSpec {
            method: Method::GET,
            path: "/packages/{name}",
            operation_id: "getPackage",
            summary: "One installed package; 404 when it is not installed",
            query: None,
            path_params: &[("name", "Package name, optionally `name:arch`")],
            response: schema::<Envelope<Package>>,
            enveloped: true,
            route: || web::get().to(packages::get),
        },
        RouteSpec {
            method: Method::GET,
            path: "/patches",
            operation_id: "listPatches",
            summary: "Pending updates with security flag, severity, CVEs and the source of that data",
            query: Some(schema::<patches::PatchQuery>),
            path_params: &[],
            response: schema::<Envelope<Vec<Patch>>>,
            enveloped: true,
            route: || web::get().to(patches::list),
        },
        RouteSpec {
            method: Method::GET,
            path: "/openapi.json",
            operation_id: "getOpenApi",
            summary: "This OpenAPI document (not wrapped in the envelope)",
            query: None,
            path_params: &[],
            response: any_object,
            enveloped: false,
            route: || web::get().to(openapi::get),
        },
    ]
}

/// Registers every route under [`BASE`]; routes sharing a path share one resource, so a wrong method
/// is a 405 and an unknown path a 404, both in the envelope.
pub fn config(cfg: &mut web::ServiceConfig, max_body_bytes: usize) {
    let mut scope = web::scope(BASE)
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            AgentError::invalid("INVALID_QUERY", format!("bad query string: {e}")).into()
        }))
        .app_data(
            web::JsonConfig::default()
                .limit(max_body_bytes)
                .error_handler(|e, _| {
                    AgentError::invalid("INVALID_JSON", format!("bad JSON body: {e}")).into()
                }),
        )
        .app_data(web::PathConfig::default().error_handler(|e, _| {
            AgentError::invalid("INVALID_PATH", format!("bad path parameter: {e}")).into()
        }));
    let specs = routes();
    let mut paths: Vec<&'static str> = Vec::new();
    for spec in &specs {
        if !paths.contains(&spec.path) {
            paths.push(spec.path);
        }
    }
    for path in paths {
        let mut resource = web::resource(path).default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(AgentError::MethodNotAllowed)
        }));
        for spec in specs.iter().filter(|s| s.path == path) {
            resource = resource.route((spec.route)());
        }
        scope = scope.service(resource);
    }
    cfg.service(scope);
}

/// Handler for every path that matches no route.
pub async fn not_found() -> Result<actix_web::HttpResponse, AgentError> {
    Err(AgentError::NotFound {
        code: "ROUTE_NOT_FOUND",
        message: "no such API route".into(),
    })
}
