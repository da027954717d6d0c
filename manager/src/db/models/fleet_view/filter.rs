//! The Hosts page's filters (`?group=&state=&os=&security=&reboot=&q=`): parsed and checked once, then
//! applied in SQL with bound parameters (never spliced into the statement).

use serde::{Deserialize, Serialize};

/// Host states, as stored.
pub const STATES: [&str; 4] = ["unknown", "healthy", "degraded", "unreachable"];
/// Values of `reboot_required`.
pub const REBOOT: [&str; 3] = ["yes", "no", "unknown"];
/// Longest accepted text search.
pub const MAX_Q: usize = 100;
/// Longest accepted OS value.
pub const MAX_OS: usize = 200;

/// The filter query string as sent (every field optional; empty means "any").
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct FilterQuery {
    /// A group id, or `none` for ungrouped hosts.
    #[serde(default)]
    pub group: Option<String>,
    /// One of [`STATES`].
    #[serde(default)]
    pub state: Option<String>,
    /// An exact OS string.
    #[serde(default)]
    pub os: Option<String>,
    /// `yes` (pending security updates) or `no`.
    #[serde(default)]
    pub security: Option<String>,
    /// One of [`REBOOT`].
    #[serde(default)]
    pub reboot: Option<String>,
    /// Text searched in names and addresses.
    #[serde(default)]
    pub q: Option<String>,
}

/// Which group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GroupFilter {
    /// Members of this group.
    Id(i64),
    /// Hosts in no group.
    Ungrouped,
}

/// Checked filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HostFilter {
    /// By group.
    pub group: Option<GroupFilter>,
    /// By state (one of [`STATES`]).
    pub state: Option<&'static str>,
    /// By OS (exact).
    pub os: Option<String>,
    /// Pending security updates (`true`) or none (`false`).
    pub security: Option<bool>,
    /// By `reboot_required` (one of [`REBOOT`]).
    pub reboot: Option<&'static str>,
    /// Substring of the host name or address (case-insensitive).
    pub q: Option<String>,
}

/// A present, non-blank value.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `v` quoted for an error message (escaped, at most 40 characters).
fn shown(v: &str) -> String {
    let s: String = v.chars().take(40).collect();
    format!("`{}`", s.escape_default())
}

fn one_of(field: &str, v: &str, allowed: &[&'static str]) -> Result<&'static str, String> {
    allowed
        .iter()
        .copied()
        .find(|a| *a == v)
        .ok_or_else(|| format!("{field} must be one of {}, not {}", allowed.join(", "), shown(v)))
}

fn text(field: &str, v: &str, max: usize) -> Result<String, String> {
    if v.chars().count() > max {
        return Err(format!("{field} has at most {max} characters"));
    }
    if v.chars().any(char::is_control) {
        return Err(format!("{field} cannot contain control characters"));
    }
    Ok(v.to_owned())
}

impl FilterQuery {
    /// Checks every field; the first bad one is the error, in words.
    pub fn parse(&self) -> Result<HostFilter, String> {
        let group = match given(&self.group) {
            None => None,
            Some("none") => Some(GroupFilter::Ungrouped),
            Some(g) => match g.parse::<i64>() {
                Ok(id) if id > 0 => Some(GroupFilter::Id(id)),
                _ => return Err(format!("group must be a group id or `none`, not {}", shown(g))),
            },
        };
        let security = match given(&self.security) {
            None => None,
            Some("yes") => Some(true),
            Some("no") => Some(false),
            Some(s) => return Err(format!("security must be `yes` or `no`, not {}", shown(s))),
        };
        Ok(HostFilter {
            group,
            state: given(&self.state)
                .map(|s| one_of("state", s, &STATES))
                .transpose()?,
            os: given(&self.os).map(|s| text("os", s, MAX_OS)).transpose()?,
            security,
            reboot: given(&self.reboot)
                .map(|s| one_of("reboot", s, &REBOOT))
                .transpose()?,
            q: given(&self.q).map(|s| text("q", s, MAX_Q)).transpose()?,
        })
    }
}

impl HostFilter {
    /// Whether any filter is set.
    pub fn is_active(&self) -> bool {
        *self != HostFilter::default()
    }

    /// The group filter as its query value (`""`, `none` or the id).
    pub fn group_value(&self) -> String {
        match self.group {
            None => String::new(),
            Some(GroupFilter::Ungrouped) => "none".into(),
            Some(GroupFilter::Id(id)) => id.to_string(),
        }
    }

    /// The query string that selects these filters again (without `?`; empty when none).
    pub fn query_string(&self) -> String {
        let security = self.security.map(|s| if s { "yes" } else { "no" });
        let group = self.group_value();
        let pairs: Vec<(&str, &str)> = [
            ("group", Some(group.as_str()).filter(|g| !g.is_empty())),
            ("state", self.state),
            ("os", self.os.as_deref()),
            ("security", security),
            ("reboot", self.reboot),
            ("q", self.q.as_deref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        serde_html_form::to_string(pairs).unwrap_or_default()
    }

    /// The text search as a `LIKE` pattern (`%`, `_` and `\` taken literally).
    pub fn like_pattern(&self) -> Option<String> {
        self.q.as_deref().map(|q| {
            let mut p = String::with_capacity(q.len() + 2);
            p.push('%');
            for c in q.chars() {
                if matches!(c, '%' | '_' | '\\') {
                    p.push('\\');
                }
                p.push(c);
            }
            p.push('%');
            p
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &str) -> Result<HostFilter, String> {
        serde_html_form::from_str::<FilterQuery>(pairs)
            .map_err(|e| e.to_string())?
            .parse()
    }

    #[test]
    fn empty_values_mean_no_filter() {
        assert_eq!(q("").unwrap(), HostFilter::default());
        let f = q("group=&state=&os=&security=&reboot=&q=++").unwrap();
        assert!(!f.is_active());
        assert_eq!(f.query_string(), "");
    }

    #[test]
    fn every_filter_parses_and_round_trips() {
        let f = q("group=7&state=degraded&os=Debian+12&security=yes&reboot=unknown&q=web-0").unwrap();
        assert_eq!(f.group, Some(GroupFilter::Id(7)));
        assert_eq!(f.state, Some("degraded"));
        assert_eq!(f.os.as_deref(), Some("Debian 12"));
        assert_eq!(f.security, Some(true));
        assert_eq!(f.reboot, Some("unknown"));
        assert_eq!(f.q.as_deref(), Some("web-0"));
        assert_eq!(q(&f.query_string()).unwrap(), f);
        assert_eq!(
            q("group=none&security=no").unwrap().group,
            Some(GroupFilter::Ungrouped)
        );
        assert_eq!(q("security=no").unwrap().security, Some(false));
    }

    #[test]
    fn unknown_values_are_refused_in_words() {
        for (bad, says) in [
            (
                "state=broken",
                "state must be one of unknown, healthy, degraded, unreachable",
            ),
            ("state=healthy'%20OR%201=1--", "state must be one of"),
            ("group=abc", "group must be a group id or `none`"),
            ("group=-1", "group must be a group id"),
            ("group=0", "group must be a group id"),
            ("security=maybe", "security must be `yes` or `no`"),
            ("reboot=1", "reboot must be one of yes, no, unknown"),
            ("q=a%0Ab", "q cannot contain control characters"),
            ("os=%00", "os cannot contain control characters"),
        ] {
            let e = q(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let long = format!("q={}", "x".repeat(MAX_Q + 1));
        assert!(q(&long).unwrap_err().contains("at most 100"));
    }

    #[test]
    fn error_messages_do_not_echo_markup_raw() {
        let e = q("state=%3Cscript%3Ealert(1)%3C/script%3E").unwrap_err();
        assert!(e.contains("`<script>alert(1)</script"), "{e}");
        // Long values are cut in the message.
        let e = q(&format!("state={}", "y".repeat(500))).unwrap_err();
        assert!(e.len() < 200, "{e}");
    }

    #[test]
    fn like_wildcards_are_literal() {
        let f = q("q=50%25_a%5Cb").unwrap();
        assert_eq!(f.like_pattern().as_deref(), Some("%50\\%\\_a\\\\b%"));
        assert_eq!(HostFilter::default().like_pattern(), None);
    }
}
