//! `GET /api/v1/openapi.json`: the OpenAPI 3 document generated from the route table and its DTO types.

use super::table::{routes, ApiRoute};
use actix_web::HttpResponse;
use linux_patch_shared::Envelope;
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// Serves the document (built once).
pub async fn get() -> HttpResponse {
    static DOC: OnceLock<Value> = OnceLock::new();
    HttpResponse::Ok().json(DOC.get_or_init(document))
}

/// The operation id of a route: method and path words (`get_hosts_id_packages`).
pub fn operation_id(r: &ApiRoute) -> String {
    let words: Vec<String> = r
        .path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    format!("{}_{}", r.method.as_str().to_lowercase(), words.join("_"))
}

/// The whole document.
pub fn document() -> Value {
    let mut g = SchemaSettings::openapi3().for_serialize().into_generator();
    let mut bodies = SchemaSettings::openapi3().for_deserialize().into_generator();
    let error = g.subschema_for::<Envelope<()>>().to_value();
    let mut paths = Map::new();
    for r in routes() {
        let op = operation(&r, &mut g, &mut bodies, &error);
        let entry = paths.entry(r.path.to_owned()).or_insert_with(|| json!({}));
        if let Some(o) = entry.as_object_mut() {
            o.insert(r.method.as_str().to_lowercase(), op);
        }
    }
    let mut schemas = g.take_definitions(true);
    for (name, s) in bodies.take_definitions(true) {
        schemas.entry(name).or_insert(s);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Linux Patch Manager API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The manager's REST API for scripts. Authenticate with `Authorization: Bearer <API token>` \
                            (create one on the account page or with POST /tokens) or a session's access token. \
                            Every answer except this document is the envelope {success, request_id, timestamp, data, error}.",
        },
        "servers": [{ "url": "/api/v1" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer",
                "description": "An API token (`lpmt_...`) or a session's access token" } },
        },
    })
}

fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = if name == "token" {
                json!({ "type": "string" })
            } else {
                json!({ "type": "integer", "format": "int64" })
            };
            json!({ "name": name, "in": "path", "required": true, "schema": schema })
        })
        .collect()
}

fn query_params(r: &ApiRoute) -> Vec<Value> {
    let Some(query) = r.query else {
        return Vec::new();
    };
    let mut qg = SchemaSettings::openapi3()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let mut schema = query(&mut qg);
    for t in qg.transforms_mut() {
        t.transform(&mut schema);
    }
    let schema = schema.to_value();
    let resolved = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default().to_owned();
            qg.take_definitions(true).remove(&name).unwrap_or(schema)
        }
        None => schema,
    };
    let Some(props) = resolved.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, prop)| {
            let desc = prop.get("description").cloned().unwrap_or(Value::Null);
            let mut s = prop.clone();
            if let Some(o) = s.as_object_mut() {
                for k in ["description", "nullable", "default"] {
                    o.remove(k);
                }
            }
            json!({ "name": name, "in": "query", "required": false, "description": desc, "schema": s })
        })
        .collect()
}

fn operation(
    r: &ApiRoute,
    g: &mut schemars::SchemaGenerator,
    bodies: &mut schemars::SchemaGenerator,
    error: &Value,
) -> Value {
    let data = (r.data)(g).to_value();
    let ok = if r.enveloped {
        json!({ "type": "object", "required": ["success", "request_id", "timestamp", "data"],
                "properties": { "success": { "type": "boolean" }, "request_id": { "type": "string" },
                                "timestamp": { "type": "string", "format": "date-time" }, "data": data } })
    } else if r.content == "application/json" {
        json!({ "type": "object" })
    } else {
        json!({ "type": "string", "format": "binary" })
    };
    let mut params = path_params(r.path);
    params.extend(query_params(r));
    let mut op = json!({
        "operationId": operation_id(r),
        "summary": r.summary,
        "responses": {
            r.status.to_string(): { "description": "Success", "content": { r.content: { "schema": ok } } },
            "default": { "description": "Error (in the envelope)",
                         "content": { "application/json": { "schema": error } } },
        },
    });
    if let Some(o) = op.as_object_mut() {
        if !params.is_empty() {
            o.insert("parameters".into(), Value::Array(params));
        }
        if let Some(body) = r.body {
            let schema = body(bodies).to_value();
            o.insert(
                "requestBody".into(),
                json!({ "required": r.body_typed, "content": { "application/json": { "schema": schema } } }),
            );
        }
        if !r.signed {
            o.insert("security".into(), json!([]));
        }
    }
    op
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_route_is_one_operation_with_its_path_parameters() {
        let doc = document();
        let mut ids = std::collections::BTreeSet::new();
        for r in routes() {
            let op = &doc["paths"][r.path][r.method.as_str().to_lowercase()];
            assert_eq!(op["summary"], r.summary, "{} {}", r.method, r.path);
            assert!(ids.insert(operation_id(&r)), "duplicate {} {}", r.method, r.path);
            let n = r.path.matches('{').count();
            let p = op["parameters"]
                .as_array()
                .map(|a| a.iter().filter(|x| x["in"] == "path").count());
            assert_eq!(p.unwrap_or(0), n, "{}", r.path);
        }
        let documented: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(documented, routes().len());
        assert!(doc["components"]["schemas"]["CreateToken"]["properties"]["code"].is_object());
        assert_eq!(doc["paths"]["/enroll"]["post"]["security"], json!([]));
        let schemas = &doc["components"]["schemas"];
        assert!(
            schemas["FleetRow"]["properties"]["hostname"].is_object(),
            "{}",
            schemas["FleetRow"]
        );
        assert!(
            schemas["Summary"]["properties"]["total"].is_object(),
            "{}",
            schemas["Summary"]
        );
        let host_params = doc["paths"]["/hosts"]["get"]["parameters"].to_string();
        assert!(
            host_params.contains("\"after\"") && host_params.contains("\"limit\""),
            "{host_params}"
        );
    }
}
