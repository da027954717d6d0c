//! `GET /packages` (filters) and `GET /packages/{name}`.

use super::ctx::{blocking, Ctx};
use crate::error::AgentError;
use actix_web::{web, HttpResponse};
use linux_patch_shared::api::agent::Package;
use serde::Deserialize;

/// Longest filter value accepted.
const MAX_FILTER_LEN: usize = 128;
/// Package states a `status` filter may name.
pub const STATUSES: &[&str] = &[
    "installed",
    "config-files",
    "half-installed",
    "unpacked",
    "half-configured",
    "triggers-awaited",
    "triggers-pending",
];

/// Filters of `GET /packages`; all optional, combined with AND.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageQuery {
    /// Substring of the name, or a glob (`lib*`, `python3-?`) when it contains `*`, `?` or `[`.
    pub name: Option<String>,
    /// Exact version, or a glob.
    pub version: Option<String>,
    /// One package state (see `STATUSES`).
    pub status: Option<String>,
    /// `true`: only packages with an update; `false`: only those without (`True`/`1`/`0` also read).
    #[serde(default, deserialize_with = "super::query::opt_bool")]
    pub upgradable: Option<bool>,
}

/// A compiled name or version filter.
#[derive(Debug)]
enum Matcher {
    Substring(String),
    Exact(String),
    Glob(glob::Pattern),
}

impl Matcher {
    fn new(param: &'static str, raw: &str, exact_by_default: bool) -> Result<Self, AgentError> {
        let bad = |why: &str| AgentError::InvalidInput {
            code: "INVALID_FILTER",
            message: format!("filter `{param}`: {why}"),
            details: Some(serde_json::json!({ "parameter": param })),
        };
        if raw.is_empty() || raw.len() > MAX_FILTER_LEN {
            return Err(bad(&format!("must be 1 to {MAX_FILTER_LEN} characters")));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || "+-.:_~@*?[]!".contains(c);
        if let Some(c) = raw.chars().find(|c| !allowed(*c)) {
            return Err(bad(&format!("character {c:?} is not allowed")));
        }
        if raw.contains(['*', '?', '[']) {
            let p = glob::Pattern::new(raw).map_err(|e| bad(&format!("bad glob: {e}")))?;
            Ok(Matcher::Glob(p))
        } else if exact_by_default {
            Ok(Matcher::Exact(raw.to_owned()))
        } else {
            Ok(Matcher::Substring(raw.to_owned()))
        }
    }

    fn matches(&self, s: &str) -> bool {
        match self {
            Matcher::Substring(sub) => s.contains(sub.as_str()),
            Matcher::Exact(e) => s == e,
            Matcher::Glob(g) => g.matches(s),
        }
    }
}

/// The compiled filter set.
#[derive(Debug)]
pub struct Filter {
    name: Option<Matcher>,
    version: Option<Matcher>,
    status: Option<String>,
    upgradable: Option<bool>,
}

impl Filter {
    /// Validates and compiles the query; bad input is a 400 that names the parameter.
    pub fn new(q: &PackageQuery) -> Result<Self, AgentError> {
        let status = match &q.status {
            Some(s) if !STATUSES.contains(&s.as_str()) => {
                return Err(AgentError::InvalidInput {
                    code: "INVALID_FILTER",
                    message: format!("filter `status`: must be one of {}", STATUSES.join(", ")),
                    details: Some(serde_json::json!({ "parameter": "status" })),
                })
            }
            s => s.clone(),
        };
        Ok(Self {
            name: q
                .name
                .as_deref()
                .map(|n| Matcher::new("name", n, false))
                .transpose()?,
            version: q
                .version
                .as_deref()
                .map(|v| Matcher::new("version", v, true))
                .transpose()?,
            status,
            upgradable: q.upgradable,
        })
    }

    /// Whether a package passes every given filter (unknown upgradability never matches that filter).
    pub fn matches(&self, p: &Package) -> bool {
        self.name.as_ref().is_none_or(|m| m.matches(&p.name))
            && self.version.as_ref().is_none_or(|m| m.matches(&p.version))
            && self.status.as_ref().is_none_or(|s| &p.status == s)
            && self.upgradable.is_none_or(|u| p.upgradable == Some(u))
    }

    fn needs_upgrade_data(&self) -> bool {
        self.upgradable.is_some()
    }
}

/// Lists installed packages, filtered; no pagination.
pub async fn list(ctx: Ctx, q: web::Query<PackageQuery>) -> Result<HttpResponse, AgentError> {
    let filter = Filter::new(&q)?;
    let backend = ctx.state.backend.clone();
    let needs_upgrades = filter.needs_upgrade_data();
    let all = blocking(move || {
        if needs_upgrades {
            // Surface a failed simulation as an error rather than an empty, misleading list.
            backend.upgrades()?;
        }
        Ok(backend.installed()?)
    })
    .await?;
    let selected: Vec<&Package> = all.iter().filter(|p| filter.matches(p)).collect();
    Ok(ctx.ok(selected))
}

/// One package by name (`name` or `name:arch`); 404 in the envelope when it is not installed.
pub async fn get(ctx: Ctx, name: web::Path<String>) -> Result<HttpResponse, AgentError> {
    let name = name.into_inner();
    ctx.state
        .backend
        .validate_name(&name)
        .map_err(|why| AgentError::InvalidInput {
            code: "INVALID_PACKAGE_NAME",
            message: format!("invalid package name: {why}"),
            details: Some(serde_json::json!({ "name": name })),
        })?;
    let backend = ctx.state.backend.clone();
    let all = blocking(move || Ok(backend.installed()?)).await?;
    let (want, arch) = match name.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (name.as_str(), None),
    };
    let found = all
        .iter()
        .find(|p| p.name == want && arch.is_none_or(|a| p.architecture == a));
    match found {
        Some(p) => Ok(ctx.ok(p)),
        None => Err(AgentError::NotFound {
            code: "PACKAGE_NOT_FOUND",
            message: format!("package `{name}` is not installed"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(name: &str, version: &str, status: &str, upgradable: Option<bool>) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            architecture: "amd64".into(),
            status: status.into(),
            summary: None,
            section: None,
            installed_size_kib: None,
            source: None,
            upgradable,
            candidate_version: None,
        }
    }

    fn q(name: Option<&str>, version: Option<&str>, status: Option<&str>, up: Option<bool>) -> PackageQuery {
        PackageQuery {
            name: name.map(Into::into),
            version: version.map(Into::into),
            status: status.map(Into::into),
            upgradable: up,
        }
    }

    #[test]
    fn name_is_substring_or_glob_and_version_exact_or_glob() {
        let p = pkg("libssl3", "3.0.11-1", "installed", Some(true));
        assert!(Filter::new(&q(Some("ssl"), None, None, None))
            .unwrap()
            .matches(&p));
        assert!(Filter::new(&q(Some("lib*"), None, None, None))
            .unwrap()
            .matches(&p));
        assert!(!Filter::new(&q(Some("ssl*"), None, None, None))
            .unwrap()
            .matches(&p));
        assert!(Filter::new(&q(None, Some("3.0.11-1"), None, None))
            .unwrap()
            .matches(&p));
        assert!(!Filter::new(&q(None, Some("3.0"), None, None))
            .unwrap()
            .matches(&p));
        assert!(Filter::new(&q(None, Some("3.0.*"), None, None))
            .unwrap()
            .matches(&p));
    }

    #[test]
    fn status_and_upgradable_filters() {
        let p = pkg("a", "1", "config-files", Some(false));
        assert!(Filter::new(&q(None, None, Some("config-files"), Some(false)))
            .unwrap()
            .matches(&p));
        assert!(!Filter::new(&q(None, None, Some("installed"), None))
            .unwrap()
            .matches(&p));
        let unknown = pkg("a", "1", "installed", None);
        assert!(!Filter::new(&q(None, None, None, Some(false)))
            .unwrap()
            .matches(&unknown));
    }

    #[test]
    fn hostile_filters_are_refused() {
        for bad in ["a;id", "$(id)", "a b", "../x", "", &"x".repeat(129)] {
            let e = Filter::new(&q(Some(bad), None, None, None)).unwrap_err();
            assert!(
                matches!(
                    e,
                    AgentError::InvalidInput {
                        code: "INVALID_FILTER",
                        ..
                    }
                ),
                "{bad}"
            );
        }
        assert!(Filter::new(&q(None, None, Some("gone"), None)).is_err());
        assert!(
            Filter::new(&q(Some("[z-a"), None, None, None)).is_err(),
            "bad glob"
        );
    }
}
