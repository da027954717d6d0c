//! The certificate register as the console, the API and `serve` use it: each operation on the blocking pool,
//! then the agents' trust (`state.trust`) refreshed when what the manager trusts or presents changed.

use super::registry::{self, Renewed, Revoked, SYSTEM};
use super::trust::TrustMaterial;
use crate::auth::rbac::Scope;
use crate::db::models::{Certificate, Host};
use crate::error::ManagerError;
use crate::http::state::AppState;
use std::time::Duration;

/// Loads (or issues) the manager's client certificate, signs a fresh CRL and puts both, with the root CA,
/// in force for calls to agents (`state.trust`).
pub async fn load_trust(state: &AppState) -> Result<(), ManagerError> {
    let (ca, dir, now) = (state.ca.clone(), state.data_dir.clone(), state.now());
    let (ident, crl) = state
        .db(move |c| {
            let ident = registry::ensure_manager_client(c, &ca, &dir, now)?;
            let crl = registry::crl_pem(c, &ca, now)?;
            Ok((ident, crl))
        })
        .await?;
    state
        .trust
        .replace(&TrustMaterial {
            ca_pem: state.ca_pem.to_string(),
            crl_pem: crl,
            client_cert_pem: ident.cert_pem,
            client_key_pem: ident.key_pem,
        })
        .map_err(|e| ManagerError::Internal(format!("cannot load the agents' trust: {e}")))?;
    log::info!(
        "agent trust loaded: manager client certificate {} (until {})",
        ident.serial,
        ident.not_after
    );
    Ok(())
}

/// Every recorded certificate, newest first, with the host names of agent certificates (admins only).
pub async fn list(
    state: &AppState,
    scope: Scope,
) -> Result<Vec<(Certificate, Option<String>)>, ManagerError> {
    scope.require_admin()?;
    state
        .db(|c| {
            let hosts: std::collections::HashMap<i64, String> = Host::list(c, Scope::All)?
                .into_iter()
                .map(|h| (h.id, h.hostname))
                .collect();
            Ok(Certificate::all(c)?
                .into_iter()
                .map(|cert| {
                    let name = cert.host_id.and_then(|h| hosts.get(&h).cloned());
                    (cert, name)
                })
                .collect())
        })
        .await
}

/// Renews certificate `id` for `actor` (admins only).
pub async fn renew(state: &AppState, scope: Scope, actor: &str, id: i64) -> Result<Renewed, ManagerError> {
    scope.require_admin()?;
    let (ca, dir, now, who) = (
        state.ca.clone(),
        state.data_dir.clone(),
        state.now(),
        actor.to_owned(),
    );
    let r = state
        .db(move |c| registry::renew(c, &ca, &dir, id, &who, now))
        .await?;
    if r.trust_changed {
        load_trust(state).await?;
    }
    Ok(r)
}

/// Revokes certificate `id` for `reason` (admins only); the new CRL (and a new client certificate, when the
/// manager's own was revoked) is put in force at once.
pub async fn revoke(
    state: &AppState,
    scope: Scope,
    actor: &str,
    id: i64,
    reason: &str,
) -> Result<Revoked, ManagerError> {
    scope.require_admin()?;
    let (ca, dir, now) = (state.ca.clone(), state.data_dir.clone(), state.now());
    let (who, reason) = (actor.to_owned(), reason.to_owned());
    let r = state
        .db(move |c| registry::revoke(c, &ca, &dir, id, &reason, &who, now))
        .await?;
    load_trust(state).await?;
    Ok(r)
}

/// The bundle of host `host_id` as a `.tar.gz` if `scope` may see the host (else not found), audited for
/// `actor`; the host and the archive.
pub async fn bundle_archive(
    state: &AppState,
    scope: Scope,
    actor: &str,
    host_id: i64,
) -> Result<(Host, Vec<u8>), ManagerError> {
    let (ca, dir, now, who) = (
        state.ca.clone(),
        state.data_dir.clone(),
        state.now(),
        actor.to_owned(),
    );
    let (host, b) = state
        .db(move |c| {
            let host = Host::find(c, scope, host_id)?
                .ok_or_else(|| ManagerError::NotFound(format!("no host #{host_id}")))?;
            let b = registry::host_bundle(c, &ca, &dir, &host, &who, now)?;
            Ok((host, b))
        })
        .await?;
    let gz = super::bundle::tar_gz(&b, now).map_err(registry::internal)?;
    Ok((host, gz))
}

/// The current CRL, freshly signed (for `GET /crl.pem`; nothing is written).
pub async fn current_crl(state: &AppState) -> Result<String, ManagerError> {
    let (ca, now) = (state.ca.clone(), state.now());
    state.db(move |c| registry::signed_crl(c, &ca, now)).await
}

/// Daily (first run one day after start; `serve` loads the trust at start): renews the manager's client
/// certificate and, when `web`, the console's certificate if they expire within 30 days, re-signs the CRL
/// and reloads the agents' trust. Failures are logged and retried the next day.
pub async fn daily_renewal(state: actix_web::web::Data<AppState>, web: bool) {
    let day = Duration::from_secs(24 * 3600);
    let mut tick = actix_rt::time::interval_at(actix_rt::time::Instant::now() + day, day);
    loop {
        tick.tick().await;
        if let Err(e) = renewal_pass(&state, web).await {
            log::error!("daily certificate renewal failed: {e}");
        }
    }
}

/// One renewal pass (see [`daily_renewal`]).
pub async fn renewal_pass(state: &AppState, web: bool) -> Result<Vec<Renewed>, ManagerError> {
    let (ca, dir, now) = (state.ca.clone(), state.data_dir.clone(), state.now());
    let renewed = state
        .db(move |c| registry::renew_due(c, &ca, &dir, web, now))
        .await?;
    if renewed
        .iter()
        .any(|r| r.new.kind == crate::db::models::certificate::KIND_WEB)
    {
        log::warn!("the console's certificate was renewed; restart the manager to serve it");
    }
    load_trust(state).await?;
    log::debug!("certificate check done as {SYSTEM}: {} renewed", renewed.len());
    Ok(renewed)
}
