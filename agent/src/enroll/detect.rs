//! What the agent reports about its host: machine id, FQDN (`hostname -f`), OS (`PRETTY_NAME`), and the
//! source address of the route to the manager.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::Path;

/// `/etc/machine-id`, or `<prefix>/etc/machine-id` when the prefix is not `/` and has one.
pub fn machine_id(prefix: &Path) -> Result<String, String> {
    let sandboxed = prefix.join("etc/machine-id");
    let file = if prefix != Path::new("/") && sandboxed.is_file() {
        sandboxed
    } else {
        Path::new("/etc/machine-id").to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let id = text.trim().to_ascii_lowercase();
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "{} does not hold a machine id (32 hex digits)",
            file.display()
        ));
    }
    Ok(id)
}

/// The fully qualified name, as `hostname -f` finds it: the canonical name of the host name, else the
/// host name itself.
pub fn fqdn() -> Result<String, String> {
    let host = dns_lookup::get_hostname().map_err(|e| format!("cannot read the host name: {e}"))?;
    let hints = dns_lookup::AddrInfoHints {
        flags: libc_ai_canonname(),
        ..dns_lookup::AddrInfoHints::default()
    };
    let canonical = dns_lookup::getaddrinfo(Some(&host), None, Some(hints))
        .ok()
        .and_then(|mut it| it.find_map(|a| a.ok().and_then(|a| a.canonname)))
        .filter(|c| !c.is_empty());
    Ok(canonical
        .unwrap_or(host)
        .trim_end_matches('.')
        .to_ascii_lowercase())
}

/// `AI_CANONNAME` (2 on Linux).
fn libc_ai_canonname() -> i32 {
    2
}

/// `PRETTY_NAME` of `/etc/os-release` (or `/usr/lib/os-release`), "Linux" when neither says.
pub fn os_pretty_name() -> String {
    ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .find_map(|t| pretty_name(&t))
        .unwrap_or_else(|| "Linux".into())
}

/// `PRETTY_NAME=` of an os-release text, unquoted.
pub fn pretty_name(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let v = l.trim().strip_prefix("PRETTY_NAME=")?;
        let v = v.trim().trim_matches('"').trim_matches('\'').trim();
        (!v.is_empty()).then(|| v.chars().take(200).collect())
    })
}

/// The local address the kernel would use to reach `manager` (no packet is sent).
pub fn source_address(manager: SocketAddr) -> Result<Ipv4Addr, String> {
    let sock = UdpSocket::bind(("0.0.0.0", 0)).map_err(|e| format!("cannot open a socket: {e}"))?;
    sock.connect(manager)
        .map_err(|e| format!("no route to the manager at {manager}: {e}"))?;
    match sock.local_addr().map_err(|e| e.to_string())? {
        SocketAddr::V4(a) if !a.ip().is_unspecified() => Ok(*a.ip()),
        other => Err(format!(
            "the route to the manager uses {other}, not an IPv4 address"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_name_is_unquoted() {
        let t = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n";
        assert_eq!(pretty_name(t).as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
        assert_eq!(pretty_name("ID=arch\n"), None);
    }

    #[test]
    fn the_fqdn_is_a_lowercase_name() {
        let f = fqdn().unwrap();
        assert!(
            !f.is_empty() && !f.ends_with('.') && f == f.to_ascii_lowercase(),
            "{f}"
        );
    }

    #[test]
    fn loopback_routes_from_loopback() {
        let a = source_address("127.0.0.1:8443".parse().unwrap()).unwrap();
        assert!(a.is_loopback(), "{a}");
    }

    #[test]
    fn a_prefix_machine_id_is_preferred_and_checked() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("etc")).unwrap();
        std::fs::write(
            d.path().join("etc/machine-id"),
            "0123456789ABCDEF0123456789abcdef\n",
        )
        .unwrap();
        assert_eq!(machine_id(d.path()).unwrap(), "0123456789abcdef0123456789abcdef");
        std::fs::write(d.path().join("etc/machine-id"), "nope\n").unwrap();
        assert!(machine_id(d.path()).is_err());
    }
}
