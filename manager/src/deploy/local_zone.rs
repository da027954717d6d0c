//! The manager's own time zone, the default for new maintenance windows (`TZ`, `/etc/timezone`, `/etc/localtime`).
//!
//! The only part of `deploy/` that reads the environment; the pure window code takes the zone as a parameter.

use std::path::Path;

use chrono_tz::Tz;

/// The manager's zone, read now from the process environment and `/etc` (see [`zone_from`]).
pub fn manager_time_zone() -> Tz {
    let tz_env = std::env::var("TZ").ok();
    let etc_timezone = std::fs::read_to_string("/etc/timezone").ok();
    let localtime_target = std::fs::read_link("/etc/localtime").ok();
    zone_from(
        tz_env.as_deref(),
        etc_timezone.as_deref(),
        localtime_target.as_deref(),
    )
}

/// The first of these that names an IANA zone chrono-tz knows, else UTC: the `TZ` value (`Europe/Berlin`,
/// `:Europe/Berlin` or a path into a zoneinfo directory; POSIX rule strings such as `CET-1CEST` are skipped), the
/// contents of `/etc/timezone`, the target of the `/etc/localtime` symlink (`../usr/share/zoneinfo/Europe/Berlin`).
pub fn zone_from(tz_env: Option<&str>, etc_timezone: Option<&str>, localtime_target: Option<&Path>) -> Tz {
    tz_env
        .and_then(parse_zone_name)
        .or_else(|| etc_timezone.and_then(parse_zone_name))
        .or_else(|| localtime_target.and_then(Path::to_str).and_then(parse_zone_name))
        .unwrap_or(Tz::UTC)
}

/// A zone from a name or a zoneinfo path (`/usr/share/zoneinfo/posix/Europe/Berlin` -> `Europe/Berlin`).
fn parse_zone_name(text: &str) -> Option<Tz> {
    let text = text.trim();
    let text = text.strip_prefix(':').unwrap_or(text);
    let name = match text.rfind("zoneinfo/") {
        Some(i) => &text[i + "zoneinfo/".len()..],
        None => text,
    };
    let name = name
        .strip_prefix("posix/")
        .or_else(|| name.strip_prefix("right/"))
        .unwrap_or(name);
    name.parse::<Tz>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tz_env_wins_in_its_forms() {
        let berlin = Some("Europe/Berlin\n");
        assert_eq!(
            zone_from(Some("America/New_York"), berlin, None),
            Tz::America__New_York
        );
        assert_eq!(zone_from(Some(":Asia/Tokyo"), berlin, None), Tz::Asia__Tokyo);
        assert_eq!(
            zone_from(Some("/usr/share/zoneinfo/Asia/Tokyo"), berlin, None),
            Tz::Asia__Tokyo
        );
    }

    #[test]
    fn posix_rule_strings_and_garbage_fall_through() {
        assert_eq!(
            zone_from(Some("CET-1CEST,M3.5.0,M10.5.0/3"), Some("Europe/Berlin\n"), None),
            Tz::Europe__Berlin
        );
        assert_eq!(zone_from(Some(""), Some("not a zone"), None), Tz::UTC);
    }

    #[test]
    fn etc_timezone_then_localtime_symlink_then_utc() {
        assert_eq!(
            zone_from(None, Some("Australia/Lord_Howe\n"), None),
            Tz::Australia__Lord_Howe
        );
        let link = Path::new("../usr/share/zoneinfo/Europe/Berlin");
        assert_eq!(zone_from(None, None, Some(link)), Tz::Europe__Berlin);
        let posix = Path::new("/usr/share/zoneinfo/posix/America/New_York");
        assert_eq!(zone_from(None, Some(""), Some(posix)), Tz::America__New_York);
        assert_eq!(zone_from(None, None, None), Tz::UTC);
    }

    #[test]
    fn manager_time_zone_always_answers() {
        // Whatever this machine says, the answer is a zone chrono-tz knows (UTC at worst).
        let zone = manager_time_zone();
        assert_eq!(zone.name().parse::<Tz>().ok(), Some(zone));
    }
}
