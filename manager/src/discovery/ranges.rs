//! Which ranges a user may scan: administrators any range (each scan still at most a /22); operators only
//! inside a range an administrator allowed (`discovery_ranges`, IPv4 CIDRs of at least a /8, at most
//! [`MAX_ALLOWED`] of them).

use ipnet::Ipv4Net;

/// Allowed ranges kept at most (the list is shown whole on the Discovery page).
pub const MAX_ALLOWED: i64 = 64;
/// The widest range an administrator may allow (prefix length).
pub const WIDEST_ALLOWED: u8 = 8;

/// Parses a range to allow: an IPv4 CIDR (or one address) no wider than a /8; host bits cleared.
pub fn parse_allowed(text: &str) -> Result<Ipv4Net, String> {
    let net = super::parse_cidr(text, "10.20.0.0/16")?;
    if net.prefix_len() < WIDEST_ALLOWED {
        return Err(format!(
            "{net} is wider than a /{WIDEST_ALLOWED}; allow smaller ranges"
        ));
    }
    Ok(net.trunc())
}

/// Whether `scan` lies entirely inside one of `allowed` (stored texts; unparsable ones never match).
pub fn covered(scan: Ipv4Net, allowed: &[String]) -> bool {
    allowed
        .iter()
        .filter_map(|a| a.parse::<Ipv4Net>().ok())
        .any(|a| a.contains(&scan))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn allowed_ranges_are_checked_and_normalised() {
        assert_eq!(parse_allowed(" 10.20.3.4/16 ").unwrap(), net("10.20.0.0/16"));
        assert_eq!(parse_allowed("10.0.0.9").unwrap(), net("10.0.0.9/32"));
        assert!(parse_allowed("10.0.0.0/7")
            .unwrap_err()
            .contains("wider than a /8"));
        assert!(parse_allowed("0.0.0.0/0").is_err());
        assert!(parse_allowed("fd00::/64").unwrap_err().contains("IPv6"));
        assert!(parse_allowed("10.0.0.0/33").is_err());
        assert!(parse_allowed("'; DROP TABLE x; --").is_err());
        assert!(parse_allowed("").is_err());
    }

    #[test]
    fn a_scan_must_lie_inside_one_allowed_range() {
        let allowed = vec![
            "10.20.0.0/16".to_owned(),
            "192.168.1.0/24".to_owned(),
            "junk".to_owned(),
        ];
        assert!(covered(net("10.20.3.0/24"), &allowed));
        assert!(covered(net("10.20.0.0/16"), &allowed));
        assert!(covered(net("192.168.1.16/28"), &allowed));
        assert!(!covered(net("10.21.0.0/24"), &allowed));
        assert!(
            !covered(net("192.168.0.0/22"), &allowed),
            "straddles the allowed /24"
        );
        assert!(!covered(net("10.20.0.0/24"), &[]));
    }
}
