//! `whitelist.yaml`: the IPv4 allow-list (addresses, CIDRs, hostnames resolved at load); deny by default.

use super::error::{line_of_item, ConfigError};
use super::file::parse_yaml;
use ipnet::Ipv4Net;
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhitelistFile {
    allow: Vec<String>,
}

/// One resolved allow-list entry with the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowEntry {
    /// As written in the file.
    pub source: String,
    /// The networks it allows (a host name may resolve to several addresses).
    pub nets: Vec<Ipv4Net>,
}

/// Who may connect. Anything not matched, and every IPv6 peer, is denied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllowList {
    entries: Vec<AllowEntry>,
}

impl AllowList {
    /// Loads and resolves `whitelist.yaml`.
    pub fn load(file: &Path) -> Result<Self, ConfigError> {
        let (parsed, text): (WhitelistFile, String) = parse_yaml(file)?;
        Self::from_entries(file, &text, &parsed.allow)
    }

    /// Resolves entries (the file and text locate errors).
    pub fn from_entries(file: &Path, text: &str, raw: &[String]) -> Result<Self, ConfigError> {
        let mut entries = Vec::with_capacity(raw.len());
        for (i, item) in raw.iter().enumerate() {
            let err = |m: String| ConfigError {
                file: file.to_path_buf(),
                line: line_of_item(text, item),
                field: Some(format!("allow[{i}]")),
                message: m,
            };
            let nets = parse_entry(item).map_err(err)?;
            entries.push(AllowEntry {
                source: item.clone(),
                nets,
            });
        }
        Ok(Self { entries })
    }

    /// Whether a peer address is allowed.
    pub fn allows(&self, peer: IpAddr) -> bool {
        let v4 = match peer {
            IpAddr::V4(a) => a,
            // IPv4-mapped IPv6 (::ffff:a.b.c.d) is the same IPv4 peer; every other IPv6 peer is denied.
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(m) => m,
                None => return false,
            },
        };
        self.entries
            .iter()
            .any(|e| e.nets.iter().any(|n| n.contains(&v4)))
    }

    /// The entries as loaded.
    pub fn entries(&self) -> &[AllowEntry] {
        &self.entries
    }
}

fn parse_entry(item: &str) -> Result<Vec<Ipv4Net>, String> {
    let item = item.trim();
    if item.is_empty() {
        return Err("empty entry".into());
    }
    if let Ok(a) = item.parse::<Ipv4Addr>() {
        return Ok(vec![Ipv4Net::from(a)]);
    }
    if item.contains('/') {
        return match item.parse::<Ipv4Net>() {
            Ok(n) => Ok(vec![n]),
            Err(_) if item.contains(':') => Err(format!("`{item}`: IPv6 networks are not supported")),
            Err(_) => Err(format!("`{item}` is not a valid IPv4 CIDR (e.g. 10.20.0.0/16)")),
        };
    }
    if item.contains(':') {
        return Err(format!("`{item}`: IPv6 addresses are not supported"));
    }
    let valid_host = item.len() <= 253
        && item.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid_host {
        return Err(format!(
            "`{item}` is neither an IPv4 address, an IPv4 CIDR nor a host name"
        ));
    }
    let addrs = (item, 0)
        .to_socket_addrs()
        .map_err(|e| format!("host name `{item}` does not resolve: {e}"))?;
    let mut nets: Vec<Ipv4Net> = addrs
        .filter_map(|a| match a.ip() {
            IpAddr::V4(v4) => Some(Ipv4Net::from(v4)),
            IpAddr::V6(_) => None,
        })
        .collect();
    nets.sort();
    nets.dedup();
    if nets.is_empty() {
        return Err(format!("host name `{item}` has no IPv4 address"));
    }
    Ok(nets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Result<AllowList, ConfigError> {
        let raw: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        let text = raw.iter().map(|s| format!("  - {s}\n")).collect::<String>();
        AllowList::from_entries(Path::new("/w.yaml"), &format!("allow:\n{text}"), &raw)
    }

    #[test]
    fn addresses_cidrs_and_hostnames() {
        let l = list(&["127.0.0.1", "10.20.0.0/16", "localhost"]).unwrap();
        assert!(l.allows("127.0.0.1".parse().unwrap()));
        assert!(l.allows("10.20.255.1".parse().unwrap()));
        assert!(!l.allows("10.21.0.1".parse().unwrap()));
        assert!(!l.allows("127.0.0.2".parse().unwrap()));
        assert!(
            l.allows("::ffff:127.0.0.1".parse().unwrap()),
            "mapped IPv4 is the same peer"
        );
        assert!(!l.allows("::1".parse().unwrap()), "IPv6 peers are denied");
    }

    #[test]
    fn empty_list_denies_everyone() {
        assert!(!list(&[]).unwrap().allows("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn ipv6_and_garbage_entries_are_refused_with_their_line() {
        for (bad, needle) in [
            ("::1", "IPv6"),
            ("fd00::/8", "IPv6"),
            ("10.0.0.0/33", "CIDR"),
            ("foo;rm", "neither"),
            ("no-such-host.invalid", "does not resolve"),
        ] {
            let e = list(&["127.0.0.1", bad]).unwrap_err();
            assert!(e.message.contains(needle), "{bad}: {e}");
            assert_eq!(e.field.as_deref(), Some("allow[1]"));
            assert_eq!(e.line, Some(3), "{bad}: {e}");
        }
    }

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("whitelist.yaml");
        std::fs::write(&f, "allow: [127.0.0.1]\ndeny: []\n").unwrap();
        let e = AllowList::load(&f).unwrap_err();
        assert!(e.message.contains("unknown field `deny`"), "{e}");
        assert_eq!(e.line, Some(2));
    }
}
