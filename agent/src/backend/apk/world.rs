//! apk's world file (`ROOT/etc/apk/world`): the packages asked for, each with an optional repository
//! tag and version constraint (`name`, `name=1.0-r0`, `name<2`, `name@edge`, `!name`).

use super::version::satisfies;
use std::path::Path;

/// One world entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldEntry {
    /// The entry as written (what `apk add` takes to put it back).
    pub text: String,
    /// Package name.
    pub name: String,
    /// Constraint operator (`=`, `<`, `>=`, `~`, ...), empty when none.
    pub op: String,
    /// Constraint version, empty when none.
    pub version: String,
}

/// Parses world text (entries separated by whitespace; apk writes one per line). Conflicts
/// (`!name`) are skipped: they pin nothing installed.
pub fn parse_world(text: &str) -> Vec<WorldEntry> {
    text.split_whitespace()
        .filter(|e| !e.starts_with('!'))
        .filter_map(|e| {
            let end = e.find(['@', '=', '<', '>', '~']).unwrap_or(e.len());
            let name = &e[..end];
            let rest = &e[end..];
            let rest = match rest.strip_prefix('@') {
                Some(tagged) => &tagged[tagged.find(['=', '<', '>', '~']).unwrap_or(tagged.len())..],
                None => rest,
            };
            let op_len = rest
                .find(|c: char| !matches!(c, '=' | '<' | '>' | '~'))
                .unwrap_or(rest.len());
            (!name.is_empty()).then(|| WorldEntry {
                text: e.to_string(),
                name: name.to_string(),
                op: rest[..op_len].to_string(),
                version: rest[op_len..].to_string(),
            })
        })
        .collect()
}

/// Reads the world file; a missing or unreadable file is an empty world.
pub fn read_world(path: &Path) -> Vec<WorldEntry> {
    parse_world(&std::fs::read_to_string(path).unwrap_or_default())
}

/// Whether the world keeps `name` from moving to `candidate` (e.g. `name=1.0-r0` while 1.1-r0 is
/// available): `apk upgrade` leaves such a package alone (SAMPLES.md block 7).
pub fn holds(world: &[WorldEntry], name: &str, candidate: &str) -> bool {
    world
        .iter()
        .filter(|e| e.name == name && !e.op.is_empty())
        .any(|e| !satisfies(candidate, &e.op, &e.version))
}

#[cfg(test)]
mod tests {
    use super::{holds, parse_world, WorldEntry};

    #[test]
    fn parses_entries_and_decides_holds() {
        let w =
            parse_world("pmtest-app\npmtest-hello=1.0-r0\nbusybox@edge>=1.36\n!nano\nlibfoo<2 musl~1.2\n");
        let got: Vec<(&str, &str, &str)> = w
            .iter()
            .map(|e| (e.name.as_str(), e.op.as_str(), e.version.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("pmtest-app", "", ""),
                ("pmtest-hello", "=", "1.0-r0"),
                ("busybox", ">=", "1.36"),
                ("libfoo", "<", "2"),
                ("musl", "~", "1.2"),
            ]
        );
        assert_eq!(
            w[1],
            WorldEntry {
                text: "pmtest-hello=1.0-r0".into(),
                name: "pmtest-hello".into(),
                op: "=".into(),
                version: "1.0-r0".into()
            }
        );
        assert!(holds(&w, "pmtest-hello", "1.1-r0"), "pinned (block 7)");
        assert!(!holds(&w, "pmtest-hello", "1.0-r0"));
        assert!(!holds(&w, "pmtest-app", "9-r0"), "no constraint");
        assert!(!holds(&w, "busybox", "1.37.0-r0"));
        assert!(holds(&w, "libfoo", "2.0-r0"));
        assert!(!holds(&w, "musl", "1.2.5-r0"));
        assert!(holds(&w, "musl", "1.3.0-r0"));
        assert!(!holds(&w, "nano", "9"), "conflicts are not holds");
        assert!(parse_world("").is_empty());
    }
}
