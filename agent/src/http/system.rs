//! `GET /system/info`: OS, kernel, names, machine id, uptime, last package change, reboot-required.

use super::ctx::{blocking, Ctx};
use crate::error::AgentError;
use crate::sysinfo::{self, HostFiles};
use actix_web::HttpResponse;
use linux_patch_shared::api::agent::SystemInfo;

/// Gathers the host facts (blocking reads and a DNS lookup, off the async workers).
pub async fn info(ctx: Ctx) -> Result<HttpResponse, AgentError> {
    let backend = ctx.state.backend.clone();
    let info = blocking(move || {
        let host = HostFiles::default();
        let hostname = host.hostname();
        Ok(SystemInfo {
            fqdn: sysinfo::fqdn(&hostname),
            hostname,
            os: host.os(),
            kernel: host.kernel(),
            arch: sysinfo::arch().to_owned(),
            machine_id: host.machine_id(),
            uptime_secs: host.uptime_secs(),
            last_update: backend.last_change(),
            reboot_required: backend.reboot_required(),
            backend: backend.name().to_owned(),
        })
    })
    .await?;
    Ok(ctx.ok(info))
}
