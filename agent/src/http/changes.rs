//! Handlers that change the host: install, update, remove, apply patches, reboot. Each validates its
//! input completely, then submits a job and answers 202 with it.

use super::ctx::{blocking, json_body, Ctx};
use crate::actors::job_manager::{self, StartJob};
use crate::backend::{Operation, PackageSpec};
use crate::error::AgentError;
use crate::jobs::record::JobSpec;
use crate::jobs::runner::items_of;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use linux_patch_shared::api::jobs::JobKind;
use schemars::JsonSchema;
use serde::Deserialize;

/// Most packages one request may name.
pub const MAX_BATCH: usize = 200;
/// Longest reboot delay.
pub const MAX_REBOOT_DELAY_SECS: u64 = 3600;

/// One package to install: `{"name": "nginx", "version": "1.2.3"}` or `"nginx=1.2.3"`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum InstallItem {
    /// `"name"` or `"name=version"`.
    Text(String),
    /// Name with an optional version.
    Object(InstallObject),
}

/// `{"name": ..., "version": ...}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallObject {
    /// Package name.
    pub name: String,
    /// Exact version to install.
    #[serde(default)]
    pub version: Option<String>,
}

/// Body of `POST /packages`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallRequest {
    /// What to install (best effort: an unobtainable item fails alone).
    pub packages: Vec<InstallItem>,
}

/// Body of `PUT /packages/{name}` (optional).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    /// Target version (default: the candidate).
    #[serde(default)]
    pub version: Option<String>,
    /// Permit a version lower than the installed one.
    #[serde(default)]
    pub allow_downgrade: bool,
}

/// Query of `DELETE /packages/{name}`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveQuery {
    /// Also remove configuration files (`true`/`false` in any case, `1`/`0`).
    #[serde(default, deserialize_with = "super::query::flag")]
    pub purge: bool,
}

/// Body of `POST /patches/apply` (optional: empty = all pending updates).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyRequest {
    /// Only these packages.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Only security updates.
    #[serde(default)]
    pub security_only: bool,
}

/// Body of `POST /system/reboot` (optional).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RebootRequest {
    /// Seconds to wait before rebooting (0–3600).
    #[serde(default)]
    pub delay_secs: u64,
}

fn check_name(ctx: &Ctx, name: &str) -> Result<(), AgentError> {
    ctx.state
        .backend
        .validate_name(name)
        .map_err(|why| AgentError::InvalidInput {
            code: "INVALID_PACKAGE_NAME",
            message: format!("invalid package name: {why}"),
            details: Some(serde_json::json!({ "name": name })),
        })
}

fn check_version(ctx: &Ctx, name: &str, version: &str) -> Result<(), AgentError> {
    ctx.state
        .backend
        .validate_version(version)
        .map_err(|why| AgentError::InvalidInput {
            code: "INVALID_VERSION",
            message: format!("invalid version for {name}: {why}"),
            details: Some(serde_json::json!({ "name": name, "version": version })),
        })
}

fn spec_of(ctx: &Ctx, item: &InstallItem) -> Result<PackageSpec, AgentError> {
    let (name, version) = match item {
        InstallItem::Text(t) => match t.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (t.clone(), None),
        },
        InstallItem::Object(o) => (o.name.clone(), o.version.clone()),
    };
    check_name(ctx, &name)?;
    if let Some(v) = &version {
        check_version(ctx, &name, v)?;
    }
    Ok(PackageSpec { name, version })
}

async fn submit(
    ctx: &Ctx,
    kind: JobKind,
    spec: JobSpec,
    specs: &[PackageSpec],
    params: serde_json::Value,
) -> Result<HttpResponse, AgentError> {
    let job = job_manager::start(
        &ctx.state.actors.jobs,
        StartJob {
            kind,
            spec,
            items: items_of(specs),
            params,
            request_id: ctx.request_id.to_string(),
            client: ctx.client.clone(),
            idempotency_key: ctx.idempotency_key.clone(),
        },
    )
    .await?;
    Ok(ctx.respond(StatusCode::ACCEPTED, job))
}

/// `POST /packages`: install one or many, pinned or not.
pub async fn install(ctx: Ctx, body: web::Bytes) -> Result<HttpResponse, AgentError> {
    let req: InstallRequest = json_body(&body)?;
    if req.packages.is_empty() || req.packages.len() > MAX_BATCH {
        return Err(AgentError::invalid(
            "INVALID_REQUEST",
            format!("`packages` must name 1 to {MAX_BATCH} packages"),
        ));
    }
    let specs = req
        .packages
        .iter()
        .map(|i| spec_of(&ctx, i))
        .collect::<Result<Vec<_>, _>>()?;
    let mut names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(AgentError::invalid(
            "INVALID_REQUEST",
            format!("package `{}` is named twice", w[0]),
        ));
    }
    let params = serde_json::json!({ "packages": specs });
    submit(
        &ctx,
        JobKind::Install,
        JobSpec::Packages {
            op: Operation::Install {
                packages: specs.clone(),
            },
        },
        &specs,
        params,
    )
    .await
}

/// `PUT /packages/{name}`: update one installed package (downgrade only with `allow_downgrade`).
pub async fn update(ctx: Ctx, name: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, AgentError> {
    let name = name.into_inner();
    check_name(&ctx, &name)?;
    let req: UpdateRequest = json_body(&body)?;
    if let Some(v) = &req.version {
        check_version(&ctx, &name, v)?;
    }
    let backend = ctx.state.backend.clone();
    let wanted = name.split(':').next().unwrap_or_default().to_owned();
    let installed = blocking(move || Ok(backend.installed()?)).await?;
    if !installed
        .iter()
        .any(|p| p.name == wanted && p.status == "installed")
    {
        return Err(AgentError::NotFound {
            code: "PACKAGE_NOT_FOUND",
            message: format!("package `{name}` is not installed"),
        });
    }
    let spec = PackageSpec {
        name,
        version: req.version,
    };
    let params = serde_json::json!({ "package": spec, "allow_downgrade": req.allow_downgrade });
    let op = Operation::Update {
        package: spec.clone(),
        allow_downgrade: req.allow_downgrade,
    };
    submit(&ctx, JobKind::Update, JobSpec::Packages { op }, &[spec], params).await
}

/// `DELETE /packages/{name}`: remove (purge only with `?purge=true`).
pub async fn remove(
    ctx: Ctx,
    name: web::Path<String>,
    q: web::Query<RemoveQuery>,
) -> Result<HttpResponse, AgentError> {
    let name = name.into_inner();
    check_name(&ctx, &name)?;
    let spec = PackageSpec {
        name: name.clone(),
        version: None,
    };
    let params = serde_json::json!({ "name": name, "purge": q.purge });
    let op = Operation::Remove { name, purge: q.purge };
    submit(&ctx, JobKind::Remove, JobSpec::Packages { op }, &[spec], params).await
}

/// `POST /patches/apply`: all pending updates, the listed ones, or the security ones; the index is
/// refreshed first.
pub async fn apply(ctx: Ctx, body: web::Bytes) -> Result<HttpResponse, AgentError> {
    let req: ApplyRequest = json_body(&body)?;
    if req.security_only && !req.packages.is_empty() {
        return Err(AgentError::invalid(
            "INVALID_REQUEST",
            "give either `packages` or `security_only`, not both",
        ));
    }
    if req.packages.len() > MAX_BATCH {
        return Err(AgentError::invalid(
            "INVALID_REQUEST",
            format!("at most {MAX_BATCH} packages"),
        ));
    }
    for n in &req.packages {
        check_name(&ctx, n)?;
    }
    let specs: Vec<PackageSpec> = req
        .packages
        .iter()
        .map(|n| PackageSpec {
            name: n.clone(),
            version: None,
        })
        .collect();
    let params = serde_json::json!({ "packages": req.packages, "security_only": req.security_only });
    let op = Operation::Upgrade {
        packages: req.packages,
        security_only: req.security_only,
    };
    submit(
        &ctx,
        JobKind::ApplyPatches,
        JobSpec::Packages { op },
        &specs,
        params,
    )
    .await
}

/// `POST /system/reboot`: run the configured reboot command after an optional delay.
pub async fn reboot(ctx: Ctx, body: web::Bytes) -> Result<HttpResponse, AgentError> {
    let req: RebootRequest = json_body(&body)?;
    if req.delay_secs > MAX_REBOOT_DELAY_SECS {
        return Err(AgentError::invalid(
            "INVALID_REQUEST",
            format!("`delay_secs` must be 0 to {MAX_REBOOT_DELAY_SECS}"),
        ));
    }
    let params = serde_json::json!({ "delay_secs": req.delay_secs });
    submit(
        &ctx,
        JobKind::Reboot,
        JobSpec::Reboot {
            delay_secs: req.delay_secs,
        },
        &[],
        params,
    )
    .await
}
