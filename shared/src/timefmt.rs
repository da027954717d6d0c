//! Timestamps in the seed's wire form: RFC 3339 with a numeric `+00:00` offset and at most 6 fractional
//! digits (what Python 3.8's `datetime.fromisoformat` reads), and a lenient reader for files in that form.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Timelike, Utc};

/// `2026-05-27T13:30:00+00:00`, or with microseconds (`...:00.123456+00:00`) when the instant has any.
pub fn offset_form(t: DateTime<Utc>) -> String {
    let format = if t.nanosecond() / 1_000 == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Micros
    };
    t.to_rfc3339_opts(format, false)
}

/// Serializes an optional instant in [`offset_form`] (null when absent).
pub fn serialize_opt_offset<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&offset_form(*t)),
        None => s.serialize_none(),
    }
}

/// Reads RFC 3339 (any offset, `Z` included) or, as Python's `isoformat()` writes for a naive datetime,
/// `YYYY-MM-DDTHH:MM:SS[.ffffff]` without an offset, taken as UTC.
pub fn parse_lenient(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_form_has_plus_zero_and_at_most_six_digits() {
        let t = parse_lenient("2026-05-27T13:30:00Z").unwrap();
        assert_eq!(offset_form(t), "2026-05-27T13:30:00+00:00");
        let t = parse_lenient("2026-05-27T13:30:00.123456789Z").unwrap();
        assert_eq!(offset_form(t), "2026-05-27T13:30:00.123456+00:00");
        let t = parse_lenient("2026-05-27T13:30:00.5+00:00").unwrap();
        assert_eq!(offset_form(t), "2026-05-27T13:30:00.500000+00:00");
    }

    #[test]
    fn lenient_reader_takes_offsets_and_naive_python_stamps() {
        let want = parse_lenient("2026-05-27T11:30:00Z").unwrap();
        assert_eq!(parse_lenient("2026-05-27T13:30:00+02:00"), Some(want));
        assert_eq!(parse_lenient("2026-05-27T11:30:00"), Some(want));
        assert_eq!(
            parse_lenient("2026-05-27T11:30:00.250000").map(offset_form),
            Some("2026-05-27T11:30:00.250000+00:00".to_owned())
        );
        assert_eq!(parse_lenient("yesterday"), None);
    }
}
