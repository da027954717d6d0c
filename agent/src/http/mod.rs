//! The one route table of the agent API (`/api/v1`) and the thin handlers, one concern per file.

pub mod changes;
pub mod ctx;
pub mod health;
pub mod jobs;
pub mod middleware;
pub mod openapi;
pub mod packages;
pub mod patches;
pub mod query;
pub mod system;

use crate::error::AgentError;
use actix_web::http::Method;
use actix_web::{web, Route};
use linux_patch_shared::api::agent::{Health, Package, Patch, SystemInfo};
use linux_patch_shared::api::jobs::{Job, JobEvent};
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
    /// JSON request body, when the route takes one (always optional to send for our routes).
    pub body: Option<fn(&mut SchemaGenerator) -> Schema>,
    /// Status of a successful answer (200, 202 for accepted jobs, 101 for the WebSocket).
    pub status: u16,
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
            body: None,
            status: 200,
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
            body: None,
            status: 200,
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
            body: None,
            status: 200,
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
            body: None,
            status: 200,
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
            body: None,
            status: 200,
            response: schema::<Envelope<Vec<Patch>>>,
            enveloped: true,
            route: || web::get().to(patches::list),
        },
        RouteSpec {
            method: Method::POST,
            path: "/packages",
            operation_id: "installPackages",
            summary: "Install one or many packages (`name` or `name=version`); best effort per item; 202 with the job",
            query: None,
            path_params: &[],
            body: Some(schema::<changes::InstallRequest>),
            status: 202,
            response: schema::<Envelope<Job>>,
            enveloped: true,
            route: || web::post().to(changes::install),
        },
        RouteSpec {
            method: Method::PUT,
            path: "/packages/{name}",
            operation_id: "updatePackage",
            summary: "Update one installed package, optionally to a version (downgrade only with allow_downgrade)",
            query: None,
            path_params: &[("name", "Package name")],
            body: Some(schema::<changes::UpdateRequest>),
            status: 202,
            response: schema::<Envelope<Job>>,
            enveloped: true,
            route: || web::put().to(changes::update),
        },
        RouteSpec {
            method: Method::DELETE,
            path: "/packages/{name}",
            operation_id: "removePackage",
            summary: "Remove one package (purge with ?purge=true); 202 with the job",
            query: Some(schema::<changes::RemoveQuery>),
            path_params: &[("name", "Package name")],
            body: None,
            status: 202,
            response: schema::<Envelope<Job>>,
            enveloped: true,
            route: || web::delete().to(changes::remove),
        },
        RouteSpec {
            method: Method::POST,
            path: "/patches/apply",
            operation_id: "applyPatches",
            summary: "Apply all pending updates, the listed ones, or security_only; refreshes the index first",
            query: None,
            path_params: &[],
            body: Some(schema::<changes::ApplyRequest>),
            status: 202,
            response: schema::<Envelope<Job>>,
            enveloped: true,
            route: || web::post().to(changes::apply),
        },
        RouteSpec {
            method: Method::POST,
            path: "/system/reboot",
            operation_id: "rebootSystem",
            summary: "Reboot with the configured command after an optional delay; 202 with the job",
            query: None,
            path_params: &[],
            body: Some(schema::<changes::RebootRequest>),
            status: 202,
            response: schema::<Envelope<Job>>,
            enveloped: true,
            route: || web::post().to(changes::reboot),
        },
        RouteSpec {
            method: Method::GET,
            path: "/jobs",
            operation_id: "listJobs",
            summary: "Jobs, newest first, filtered by status and kind",
            query: Some(schema::<jobs::JobQuery>),
            path_params: &[],
            body: None,
            status: 200,
            response: schema::<Envelope<Vec<Job>>>,
            enveloped: true,
            route: || web::get().to(jobs::list),
        },
        RouteSpec {
            method: Method::GET,
            path: "/jobs/{id}",
            operation_id: "getJob",
            summary: "One job with its items, change set and output tail",
            query: None,
            path_params: &[("id", "Job id (ULID)")],
            body: None,
            status: 200,
            response: schema::<Envelope<Job>>,
            enveloped: true,
            route: || web::get().to(jobs::get),
        },
        RouteSpec {
            method: Method::POST,
            path: "/jobs/{id}/rollback",
            operation_id: "rollbackJob",
            summary: "Undo a finished job's change set (exclusive: other requests get 503 meanwhile); 409 when \
                      there is nothing to undo or it was already undone",
            query: None,
            path_params: &[("id", "Job id (ULID)")],
            body: None,
            status: 202,
            response: schema::<Envelope<Job>>,
            enveloped: true,
            route: || web::post().to(jobs::rollback),
        },
        RouteSpec {
            method: Method::GET,
            path: "/ws/jobs",
            operation_id: "jobEvents",
            summary: "WebSocket: one JSON JobEvent per text message (queued, started, progress, output, finished)",
            query: Some(schema::<jobs::WsQuery>),
            path_params: &[],
            body: None,
            status: 101,
            response: schema::<JobEvent>,
            enveloped: false,
            route: || web::get().to(jobs::ws),
        },
        RouteSpec {
            method: Method::GET,
            path: "/openapi.json",
            operation_id: "getOpenApi",
            summary: "This OpenAPI document (not wrapped in the envelope)",
            query: None,
            path_params: &[],
            body: None,
            status: 200,
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
        .app_data(web::PayloadConfig::new(max_body_bytes))
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
