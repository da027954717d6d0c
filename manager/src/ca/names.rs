//! The names and addresses that belong to the console: no host may be registered or certified under them.

use std::net::IpAddr;

/// The console's own names (`localhost`, its public URL's host, this machine's name) and non-loopback
/// addresses. Loopback addresses are not reserved: an agent on the manager's own machine answers there, and
/// agents' certificates chain to the agents' CA, which no browser or agent trusts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleNames {
    /// Lowercase DNS names.
    pub dns: Vec<String>,
    /// Addresses.
    pub ips: Vec<IpAddr>,
}

impl ConsoleNames {
    /// From the public URL's host and this machine's name.
    pub fn new(public_host: Option<&str>, machine: &str) -> Self {
        let mut n = Self::default();
        for h in ["localhost"].into_iter().chain(public_host).chain([machine]) {
            let h = h
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_ascii_lowercase();
            match h.parse::<IpAddr>() {
                Ok(ip) if !ip.is_loopback() && !n.ips.contains(&ip) => n.ips.push(ip),
                Ok(_) => {}
                Err(_) if !h.is_empty() && !n.dns.contains(&h) => n.dns.push(h),
                Err(_) => {}
            }
        }
        n
    }

    /// Why `hostname` at `ip` may not be a host (it names the console), or `None`.
    pub fn refusal(&self, hostname: &str, ip: &str) -> Option<String> {
        let h = hostname.trim().to_ascii_lowercase();
        let is_console_name = self
            .dns
            .iter()
            .any(|d| *d == h || h.ends_with(".localhost") || h == "localhost");
        if is_console_name {
            return Some(format!(
                "`{}` is the console's own name; a host cannot be registered or certified under it",
                h.escape_default()
            ));
        }
        let addr = |s: &str| s.trim().parse::<IpAddr>().ok();
        if let Some(a) = addr(ip)
            .into_iter()
            .chain(addr(&h))
            .find(|a| self.ips.contains(a))
        {
            return Some(format!(
                "{a} is the console's own address; a host cannot be registered or certified under it"
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_names_are_refused_loopback_addresses_are_not() {
        let n = ConsoleNames::new(Some("Manager.Example.lan"), "mgr01");
        assert!(n.refusal("manager.example.lan", "10.0.0.9").is_some());
        assert!(n.refusal("LOCALHOST", "127.0.0.1").is_some());
        assert!(n.refusal("a.localhost", "127.0.0.1").is_some());
        assert!(n.refusal("mgr01", "10.0.0.9").is_some());
        assert!(n.refusal("web-01", "127.0.0.1").is_none());
        let n = ConsoleNames::new(Some("10.1.2.3"), "mgr01");
        assert!(n.refusal("web-01", "10.1.2.3").is_some());
        assert!(n.refusal("10.1.2.3", "10.9.9.9").is_some());
        assert!(n.refusal("web-01", "10.1.2.4").is_none());
    }
}
