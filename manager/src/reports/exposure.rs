//! Vulnerability exposure wording (pure): severity ranks as words and CSS classes, CVE id validation.

/// The severity word of a rank (4 critical .. 1 low, 0 unrated).
pub fn rank_label(rank: i32) -> &'static str {
    match rank {
        4 => "critical",
        3 => "important",
        2 => "moderate",
        1 => "low",
        _ => "unrated",
    }
}

/// Every rank, highest first.
pub const RANKS: [i32; 5] = [4, 3, 2, 1, 0];

/// Whether `s` is a CVE id (`CVE-YYYY-NNNN...`).
pub fn valid_cve(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("CVE"), Some(y), Some(n)) if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())
            && (4..=12).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_ids_are_checked() {
        assert!(valid_cve("CVE-2026-0001"));
        assert!(valid_cve("CVE-2021-44228"));
        for bad in [
            "cve-2026-0001",
            "CVE-26-0001",
            "CVE-2026-1",
            "CVE-2026-0001'",
            "CVE-2026-00a1",
            "",
        ] {
            assert!(!valid_cve(bad), "{bad}");
        }
    }

    #[test]
    fn ranks_read_as_words() {
        assert_eq!(
            RANKS.map(rank_label),
            ["critical", "important", "moderate", "low", "unrated"]
        );
    }
}
