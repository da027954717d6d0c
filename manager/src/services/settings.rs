//! Runtime settings as the Settings page and `/api/v1/settings` use them: read (admins, secrets redacted), change (validated, audited with before/after, applied live to the poller, deployer, housekeeping and the console's edge), and the console certificate by the strategy in force.

use crate::app::AppContext;
use crate::audit::Actor;
use crate::db::models::settings_row;
use crate::error::ManagerError;
use crate::settings::apply::{merge, WEB_TLS_KEY};
use crate::settings::upload::{self, Uploaded};
use crate::settings::{Change, Settings, TlsStrategy};
use diesel::Connection;
use serde::Serialize;
use std::net::IpAddr;
use std::path::PathBuf;

/// What the page and the API show: the document with secrets redacted, plus the uploaded certificate.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SettingsView {
    /// The settings, secrets replaced by `password_set` / `uploaded_certificate`.
    pub settings: crate::settings::redacted::Redacted,
    /// The uploaded console certificate, when there is one.
    pub uploaded_certificate: Option<Uploaded>,
    /// Sections the last change altered (empty on a read).
    pub changed: Vec<&'static str>,
}

/// The settings in force (no RBAC: for the notifier and start-up).
pub async fn current(ctx: &AppContext) -> Result<Settings, ManagerError> {
    let initial = ctx.initial_settings.clone();
    ctx.db(move |c| Ok(crate::settings::stored(c, &initial)?)).await
}

fn view(s: &Settings, changed: Vec<&'static str>) -> SettingsView {
    SettingsView {
        settings: s.shown(),
        uploaded_certificate: s
            .web_tls
            .cert_pem
            .as_deref()
            .and_then(|c| upload::describe(c).ok()),
        changed,
    }
}

/// The settings for an administrator (secrets redacted).
pub async fn read(ctx: &AppContext, who: &Actor) -> Result<SettingsView, ManagerError> {
    who.require_admin()?;
    Ok(view(&current(ctx).await?, Vec::new()))
}

/// The typed settings and the uploaded certificate for the Settings page (administrators; the page shows
/// only whether secrets are set).
pub async fn page(ctx: &AppContext, who: &Actor) -> Result<(Settings, Option<Uploaded>), ManagerError> {
    who.require_admin()?;
    let s = current(ctx).await?;
    let up = s
        .web_tls
        .cert_pem
        .as_deref()
        .and_then(|c| upload::describe(c).ok());
    Ok((s, up))
}

/// Validates and saves `change` for `who` connecting from `caller` (audited `settings.changed` with the
/// sections' before and after, secrets redacted), then applies it without a restart. Invalid input changes
/// nothing.
pub async fn update(
    ctx: &AppContext,
    who: &Actor,
    caller: Option<IpAddr>,
    change: Change,
) -> Result<SettingsView, ManagerError> {
    who.require_admin()?;
    if change.allow_list.is_some() && caller.is_none() {
        return Err(ManagerError::Invalid(
            "the address this change comes from is unknown, so the allow-list cannot be checked for a lock-out".into(),
        ));
    }
    Settings::check(&change, caller).map_err(ManagerError::Invalid)?;
    let now = ctx.now();
    if let Some(w) = &change.web_tls {
        if let (Some(c), Some(k)) = (&w.cert_pem, &w.key_pem) {
            upload::check(c, k, now).map_err(|e| ManagerError::Invalid(format!("web_tls: {e}")))?;
        }
    }
    let (initial, secrets, a) = (ctx.initial_settings.clone(), ctx.secrets.clone(), who.clone());
    let (before, after) = ctx
        .db(move |c| {
            c.transaction(|c| {
                let before = match settings_row::load_for_update(c)? {
                    None => initial.settings(),
                    Some(_) => crate::settings::stored(c, &initial)?,
                };
                let seal = |ctx: &str, p: &[u8]| secrets.seal(ctx, p).map_err(|e| e.to_string());
                let after = merge(&before, change, seal).map_err(ManagerError::Invalid)?;
                let sections = before.changed_sections(&after);
                if sections.is_empty() {
                    return Ok((before, after));
                }
                let doc = serde_json::to_value(&after).map_err(|e| ManagerError::Internal(e.to_string()))?;
                settings_row::store(c, &doc, now, &a.name)?;
                let (b, n) = (before.redacted(), after.redacted());
                let pick = |v: &serde_json::Value| -> serde_json::Value {
                    sections
                        .iter()
                        .map(|s| ((*s).to_owned(), v[*s].clone()))
                        .collect::<serde_json::Map<_, _>>()
                        .into()
                };
                a.audit(
                    c,
                    now,
                    "settings.changed",
                    "settings",
                    serde_json::json!({ "sections": sections, "before": pick(&b), "after": pick(&n) }),
                )?;
                Ok((before, after))
            })
        })
        .await?;
    apply(ctx, &before, &after).await?;
    Ok(view(&after, before.changed_sections(&after)))
}

/// Applies what changed between `before` and `after` to the running parts (no restart).
async fn apply(ctx: &AppContext, before: &Settings, after: &Settings) -> Result<(), ManagerError> {
    if before.polling != after.polling
        || before.retention.operational_days != after.retention.operational_days
    {
        let p = after.polling;
        ctx.actors
            .poller
            .set_intervals(
                p.health_interval_secs,
                p.patch_interval_secs,
                after.retention.operational_days,
            )
            .await?;
    }
    if before.deployments != after.deployments {
        ctx.actors
            .deployer
            .set_concurrency(after.deployments.concurrency)
            .await?;
    }
    if before.retention != after.retention {
        ctx.actors.housekeeping.set_retention(after.retention).await?;
    }
    if before.allow_list != after.allow_list {
        ctx.gate
            .set_allow(crate::settings::parse_allow_list(&after.allow_list).map_err(ManagerError::Internal)?);
        log::info!("console allow-list now {}", after.allow_list.join(", "));
    }
    if before.web_tls != after.web_tls {
        serve_certificate(ctx, after, None).await?;
    }
    Ok(())
}

/// Serves the console certificate of the strategy in force (runtime settings, else `files` from
/// `config.yaml`): at start-up and after a change; the next TLS handshake uses it.
pub async fn install_certificate(
    ctx: &AppContext,
    files: Option<(PathBuf, PathBuf)>,
) -> Result<(), ManagerError> {
    let s = current(ctx).await?;
    serve_certificate(ctx, &s, files).await
}

async fn serve_certificate(
    ctx: &AppContext,
    s: &Settings,
    files: Option<(PathBuf, PathBuf)>,
) -> Result<(), ManagerError> {
    match s.web_tls.strategy {
        TlsStrategy::Uploaded => {
            let (Some(cert), Some(sealed)) = (&s.web_tls.cert_pem, &s.web_tls.key_sealed) else {
                return Err(ManagerError::Internal(
                    "web_tls: uploaded, but no certificate is stored".into(),
                ));
            };
            let key = ctx.secrets.open(WEB_TLS_KEY, sealed)?;
            ctx.gate
                .set_cert_pem(cert.as_bytes(), &key)
                .map_err(ManagerError::Internal)?;
            ctx.gate.set_internal_ca(false);
            log::info!("console: serving the uploaded certificate");
        }
        TlsStrategy::InternalCa => {
            let (ca, dir, clock, names) = (
                ctx.ca.clone(),
                ctx.data_dir.clone(),
                ctx.clock.clone(),
                ctx.web_names.clone(),
            );
            let w = ctx
                .db(move |c| {
                    let w = ca
                        .ensure_web_cert(&dir, &names.0, &names.1, &*clock)
                        .map_err(|e| ManagerError::Internal(e.to_string()))?;
                    crate::ca::registry::record_web_cert(c, &ca, &dir, &w, clock.now())?;
                    Ok(w)
                })
                .await?;
            ctx.gate
                .load_cert_files(&w.cert, &w.key)
                .map_err(ManagerError::Internal)?;
            ctx.gate.set_internal_ca(true);
            log::info!(
                "console: serving the internal CA's certificate (valid until {})",
                w.not_after
            );
        }
        TlsStrategy::Files => {
            let Some((cert, key)) = files else {
                return Err(ManagerError::Internal(
                    "web_tls: files, but config.yaml names none".into(),
                ));
            };
            ctx.gate
                .load_cert_files(&cert, &key)
                .map_err(ManagerError::Internal)?;
            ctx.gate.set_internal_ca(false);
        }
    }
    Ok(())
}
