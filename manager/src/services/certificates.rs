//! The certificate register as the console and the API use it (admins; bundles RBAC-scoped): each operation
//! on the blocking pool, then the agents' trust refreshed when what the manager trusts or presents changed.

use crate::app::AppContext;
use crate::ca::registry::{self, Renewed, Revoked};
use crate::ca::runtime::load_trust;
use crate::db::models::scope::Scope;
use crate::db::models::{Certificate, Host};
use crate::error::ManagerError;

/// Every recorded certificate, newest first, with the host names of agent certificates (admins only).
pub async fn list(
    ctx: &AppContext,
    scope: Scope,
) -> Result<Vec<(Certificate, Option<String>)>, ManagerError> {
    scope.require_admin()?;
    ctx.db(|c| {
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
pub async fn renew(ctx: &AppContext, scope: Scope, actor: &str, id: i64) -> Result<Renewed, ManagerError> {
    scope.require_admin()?;
    let (ca, dir, now, who) = (ctx.ca.clone(), ctx.data_dir.clone(), ctx.now(), actor.to_owned());
    let r = ctx
        .db(move |c| registry::renew(c, &ca, &dir, id, &who, now))
        .await?;
    if r.trust_changed {
        load_trust(&ctx.ca_ctx()).await?;
    }
    Ok(r)
}

/// Revokes certificate `id` for `reason` (admins only); the new CRL (and a new client certificate, when the
/// manager's own was revoked) is put in force at once.
pub async fn revoke(
    ctx: &AppContext,
    scope: Scope,
    actor: &str,
    id: i64,
    reason: &str,
) -> Result<Revoked, ManagerError> {
    scope.require_admin()?;
    let (ca, dir, now) = (ctx.ca.clone(), ctx.data_dir.clone(), ctx.now());
    let (who, reason) = (actor.to_owned(), reason.to_owned());
    let r = ctx
        .db(move |c| registry::revoke(c, &ca, &dir, id, &reason, &who, now))
        .await?;
    load_trust(&ctx.ca_ctx()).await?;
    Ok(r)
}

/// A new bundle for host `host_id` as a `.tar.gz` (administrators only: it holds a private key, generated
/// for this answer and not kept; the host's previous certificate is superseded), audited for `actor`; the
/// host and the archive. A host under the console's own name or address gets none.
pub async fn bundle_archive(
    ctx: &AppContext,
    scope: Scope,
    actor: &str,
    host_id: i64,
) -> Result<(Host, Vec<u8>), ManagerError> {
    scope.require_admin()?;
    let (ca, dir, now, who) = (ctx.ca.clone(), ctx.data_dir.clone(), ctx.now(), actor.to_owned());
    let reserved = ctx.console_names.clone();
    let (host, b) = ctx
        .db(move |c| {
            let host = Host::find(c, scope, host_id)?
                .ok_or_else(|| ManagerError::NotFound(format!("no host #{host_id}")))?;
            if let Some(why) = reserved.refusal(&host.hostname, &host.ip) {
                return Err(ManagerError::Refused(why));
            }
            let b = registry::host_bundle(c, &ca, &dir, &host, &who, now)?;
            Ok((host, b))
        })
        .await?;
    let gz = crate::ca::bundle::tar_gz(&b, now).map_err(registry::internal)?;
    Ok((host, gz))
}

/// The current CRL, freshly signed (for `GET /crl.pem`; nothing is written).
pub async fn current_crl(ctx: &AppContext) -> Result<String, ManagerError> {
    let (ca, now) = (ctx.ca.clone(), ctx.now());
    ctx.db(move |c| registry::signed_crl(c, &ca, now)).await
}

/// An enrolled agent renewing its own server certificate (no user: the request is signed by the key of the
/// certificate it presents, which must be its host's recorded one); the new certificate and the host's name.
/// A refusal for a forged signature or a revoked, expired, unrecorded or replaced certificate is audited
/// `cert.renew_refused` (actor `enrollment`, target the presented certificate's SHA-256, `source`).
pub async fn renew_by_agent(
    ctx: &AppContext,
    req: &linux_patch_shared::api::enroll::RenewRequest,
    source: &str,
) -> Result<(Certificate, String), ManagerError> {
    use crate::enrollment::renew;
    let now = ctx.now();
    let fingerprint = openssl::x509::X509::from_pem(req.certificate.trim().as_bytes())
        .and_then(|c| c.digest(openssl::hash::MessageDigest::sha256()))
        .map(|d| d.iter().map(|b| format!("{b:02x}")).collect::<String>())
        .unwrap_or_default();
    let r = match renew::check(req, now) {
        Ok(checked) => {
            let ca = ctx.ca.clone();
            ctx.db(move |c| crate::ca::agent_renewal::renew_agent(c, &ca, &checked, now))
                .await
        }
        Err(e) if e == renew::FORGED => Err(ManagerError::Forbidden(e)),
        Err(e) => Err(ManagerError::Invalid(e)),
    };
    match &r {
        Ok((cert, host)) => log::info!("host {host} renewed its certificate: now {}", cert.serial),
        Err(e @ (ManagerError::Forbidden(_) | ManagerError::Refused(_))) => {
            log::warn!("refused a certificate renewal (certificate SHA256 {fingerprint}): {e}");
            let details = serde_json::json!({"reason": e.to_string(), "source": source});
            let target = format!("sha256:{fingerprint}");
            ctx.db(move |c| {
                crate::audit::append(
                    c,
                    now,
                    &crate::audit::Entry {
                        actor: crate::services::enrollment::AGENT_ACTOR,
                        action: "cert.renew_refused",
                        target: &target,
                        details,
                    },
                )?;
                Ok(())
            })
            .await?;
        }
        Err(e) => log::info!("a certificate renewal request was refused: {e}"),
    }
    r
}
