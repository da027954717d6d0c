//! Validation of a maintenance-window spec into a [`Window`], with a clear message for every refused field.

use std::fmt;

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::window_spec::{Nth, WindowKind, WindowSpec, MAX_DURATION_MINUTES, MIN_DURATION_MINUTES};

/// A validated window: what [`WindowSpec::validate`] returns and what the opening functions take.
///
/// Serialises as its [`WindowSpec`] (zone always filled in); deserialising validates again, so a stored window
/// that no longer validates is an error rather than a silent "never open".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "WindowSpec", into = "WindowSpec")]
pub struct Window {
    pub(super) kind: WindowKind,
    pub(super) start: NaiveTime,
    pub(super) duration_minutes: u32,
    pub(super) cutoff_minutes: u32,
    pub(super) zone: Tz,
}

impl Window {
    /// The window's zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The recurrence.
    pub fn kind(&self) -> &WindowKind {
        &self.kind
    }

    /// The local wall-clock start.
    pub fn start(&self) -> NaiveTime {
        self.start
    }

    /// Length of every opening in minutes (elapsed time).
    pub fn duration_minutes(&self) -> u32 {
        self.duration_minutes
    }

    /// Minutes before the end in which nothing new is dispatched.
    pub fn cutoff_minutes(&self) -> u32 {
        self.cutoff_minutes
    }

    /// The spec this window was validated from, with the zone filled in (the form to store).
    pub fn to_spec(&self) -> WindowSpec {
        WindowSpec {
            kind: self.kind.clone(),
            start: self.start.format("%H:%M").to_string(),
            duration_minutes: self.duration_minutes,
            time_zone: Some(self.zone.name().to_string()),
            cutoff_minutes: self.cutoff_minutes,
        }
    }
}

impl TryFrom<WindowSpec> for Window {
    type Error = SpecErrors;

    fn try_from(spec: WindowSpec) -> Result<Self, Self::Error> {
        spec.validate_stored()
    }
}

impl From<Window> for WindowSpec {
    fn from(window: Window) -> Self {
        window.to_spec()
    }
}

/// One refused field of a spec: `field` is the JSON name (`kind.day`, `start`, ...), `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The field's path in the spec.
    pub field: &'static str,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// Every refused field of a spec, in field order (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

impl WindowSpec {
    /// Checks every field and returns the window, or every refused field with a message (for an API 400).
    /// `default_zone` is used when `time_zone` is omitted (pass `local_zone::manager_time_zone()`).
    pub fn validate(&self, default_zone: Tz) -> Result<Window, SpecErrors> {
        self.check(Some(default_zone))
    }

    /// As [`WindowSpec::validate`], but `time_zone` is required (the stored form always names its zone).
    pub fn validate_stored(&self) -> Result<Window, SpecErrors> {
        self.check(None)
    }

    fn check(&self, default_zone: Option<Tz>) -> Result<Window, SpecErrors> {
        let mut errors = Vec::new();
        let mut refuse = |field: &'static str, message: String| errors.push(SpecError { field, message });
        let kind = match &self.kind {
            WindowKind::Weekly { weekdays } if weekdays.is_empty() => {
                refuse(
                    "kind.weekdays",
                    "a weekly window needs at least one weekday (Mon..Sun)".into(),
                );
                None
            }
            WindowKind::Weekly { weekdays } => {
                let set = WEEK.into_iter().filter(|d| weekdays.contains(d)).collect();
                Some(WindowKind::Weekly { weekdays: set })
            }
            WindowKind::MonthlyDay { day } if !(1..=31).contains(day) => {
                refuse(
                    "kind.day",
                    format!("day must be 1-31 (days past a month's end mean its last day), got {day}"),
                );
                None
            }
            WindowKind::MonthlyWeekday {
                nth: Nth::Ordinal(n), ..
            } if !(1..=5).contains(n) => {
                refuse("kind.nth", format!("nth must be 1-5 or \"last\", got {n}"));
                None
            }
            other => Some(other.clone()),
        };
        let start = parse_hh_mm(&self.start);
        if start.is_none() {
            refuse(
                "start",
                format!(
                    "start must be local wall time HH:MM (00:00-23:59, e.g. \"02:00\"), got \"{}\"",
                    self.start
                ),
            );
        }
        if !(MIN_DURATION_MINUTES..=MAX_DURATION_MINUTES).contains(&self.duration_minutes) {
            refuse(
                "duration_minutes",
                format!(
                    "duration_minutes must be {MIN_DURATION_MINUTES}-{MAX_DURATION_MINUTES} (5 minutes to 24 hours), \
                     got {}",
                    self.duration_minutes
                ),
            );
        }
        if self.cutoff_minutes >= self.duration_minutes {
            refuse(
                "cutoff_minutes",
                format!(
                    "cutoff_minutes must be less than duration_minutes ({}), got {}",
                    self.duration_minutes, self.cutoff_minutes
                ),
            );
        }
        let zone = match (&self.time_zone, default_zone) {
            (Some(name), _) => {
                let zone = name.parse::<Tz>().ok();
                if zone.is_none() {
                    refuse(
                        "time_zone",
                        format!("unknown time zone \"{name}\" (use an IANA name such as \"Europe/Berlin\" or \"UTC\")"),
                    );
                }
                zone
            }
            (None, Some(zone)) => Some(zone),
            (None, None) => {
                refuse(
                    "time_zone",
                    "time_zone is required (an IANA name such as \"Europe/Berlin\")".into(),
                );
                None
            }
        };
        match (kind, start, zone) {
            (Some(kind), Some(start), Some(zone)) if errors.is_empty() => Ok(Window {
                kind,
                start,
                duration_minutes: self.duration_minutes,
                cutoff_minutes: self.cutoff_minutes,
                zone,
            }),
            _ => Err(SpecErrors(errors)),
        }
    }
}

/// Parses exactly `HH:MM` (two digits each, 00-23 and 00-59).
fn parse_hh_mm(text: &str) -> Option<NaiveTime> {
    let (h, m) = text.split_once(':')?;
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(h) || !two_digits(m) {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

/// The weekdays Monday to Sunday, for normalising a weekly set.
const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

#[cfg(test)]
#[path = "window_check_tests.rs"]
mod tests;
