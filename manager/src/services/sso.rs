//! SSO settings (admins): read with the secret redacted, validate and save (secret sealed, audited before/after), applied at once.

use super::Actor;
use crate::app::AppContext;
use crate::db::models::sso::SsoSettingsRow;
use crate::error::ManagerError;
use crate::sso::settings::{self, Checked, GroupRule, RoleSource, SettingsInput};
use chrono::{DateTime, Utc};
use diesel::Connection;
use serde::Serialize;

/// The AEAD context of the sealed client secret.
pub const SECRET_CONTEXT: &str = "sso.client_secret";

/// The settings as admins see them (the secret never leaves the manager).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SettingsView {
    /// Offer SSO on the sign-in page.
    pub enabled: bool,
    /// Tenant GUID.
    pub tenant_id: String,
    /// Client id.
    pub client_id: String,
    /// Whether a client secret is stored.
    pub client_secret_set: bool,
    /// Scopes.
    pub scopes: String,
    /// `app_roles` or `groups`.
    pub role_source: RoleSource,
    /// Group mapping.
    pub group_map: Vec<GroupRule>,
    /// The redirect URI to register in Entra (derived from the console's URL).
    pub redirect_uri: String,
    /// The authority host (config.yaml `sso.authority_host`).
    pub authority_host: String,
    /// The exact issuer tokens must carry.
    pub issuer: String,
    /// Who saved them last, and when.
    pub updated_by: Option<String>,
    /// When.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Stored settings with the secret opened (for the sign-in flow and the connection test).
#[derive(Debug, Clone)]
pub struct Active {
    /// The checked settings.
    pub s: Checked,
    /// The client secret in clear.
    pub secret: String,
}

fn view(ctx: &AppContext, row: Option<&SsoSettingsRow>) -> SettingsView {
    let tenant = row.map(|r| r.tenant_id.clone()).unwrap_or_default();
    SettingsView {
        enabled: row.is_some_and(|r| r.enabled),
        issuer: if tenant.is_empty() {
            String::new()
        } else {
            ctx.sso.issuer(&tenant)
        },
        tenant_id: tenant,
        client_id: row.map(|r| r.client_id.clone()).unwrap_or_default(),
        client_secret_set: row.is_some_and(|r| !r.client_secret.is_empty()),
        scopes: row.map_or_else(|| settings::DEFAULT_SCOPES.to_owned(), |r| r.scopes.clone()),
        role_source: row
            .and_then(|r| RoleSource::parse(&r.role_source))
            .unwrap_or(RoleSource::AppRoles),
        group_map: row
            .and_then(|r| serde_json::from_value(r.group_map.clone()).ok())
            .unwrap_or_default(),
        redirect_uri: ctx.sso.redirect_uri.clone(),
        authority_host: ctx.sso.authority_host.clone(),
        updated_by: row.map(|r| r.updated_by.clone()),
        updated_at: row.map(|r| r.updated_at),
    }
}

/// The settings (admins).
pub async fn get(ctx: &AppContext, who: &Actor) -> Result<SettingsView, ManagerError> {
    who.require_admin()?;
    let row = ctx.db(|c| Ok(SsoSettingsRow::get(c)?)).await?;
    Ok(view(ctx, row.as_ref()))
}

/// Whether the sign-in page offers SSO.
pub async fn offered(ctx: &AppContext) -> Result<bool, ManagerError> {
    Ok(ctx
        .db(|c| Ok(SsoSettingsRow::get(c)?))
        .await?
        .is_some_and(|r| r.enabled))
}

/// The stored settings with the secret opened; `None` when SSO was never configured.
pub async fn active(ctx: &AppContext) -> Result<Option<Active>, ManagerError> {
    let Some(row) = ctx.db(|c| Ok(SsoSettingsRow::get(c)?)).await? else {
        return Ok(None);
    };
    let secret = if row.client_secret.is_empty() {
        String::new()
    } else {
        let b = ctx.sso.secrets.open(SECRET_CONTEXT, &row.client_secret)?;
        String::from_utf8(b)
            .map_err(|_| ManagerError::Internal("the stored SSO client secret is not text".into()))?
    };
    let s = Checked {
        enabled: row.enabled,
        tenant_id: row.tenant_id,
        client_id: row.client_id,
        scopes: row.scopes,
        role_source: RoleSource::parse(&row.role_source)
            .ok_or_else(|| ManagerError::Internal("unknown stored SSO role source".into()))?,
        group_map: serde_json::from_value(row.group_map)
            .map_err(|e| ManagerError::Internal(format!("stored SSO group map: {e}")))?,
    };
    Ok(Some(Active { s, secret }))
}

fn audited(v: &SettingsView, secret: &str) -> serde_json::Value {
    serde_json::json!({
        "enabled": v.enabled, "tenant_id": v.tenant_id, "client_id": v.client_id,
        "client_secret": secret, "scopes": v.scopes, "role_source": v.role_source, "group_map": v.group_map,
    })
}

/// Validates and saves `input` (admins); a new secret is sealed, an empty one keeps the stored secret.
/// Audited `settings.sso` with before/after, the secret redacted; the provider cache is dropped.
pub async fn put(ctx: &AppContext, who: &Actor, input: SettingsInput) -> Result<SettingsView, ManagerError> {
    who.require_admin()?;
    let checked = settings::check(&input).map_err(ManagerError::Invalid)?;
    let new_secret = input
        .client_secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if new_secret.is_some_and(|s| s.len() > 1024) {
        return Err(ManagerError::Invalid(
            "the client secret is longer than 1024 characters".into(),
        ));
    }
    let sealed = new_secret
        .map(|s| ctx.sso.secrets.seal(SECRET_CONTEXT, s.as_bytes()))
        .transpose()?;
    let now = ctx.now();
    let a = who.clone();
    let c2 = ctx.clone();
    let row = ctx
        .db(move |c| {
            c.transaction::<_, ManagerError, _>(|c| {
                let before = SsoSettingsRow::get(c)?;
                let client_secret = match (&sealed, &before) {
                    (Some(s), _) => s.clone(),
                    (None, Some(b)) => b.client_secret.clone(),
                    (None, None) => String::new(),
                };
                if checked.enabled && client_secret.is_empty() {
                    return Err(ManagerError::Invalid(
                        "enter the client secret (Entra: Certificates & secrets -> New client secret)".into(),
                    ));
                }
                let row = SsoSettingsRow {
                    id: 1,
                    enabled: checked.enabled,
                    tenant_id: checked.tenant_id.clone(),
                    client_id: checked.client_id.clone(),
                    client_secret,
                    scopes: checked.scopes.clone(),
                    role_source: checked.role_source.as_str().into(),
                    group_map: serde_json::to_value(&checked.group_map)
                        .map_err(|e| ManagerError::Internal(e.to_string()))?,
                    updated_by: a.name.clone(),
                    updated_at: now,
                };
                SsoSettingsRow::put(c, &row)?;
                let old = before.as_ref().map(|b| {
                    audited(
                        &view(&c2, Some(b)),
                        if b.client_secret.is_empty() {
                            "(none)"
                        } else {
                            "(set)"
                        },
                    )
                });
                let secret_note = match (&sealed, &before) {
                    (Some(_), Some(b)) if !b.client_secret.is_empty() => "(changed)",
                    (Some(_), _) => "(set)",
                    (None, _) if row.client_secret.is_empty() => "(none)",
                    (None, _) => "(unchanged)",
                };
                let new = audited(&view(&c2, Some(&row)), secret_note);
                a.audit(
                    c,
                    now,
                    "settings.sso",
                    "settings:sso",
                    serde_json::json!({"before": old, "after": new}),
                )?;
                Ok(row)
            })
        })
        .await?;
    if let Ok(p) = ctx.sso.provider() {
        p.forget();
    }
    Ok(view(ctx, Some(&row)))
}

/// Links an existing local account to an Entra identity (admins): the next SSO sign-in of (`tid`, `oid`) signs
/// in as that account instead of creating one. Audited `sso.link`.
pub async fn link(
    ctx: &AppContext,
    who: &Actor,
    user_id: i64,
    tid: &str,
    oid: &str,
) -> Result<(), ManagerError> {
    who.require_admin()?;
    let (tid, oid) = (tid.trim().to_ascii_lowercase(), oid.trim().to_ascii_lowercase());
    if !settings::is_guid(&tid) || !settings::is_guid(&oid) {
        return Err(ManagerError::Invalid(
            "tid and oid must be GUIDs (Entra: the tenant ID and the user's Object ID)".into(),
        ));
    }
    let (a, now) = (who.clone(), ctx.now());
    ctx.db(move |c| {
        c.transaction::<_, ManagerError, _>(|c| {
            let user = crate::db::models::User::by_id(c, user_id)?
                .ok_or_else(|| ManagerError::NotFound(format!("no user with id {user_id}")))?;
            if crate::db::models::sso::user_of(c, &tid, &oid)?.is_some() {
                return Err(ManagerError::Refused(format!(
                    "the Entra identity {tid}/{oid} is already linked"
                )));
            }
            if crate::db::models::sso::is_sso_user(c, user_id)? {
                return Err(ManagerError::Refused(format!(
                    "`{}` is already linked to an Entra identity",
                    user.username
                )));
            }
            crate::db::models::sso::link(c, &tid, &oid, user_id, now)?;
            let details = serde_json::json!({"user_id": user_id, "tid": tid, "oid": oid});
            a.audit(c, now, "sso.link", &format!("user:{}", user.username), details)
        })
    })
    .await
}
