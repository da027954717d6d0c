//! The maintenance-window spec as operators and the API write it (serde forms; validation is in `window_check`).

use std::fmt;

use chrono::{NaiveDate, Weekday};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Shortest window accepted, in minutes.
pub const MIN_DURATION_MINUTES: u32 = 5;
/// Longest window accepted, in minutes (24 h: at most one opening starts per local day).
pub const MAX_DURATION_MINUTES: u32 = 24 * 60;
/// Minutes before a window's end in which no new job is dispatched, when the spec does not say.
pub const DEFAULT_CUTOFF_MINUTES: u32 = 15;

/// A maintenance window as written by an operator (JSON/YAML), before validation.
///
/// ```json
/// {"kind": {"type": "weekly", "weekdays": ["Tue", "Thu"]}, "start": "02:00", "duration_minutes": 120,
///  "time_zone": "Europe/Berlin", "cutoff_minutes": 15}
/// ```
/// `time_zone` may be omitted (the caller's default, normally the manager's zone, is then used and recorded);
/// `cutoff_minutes` defaults to [`DEFAULT_CUTOFF_MINUTES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// The recurrence.
    pub kind: WindowKind,
    /// Local wall-clock start, `HH:MM` (24-hour).
    pub start: String,
    /// Length of each opening in elapsed minutes, [`MIN_DURATION_MINUTES`]..=[`MAX_DURATION_MINUTES`].
    pub duration_minutes: u32,
    /// IANA zone name (e.g. `Europe/Berlin`); `None` means the default passed to `WindowSpec::validate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// No new dispatch in the last `cutoff_minutes` of an opening; must be less than `duration_minutes`.
    #[serde(default = "default_cutoff")]
    pub cutoff_minutes: u32,
}

fn default_cutoff() -> u32 {
    DEFAULT_CUTOFF_MINUTES
}

/// When a window opens. Weekdays are written `Mon`..`Sun` (chrono's names; `monday` etc. are accepted too).
/// Written `{"type": "daily"}`, `{"type": "weekly", "weekdays": [...]}`, `{"type": "monthly_day", "day": 31}`,
/// `{"type": "monthly_weekday", "nth": "last", "weekday": "Fri"}`, `{"type": "once", "date": "2026-03-10"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(from = "KindRepr", into = "KindRepr")]
pub enum WindowKind {
    /// Every day.
    Daily,
    /// On each listed weekday (a non-empty set; duplicates are dropped).
    Weekly {
        /// The weekdays.
        weekdays: Vec<Weekday>,
    },
    /// On day `day` (1..=31) of every month, clamped to the month's last day (31 means "last day").
    MonthlyDay {
        /// Day of the month.
        day: u32,
    },
    /// On the `nth` (1..=5) or last `weekday` of every month; a month without a 5th such weekday has no opening.
    MonthlyWeekday {
        /// Which occurrence in the month.
        nth: Nth,
        /// The weekday.
        weekday: Weekday,
    },
    /// Once, on a local date (`YYYY-MM-DD`); a date in the past has no openings.
    Once {
        /// The date.
        date: NaiveDate,
    },
}

/// The wire form of [`WindowKind`]: `Daily {}` so that unknown fields are refused for it too (serde ignores them
/// on a unit variant of an internally tagged enum).
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum KindRepr {
    Daily {},
    Weekly { weekdays: Vec<Weekday> },
    MonthlyDay { day: u32 },
    MonthlyWeekday { nth: Nth, weekday: Weekday },
    Once { date: NaiveDate },
}

impl From<KindRepr> for WindowKind {
    fn from(repr: KindRepr) -> Self {
        match repr {
            KindRepr::Daily {} => WindowKind::Daily,
            KindRepr::Weekly { weekdays } => WindowKind::Weekly { weekdays },
            KindRepr::MonthlyDay { day } => WindowKind::MonthlyDay { day },
            KindRepr::MonthlyWeekday { nth, weekday } => WindowKind::MonthlyWeekday { nth, weekday },
            KindRepr::Once { date } => WindowKind::Once { date },
        }
    }
}

impl From<WindowKind> for KindRepr {
    fn from(kind: WindowKind) -> Self {
        match kind {
            WindowKind::Daily => KindRepr::Daily {},
            WindowKind::Weekly { weekdays } => KindRepr::Weekly { weekdays },
            WindowKind::MonthlyDay { day } => KindRepr::MonthlyDay { day },
            WindowKind::MonthlyWeekday { nth, weekday } => KindRepr::MonthlyWeekday { nth, weekday },
            WindowKind::Once { date } => KindRepr::Once { date },
        }
    }
}

/// Which occurrence of a weekday in a month: written as a number 1..=5 or `"last"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nth {
    /// The n-th occurrence (valid: 1..=5).
    Ordinal(u32),
    /// The last occurrence.
    Last,
}

impl schemars::JsonSchema for Nth {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Nth".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Which occurrence of the weekday in the month: 1 to 5, or \"last\".",
            "anyOf": [
                { "type": "integer", "minimum": 1, "maximum": 5 },
                { "type": "string", "enum": ["last"] },
            ],
        })
    }
}

impl Serialize for Nth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Nth::Ordinal(n) => serializer.serialize_u32(*n),
            Nth::Last => serializer.serialize_str("last"),
        }
    }
}

impl<'de> Deserialize<'de> for Nth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NthVisitor;
        impl Visitor<'_> for NthVisitor {
            type Value = Nth;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number 1-5 or \"last\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Nth, E> {
                u32::try_from(v)
                    .map(Nth::Ordinal)
                    .map_err(|_| E::custom("nth must be 1-5 or \"last\""))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Nth, E> {
                u32::try_from(v)
                    .map(Nth::Ordinal)
                    .map_err(|_| E::custom("nth must be 1-5 or \"last\""))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Nth, E> {
                if v == "last" {
                    Ok(Nth::Last)
                } else {
                    Err(E::custom(format!("nth must be 1-5 or \"last\", got \"{v}\"")))
                }
            }
        }
        deserializer.deserialize_any(NthVisitor)
    }
}
