//! Maintenance-window openings as text for the console: in the window's own zone and in the viewer's.

use chrono::{DateTime, Offset};
use chrono_tz::Tz;

use super::window::Opening;

/// One opening shown twice, as the window page lists its next openings (DESIGN §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningText {
    /// In the window's own zone, e.g. `Tue 2026-03-10 02:00–04:00 Europe/Berlin`.
    pub own: String,
    /// In the viewer's zone, e.g. `Mon 2026-03-09 21:00–23:00 America/New_York`.
    pub viewer: String,
}

/// `opening` in `zone`: `Tue 2026-03-10 02:00–04:00 Europe/Berlin`.
///
/// An end on a later local date repeats the date (`Sat 2026-01-10 23:00–Sun 2026-01-11 02:00 Europe/Berlin`);
/// when the UTC offset changes inside the opening (DST), both times carry their abbreviation
/// (`Sun 2026-10-25 02:00 CEST–03:00 CET Europe/Berlin`), so a 2 h window that reads as 1 h is explained.
pub fn format_opening(opening: &Opening, zone: Tz) -> String {
    let start = opening.start.with_timezone(&zone);
    let end = opening.end.with_timezone(&zone);
    let offset_changes = start.offset().fix() != end.offset().fix();
    let time = |t: &DateTime<Tz>| {
        if offset_changes {
            t.format("%H:%M %Z").to_string()
        } else {
            t.format("%H:%M").to_string()
        }
    };
    let end_text = if end.date_naive() == start.date_naive() {
        time(&end)
    } else {
        format!("{} {}", end.format("%a %Y-%m-%d"), time(&end))
    };
    format!(
        "{} {}–{} {}",
        start.format("%a %Y-%m-%d"),
        time(&start),
        end_text,
        zone.name()
    )
}

/// `opening` in the window's own zone and in the viewer's zone.
pub fn describe_opening(opening: &Opening, own: Tz, viewer: Tz) -> OpeningText {
    OpeningText {
        own: format_opening(opening, own),
        viewer: format_opening(opening, viewer),
    }
}
