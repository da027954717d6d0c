//! `GET /openapi.json`: the OpenAPI 3 document generated from the route table and the DTO types.

use super::{routes, RouteSpec, BASE};
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

/// The whole OpenAPI document.
pub fn document() -> Value {
    // Responses are described as the agent writes them, request bodies as it reads them (a field with a
    // default is optional to send).
    let mut g = SchemaSettings::openapi3().for_serialize().into_generator();
    let mut bodies = SchemaSettings::openapi3().for_deserialize().into_generator();
    let error_ref = g.subschema_for::<Envelope<()>>();
    let mut paths = Map::new();
    for spec in routes() {
        let op = operation(&spec, &mut g, &mut bodies, &error_ref);
        let entry = paths.entry(spec.path.to_owned()).or_insert_with(|| json!({}));
        if let Some(obj) = entry.as_object_mut() {
            obj.insert(spec.method.as_str().to_lowercase(), op);
        }
    }
    let mut schemas = Value::Object(merged_definitions(g, bodies));
    simplify_enums(&mut schemas);
    let mut paths = Value::Object(paths);
    simplify_enums(&mut paths);
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Linux Patch API (agent)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Package and patch management of one Linux host over mutual TLS. Every response \
                            except this document is the envelope {success, request_id, timestamp, data, error}.",
        },
        "servers": [{ "url": BASE }],
        "paths": paths,
        "components": { "schemas": schemas },
    })
}

/// Rewrites what generators read badly: a `oneOf` of one-value string enums (a unit enum with documented
/// variants) becomes one string `enum`, each variant's description folded into the schema's.
fn simplify_enums(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(simplify_enums),
        Value::Object(o) => {
            o.values_mut().for_each(simplify_enums);
            let Some(variants) = o
                .get("oneOf")
                .and_then(Value::as_array)
                .and_then(|a| unit_variants(a))
            else {
                return;
            };
            let words: Vec<String> = variants
                .iter()
                .map(|(name, desc)| match desc {
                    Some(d) => format!("`{name}`: {}", d.trim_end_matches('.')),
                    None => format!("`{name}`"),
                })
                .collect();
            let description = match o.get("description").and_then(Value::as_str) {
                Some(d) => format!("{d} {}", words.join("; ")),
                None => words.join("; "),
            };
            o.remove("oneOf");
            o.insert("type".into(), json!("string"));
            o.insert(
                "enum".into(),
                json!(variants.iter().map(|(n, _)| n).collect::<Vec<_>>()),
            );
            o.insert("description".into(), Value::String(description));
        }
        _ => {}
    }
}

/// `(value, description)` of each alternative when every one is `{"type": "string", "enum": [one]}`.
fn unit_variants(alternatives: &[Value]) -> Option<Vec<(String, Option<String>)>> {
    let each = |a: &Value| {
        let o = a.as_object()?;
        let only_known = o
            .keys()
            .all(|k| matches!(k.as_str(), "enum" | "type" | "description"));
        let values = o.get("enum")?.as_array()?;
        match (
            only_known,
            o.get("type").and_then(Value::as_str),
            values.as_slice(),
        ) {
            (true, Some("string"), [Value::String(v)]) => Some((
                v.clone(),
                o.get("description").and_then(Value::as_str).map(str::to_owned),
            )),
            _ => None,
        }
    };
    let out: Option<Vec<_>> = alternatives.iter().map(each).collect();
    out.filter(|v| !v.is_empty())
}

/// A query parameter's schema without the `null` alternative of an `Option` (absent means none).
fn without_null(schema: Value) -> Value {
    let is_null = |a: &Value| a.get("enum").is_some_and(|e| *e == json!([null]));
    match schema.get("anyOf").and_then(Value::as_array) {
        Some(alts) if alts.len() == 2 && alts.iter().any(is_null) => {
            alts.iter().find(|a| !is_null(a)).cloned().unwrap_or(schema)
        }
        _ => schema,
    }
}

/// The response schemas plus the request-body schemas (names do not overlap: no type is both).
fn merged_definitions(
    mut g: schemars::SchemaGenerator,
    mut bodies: schemars::SchemaGenerator,
) -> Map<String, Value> {
    let mut defs = g.take_definitions(true);
    for (name, schema) in bodies.take_definitions(true) {
        defs.entry(name).or_insert(schema);
    }
    defs
}

fn operation(
    spec: &RouteSpec,
    g: &mut schemars::SchemaGenerator,
    bodies: &mut schemars::SchemaGenerator,
    error_ref: &schemars::Schema,
) -> Value {
    let mut params: Vec<Value> = spec
        .path_params
        .iter()
        .map(|(name, desc)| {
            json!({ "name": name, "in": "path", "required": true, "description": desc,
                    "schema": { "type": "string", "maxLength": 128 } })
        })
        .collect();
    if let Some(query) = spec.query {
        let mut qg = SchemaSettings::openapi3()
            .with(|s| s.inline_subschemas = true)
            .into_generator();
        // Inlined subschemas skip the generator's OpenAPI 3.0 transforms (nullable, const): apply them.
        let mut schema = query(&mut qg);
        for t in qg.transforms_mut() {
            t.transform(&mut schema);
        }
        let schema = schema.to_value();
        let resolved = match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or_default().to_owned();
                qg.take_definitions(true).remove(&name).unwrap_or(schema)
            }
            None => schema,
        };
        if let Some(props) = resolved.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                let desc = prop.get("description").cloned().unwrap_or(Value::Null);
                let mut s = without_null(prop.clone());
                if let Some(o) = s.as_object_mut() {
                    // A query parameter is optional by being absent, never null.
                    o.remove("description");
                    o.remove("nullable");
                    if o.get("default").is_some_and(Value::is_null) {
                        o.remove("default");
                    }
                }
                params.push(json!({ "name": name, "in": "query", "required": false,
                                    "description": desc, "schema": s }));
            }
        }
    }
    let ok = (spec.response)(g).to_value();
    let success = match spec.status {
        // The upgrade has no body; the messages that follow are described by the extension.
        101 => {
            json!({ "description": "Switching Protocols to WebSocket; then one JSON JobEvent per text message",
                       "x-websocket-message": ok })
        }
        202 => json!({ "description": "Accepted: the job, queued (in the envelope)",
                       "content": { "application/json": { "schema": ok } } }),
        _ if spec.enveloped => json!({ "description": "Success (in the envelope)",
                                       "content": { "application/json": { "schema": ok } } }),
        _ => json!({ "description": "Success", "content": { "application/json": { "schema": ok } } }),
    };
    let mut responses = Map::new();
    responses.insert(spec.status.to_string(), success);
    responses.insert(
        "default".into(),
        json!({ "description": "Error (in the envelope, with a stable error code)",
                "content": { "application/json": { "schema": error_ref.clone().to_value() } } }),
    );
    let mut op = json!({
        "operationId": spec.operation_id,
        "summary": spec.summary,
        "responses": responses,
    });
    if let Some(o) = op.as_object_mut() {
        if !params.is_empty() {
            o.insert("parameters".into(), Value::Array(params));
        }
        if let Some(body) = spec.body {
            let schema = body(bodies).to_value();
            o.insert(
                "requestBody".into(),
                json!({ "required": false, "content": { "application/json": { "schema": schema } } }),
            );
        }
    }
    op
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_with_its_method_and_parameters() {
        let doc = document();
        for spec in routes() {
            let op = &doc["paths"][spec.path][spec.method.as_str().to_lowercase()];
            assert_eq!(
                op["operationId"], spec.operation_id,
                "{} {}",
                spec.method, spec.path
            );
            for (p, _) in spec.path_params {
                assert!(spec.path.contains(&format!("{{{p}}}")));
                assert!(op["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["name"] == *p));
            }
        }
        let documented: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(documented, routes().len(), "no operation without a route");
    }

    #[test]
    fn statuses_are_the_real_ones_and_optional_body_fields_are_optional() {
        let doc = document();
        for spec in routes() {
            let responses = doc["paths"][spec.path][spec.method.as_str().to_lowercase()]["responses"]
                .as_object()
                .unwrap();
            let codes: Vec<&str> = responses.keys().map(String::as_str).collect();
            let want = match (spec.method.as_str(), spec.path) {
                ("GET", "/ws/jobs") => "101",
                ("GET", _) => "200",
                _ => "202",
            };
            assert_eq!(codes, [want, "default"], "{} {}", spec.method, spec.path);
        }
        let schemas = &doc["components"]["schemas"];
        let required = |name: &str| -> Vec<String> {
            schemas[name]["required"]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default()
        };
        for name in ["ApplyRequest", "UpdateRequest", "RebootRequest"] {
            assert!(schemas.get(name).is_some(), "{name} documented");
            assert!(required(name).is_empty(), "{name}: {:?}", required(name));
        }
        assert_eq!(required("InstallRequest"), ["packages"]);
        assert_eq!(
            schemas["ApiError"]["properties"]["details"]["type"], "object",
            "details is always an object"
        );
    }

    #[test]
    fn filters_and_schemas_are_present() {
        let doc = document();
        let params = doc["paths"]["/packages"]["get"]["parameters"].as_array().unwrap();
        let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["name", "status", "upgradable", "version"]);
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for s in ["Package", "Patch", "Health", "SystemInfo", "ApiError"] {
            assert!(
                schemas.contains_key(s),
                "missing schema {s}: {:?}",
                schemas.keys().collect::<Vec<_>>()
            );
        }
    }
}
