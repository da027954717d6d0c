//! Keyset pages of the fleet list (`?after=<cursor>&limit=N`): the opaque cursor and the page size, checked once.

use super::FleetRow;
use crate::db::models::host::validate_hostname;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

/// Rows on one Hosts page unless `limit` says otherwise.
pub const PAGE_LIMIT: i64 = 100;
/// Rows in one `GET /api/v1/hosts` answer unless `limit` says otherwise.
pub const API_LIMIT: i64 = 200;
/// Most rows one page may ask for.
pub const MAX_LIMIT: i64 = 1000;
/// Longest accepted cursor (a 253-character host name and an id, encoded).
const MAX_CURSOR: usize = 400;

/// The paging query string as sent (both optional).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct PageQuery {
    /// A cursor from a previous page (`next` link, `X-Next-After`).
    #[serde(default)]
    pub after: Option<String>,
    /// Rows per page, 1 to [`MAX_LIMIT`].
    #[serde(default)]
    pub limit: Option<String>,
}

/// The position after which a page starts: the sort key of the last row shown (name, then id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The host name of that row.
    pub hostname: String,
    /// Its id (the tie-breaker).
    pub id: i64,
}

/// Checked paging: where to start and how many rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSpec {
    /// Start after this row (`None`: the first page).
    pub after: Option<Cursor>,
    /// Rows per page.
    pub limit: i64,
    /// The default of the page or endpoint asked (a `limit` equal to it is left out of links).
    pub default_limit: i64,
}

/// One page of the fleet and the count of every matching host.
#[derive(Debug, Clone)]
pub struct FleetPage {
    /// The rows, by name then id.
    pub rows: Vec<FleetRow>,
    /// Hosts matching the filters, all pages together.
    pub total: i64,
    /// Where the next page starts (`None`: this is the last page).
    pub next: Option<Cursor>,
}

impl Cursor {
    /// The cursor after `row`.
    pub fn after(row: &FleetRow) -> Self {
        Cursor {
            hostname: row.host.hostname.clone(),
            id: row.host.id,
        }
    }

    /// The opaque form sent to clients (URL-safe base64 of `<id>:<hostname>`).
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.id, self.hostname))
    }

    /// Reads a cursor sent back; anything this list did not hand out is refused in words.
    pub fn decode(s: &str) -> Result<Self, String> {
        let refused = || "after is not a cursor of this list (use the next link as given)".to_owned();
        if s.len() > MAX_CURSOR {
            return Err(refused());
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| refused())?;
        let text = String::from_utf8(bytes).map_err(|_| refused())?;
        let (id, hostname) = text.split_once(':').ok_or_else(refused)?;
        let id = match id.parse::<i64>() {
            Ok(n) if n > 0 && id.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(refused()),
        };
        // Every stored name passed this check (registration and agent enrolment), so a cursor naming
        // anything else was not made here.
        validate_hostname(hostname).map_err(|_| refused())?;
        Ok(Cursor {
            hostname: hostname.to_owned(),
            id,
        })
    }
}

impl PageQuery {
    /// Checks `after` and `limit` (`default_limit` when absent or blank).
    pub fn parse(&self, default_limit: i64) -> Result<PageSpec, String> {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let limit = match given(&self.limit) {
            None => default_limit,
            Some(l) => match l.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    let shown: String = l.chars().take(20).collect();
                    return Err(format!(
                        "limit must be a number from 1 to {MAX_LIMIT}, not `{}`",
                        shown.escape_default()
                    ));
                }
            },
        };
        let after = given(&self.after).map(|a| Cursor::decode(&a)).transpose()?;
        Ok(PageSpec {
            after,
            limit,
            default_limit,
        })
    }
}

impl PageSpec {
    /// The first page with `default_limit` rows.
    pub fn first(default_limit: i64) -> Self {
        PageSpec {
            after: None,
            limit: default_limit,
            default_limit,
        }
    }

    /// `limit=N` when it differs from the default (empty otherwise), for links.
    pub fn limit_pair(&self) -> Option<(&'static str, String)> {
        (self.limit != self.default_limit).then(|| ("limit", self.limit.to_string()))
    }

    /// The query string of the page starting after `cursor` (or the first page), filters first.
    pub fn link(&self, filters: &str, cursor: Option<&Cursor>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(c) = cursor {
            pairs.push(("after", c.encode()));
        }
        pairs.extend(self.limit_pair());
        let paging = serde_html_form::to_string(pairs).unwrap_or_default();
        match (filters.is_empty(), paging.is_empty()) {
            (_, true) => filters.to_owned(),
            (true, false) => paging,
            (false, false) => format!("{filters}&{paging}"),
        }
    }

    /// This page's own query-string part (cursor and non-default limit).
    pub fn query_string(&self) -> String {
        self.link("", self.after.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(qs: &str, default: i64) -> Result<PageSpec, String> {
        serde_html_form::from_str::<PageQuery>(qs)
            .map_err(|e| e.to_string())?
            .parse(default)
    }

    #[test]
    fn cursors_round_trip_and_stay_url_safe() {
        let c = Cursor {
            hostname: "web-01.example.lan".into(),
            id: 42,
        };
        let s = c.encode();
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{s}"
        );
        assert_eq!(Cursor::decode(&s).unwrap(), c);
        let spec = p(&format!("after={s}&limit=7"), PAGE_LIMIT).unwrap();
        assert_eq!((spec.after, spec.limit), (Some(c), 7));
    }

    #[test]
    fn limits_default_and_are_bounded() {
        assert_eq!(p("", PAGE_LIMIT).unwrap().limit, 100);
        assert_eq!(p("limit=", API_LIMIT).unwrap().limit, 200);
        assert_eq!(p("limit=1000", API_LIMIT).unwrap().limit, 1000);
        for bad in [
            "limit=0",
            "limit=1001",
            "limit=-1",
            "limit=abc",
            "limit=1e3",
            "limit=99999999999999999999",
        ] {
            assert!(
                p(bad, PAGE_LIMIT)
                    .unwrap_err()
                    .contains("limit must be a number from 1 to 1000"),
                "{bad}"
            );
        }
    }

    #[test]
    fn foreign_and_injection_shaped_cursors_are_refused() {
        let enc = |s: &str| URL_SAFE_NO_PAD.encode(s);
        for bad in [
            "nonsense!".to_owned(),
            "1' OR '1'='1".to_owned(),
            "1;DROP TABLE hosts".to_owned(),
            enc("1:a' OR 1=1--"),
            enc("1:a;DROP TABLE hosts"),
            enc("0:web.lan"),
            enc("-5:web.lan"),
            enc("+5:web.lan"),
            enc("x:web.lan"),
            enc("5"),
            enc("5:"),
            enc(&format!("5:{}", "a".repeat(300))),
            "A".repeat(MAX_CURSOR + 1),
            URL_SAFE_NO_PAD.encode([0xff, 0xfe, b':', b'a']),
        ] {
            let e = Cursor::decode(&bad).unwrap_err();
            assert!(e.contains("not a cursor of this list"), "{bad}: {e}");
        }
    }

    #[test]
    fn links_keep_filters_and_only_a_chosen_limit() {
        let c = Cursor {
            hostname: "b.lan".into(),
            id: 3,
        };
        let first = PageSpec::first(PAGE_LIMIT);
        assert_eq!(first.link("", None), "");
        assert_eq!(first.link("state=healthy", None), "state=healthy");
        assert_eq!(
            first.link("state=healthy", Some(&c)),
            format!("state=healthy&after={}", c.encode())
        );
        let small = p("limit=5", PAGE_LIMIT).unwrap();
        assert_eq!(small.link("q=web", None), "q=web&limit=5");
        assert_eq!(small.link("", Some(&c)), format!("after={}&limit=5", c.encode()));
    }
}
