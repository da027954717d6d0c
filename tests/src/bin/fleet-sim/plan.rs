//! Which hosts the fleet has: names, consecutive loopback addresses (skipping `.0` and `.255`), and which
//! of them are unreachable, unhealthy or slow (a fixed hash of the name decides, so the same command line
//! gives the same fleet).

use crate::seeded::SeededBackend;
use linux_patch_api::backend::simulated::SimulatedBackend;
use linux_patch_api::backend::SharedBackend;
use linux_patch_tests::fleet_seed::{SeedFile, SeedHost};
use std::net::Ipv4Addr;
use std::sync::Arc;

/// How a simulated host behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Answers normally.
    Healthy,
    /// Its package-index refresh fails: health says `degraded`.
    Unhealthy,
    /// Every response is delayed.
    Slow,
    /// Nothing listens: connections are refused.
    Unreachable,
}

impl Health {
    /// As written in `hosts.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
            Health::Slow => "slow",
            Health::Unreachable => "unreachable",
        }
    }
}

/// One planned host.
#[derive(Debug, Clone)]
pub struct PlannedHost {
    /// Position.
    pub index: usize,
    /// Host name.
    pub name: String,
    /// Loopback address.
    pub ip: Ipv4Addr,
    /// Behaviour.
    pub health: Health,
    /// Response delay of a slow host, ms.
    pub delay_ms: Option<u64>,
    /// Its data from the `--seed` file (none: the simulated backend seeded by its name).
    pub seed: Option<Arc<SeedHost>>,
}

/// The fractions of each kind of trouble (the rest is healthy).
#[derive(Debug, Clone, Copy, Default)]
pub struct Trouble {
    /// Share of unhealthy hosts.
    pub unhealthy: f64,
    /// Share of slow hosts.
    pub slow: f64,
    /// Share of unreachable hosts.
    pub unreachable: f64,
}

/// The address after `ip`, skipping `.0` and `.255` in the last octet; `None` past 127.255.255.254.
pub fn next_addr(ip: Ipv4Addr) -> Option<Ipv4Addr> {
    let mut n = u32::from(ip);
    loop {
        n = n.checked_add(1)?;
        let candidate = Ipv4Addr::from(n);
        if candidate.octets()[0] != 127 {
            return None;
        }
        if !matches!(candidate.octets()[3], 0 | 255) {
            return Some(candidate);
        }
    }
}

/// `count` hosts from `base`, with `trouble` spread over them by a hash of their names.
pub fn plan(count: usize, base: Ipv4Addr, trouble: Trouble) -> Result<Vec<PlannedHost>, String> {
    if base.octets()[0] != 127 || matches!(base.octets()[3], 0 | 255) {
        return Err(format!(
            "--base {base} must be a loopback address 127.x.y.z with z not 0 or 255"
        ));
    }
    let width = count.max(1).to_string().len().max(5);
    let mut hosts = Vec::with_capacity(count);
    let mut ip = base;
    for index in 0..count {
        if index > 0 {
            ip =
                next_addr(ip).ok_or_else(|| format!("{count} hosts from {base} run past 127.255.255.254"))?;
        }
        hosts.push(PlannedHost {
            index,
            name: format!("sim-{:0width$}", index + 1),
            ip,
            health: Health::Healthy,
            delay_ms: None,
            seed: None,
        });
    }
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by_key(|i| stable_hash(&hosts[*i].name));
    let share = |f: f64| ((count as f64) * f.clamp(0.0, 1.0)).round() as usize;
    let mut taken = 0;
    for (health, f) in [
        (Health::Unreachable, trouble.unreachable),
        (Health::Unhealthy, trouble.unhealthy),
        (Health::Slow, trouble.slow),
    ] {
        let n = share(f).min(count - taken);
        for i in &order[taken..taken + n] {
            let h = &mut hosts[*i];
            h.health = health;
            if health == Health::Slow {
                h.delay_ms = Some(2000 + stable_hash(&h.name) % 3001);
            }
        }
        taken += n;
    }
    Ok(hosts)
}

/// FNV-1a: stable across runs and Rust versions.
fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// Gives every host the seed file names its data; a host the seed calls unreachable gets no listener.
pub fn apply_seed(hosts: &mut [PlannedHost], seed: SeedFile) {
    let mut seed = seed.hosts;
    for h in hosts {
        if let Some(s) = seed.remove(&h.name) {
            if s.unreachable {
                h.health = Health::Unreachable;
                h.delay_ms = None;
            }
            h.seed = Some(Arc::new(s));
        }
    }
}

/// The backend of a planned host: its seeded data, or the simulated backend its name seeds.
pub fn backend(
    host: &PlannedHost,
    clock: linux_patch_shared::clock::SharedClock,
    time_scale: f64,
) -> SharedBackend {
    let unhealthy = host.health == Health::Unhealthy;
    match &host.seed {
        Some(s) => Arc::new(SeededBackend::new(s, clock.now(), unhealthy)),
        None => Arc::new(
            SimulatedBackend::new(&host.name, clock)
                .with_time_scale(time_scale)
                .with_unhealthy(unhealthy),
        ),
    }
}
