//! Builds the catalogue from the word lists: the base system, libraries and programs with their usual
//! companions (`-dev`, `-doc`, `-common`, ...), language modules and fonts, each with seeded versions.

use super::super::rng::{hash, Rng};
use super::super::words;
use super::Entry;
use std::collections::HashSet;

/// How a generated package is described.
struct Kind {
    name: String,
    summary: String,
    section: &'static str,
    arch_all: bool,
    popularity: u16,
    parent: Option<u16>,
    source: Option<String>,
}

fn kind(name: String, summary: String, section: &'static str, popularity: u16) -> Kind {
    Kind {
        name,
        summary,
        section,
        arch_all: false,
        popularity,
        parent: None,
        source: None,
    }
}

#[derive(Default)]
struct Builder {
    entries: Vec<Entry>,
    seen: HashSet<String>,
}

impl Builder {
    /// Adds a package (`flags`: `!` essential, `^` reboot, `@` arch all); `None` for a duplicate name.
    fn add(&mut self, k: Kind, flags: &str) -> Option<u16> {
        if !self.seen.insert(k.name.clone()) {
            return None;
        }
        let index = u16::try_from(self.entries.len()).ok()?;
        let mut r = Rng::from_parts(&[k.name.as_bytes(), b"entry"]);
        let kernel = k.name.starts_with("linux-image-");
        let variants = match (kernel, r.below(100)) {
            (true, _) => 3,
            (false, 0..=54) => 1,
            (false, 55..=79) => 2,
            (false, 80..=93) => 3,
            (false, _) => 4,
        };
        self.entries.push(Entry {
            base: base_version(&mut r, kernel).into(),
            size_kib: u32::try_from(r.between(16, 40_000)).unwrap_or(100),
            summary: k.summary.into(),
            section: k.section,
            arch_all: k.arch_all || flags.contains('@'),
            source: k.source.map(Into::into),
            kernel,
            variants,
            essential: flags.contains('!'),
            reboot: flags.contains('^'),
            popularity: k.popularity,
            parent: k.parent,
            name: k.name.into(),
        });
        Some(index)
    }

    /// Companions of a library or program: each with its chance of existing and of being installed
    /// alongside its parent.
    fn children(&mut self, parent: Option<u16>, prefix: &str, stem: &str, list: &[Child]) {
        for (suffix, summary, section, arch_all, chance, popularity) in list {
            if !Rng::from_parts(&[stem.as_bytes(), suffix.as_bytes()]).chance(*chance) {
                continue;
            }
            let name = match suffix.strip_prefix('<') {
                Some(before) => format!("{before}{stem}-1.0"),
                None => format!("{prefix}{stem}{suffix}"),
            };
            let k = Kind {
                arch_all: *arch_all,
                parent,
                source: Some(stem.to_owned()),
                ..kind(name, summary.replace("{}", stem), section, *popularity)
            };
            self.add(k, "");
        }
    }
}

fn base_version(r: &mut Rng, kernel: bool) -> String {
    if kernel {
        return format!("6.1.{}-1", r.between(66, 90));
    }
    let epoch = if r.chance(50) {
        format!("{}:", r.between(1, 2))
    } else {
        String::new()
    };
    let upstream = match r.below(10) {
        0..=4 => format!("{}.{}.{}", r.below(12), r.below(30), r.below(20)),
        5..=6 => format!("{}.{}", r.between(1, 40), r.below(20)),
        7 => format!("{}.{}.{}+dfsg", r.below(8), r.below(20), r.below(10)),
        8 => format!("2022{:02}{:02}", r.between(1, 12), r.between(1, 28)),
        _ => format!("{}.{}.{}", r.between(1, 9), r.below(10), r.below(100)),
    };
    let revision = match r.below(10) {
        0 => String::new(),
        1 => format!("-{}.1", r.between(1, 4)),
        _ => format!("-{}", r.between(1, 6)),
    };
    format!("{epoch}{upstream}{revision}")
}

/// A library's runtime package name: `libNAME` plus a soname digit unless the name ends in one.
fn soname(stem: &str) -> String {
    if stem.ends_with(|c: char| c.is_ascii_digit()) {
        format!("lib{stem}")
    } else {
        format!("lib{stem}{}", hash(&[stem.as_bytes()]) % 10)
    }
}

/// (suffix, summary, section, arch all, per mille chance it exists, per mille chance it is installed
/// when its parent is). A suffix `<P` names the package `P<stem>-1.0` instead.
type Child = (&'static str, &'static str, &'static str, bool, u64, u16);

const LIB_CHILDREN: &[Child] = &[
    ("-dev", "development files for {}", "libdevel", false, 1000, 600),
    ("-doc", "documentation for {}", "doc", true, 450, 500),
    ("-common", "common files for {}", "libs", true, 300, 950),
    ("-tools", "command-line tools for {}", "utils", false, 400, 700),
    ("-bin", "utility programs for {}", "utils", false, 200, 700),
    (
        "<gir1.2-",
        "GObject introspection data for {}",
        "introspection",
        false,
        300,
        700,
    ),
];

const PROGRAM_CHILDREN: &[Child] = &[
    ("-doc", "documentation for {}", "doc", true, 500, 700),
    ("-common", "common files for {}", "misc", true, 450, 950),
    ("-data", "data files for {}", "misc", true, 300, 950),
    ("-utils", "extra utilities for {}", "utils", false, 250, 800),
    ("-plugins", "plugins for {}", "misc", false, 150, 800),
];

const PYTHON_CHILDREN: &[Child] = &[(
    "-doc",
    "documentation for the Python module {}",
    "doc",
    true,
    400,
    500,
)];

/// Every package, parents before their companions.
pub(super) fn entries() -> Vec<Entry> {
    let mut b = Builder::default();
    for word in words::BASE.split_whitespace() {
        let name = word.trim_end_matches(['!', '^', '@']);
        let summary = format!("{name} (base system)");
        b.add(
            kind(name.to_owned(), summary, base_section(name), 1000),
            &word[name.len()..],
        );
    }
    for stem in words::LIB_STEMS.split_whitespace() {
        let lib = Kind {
            source: Some(stem.to_owned()),
            ..kind(soname(stem), format!("{stem} shared library"), "libs", 980)
        };
        if let Some(parent) = b.add(lib, "") {
            b.children(Some(parent), "lib", stem, LIB_CHILDREN);
        }
    }
    for (i, prog) in words::PROGRAMS.split_whitespace().enumerate() {
        let phrase = words::PROGRAM_PHRASES[i % words::PROGRAM_PHRASES.len()];
        let section = ["utils", "net", "admin", "devel", "web", "database"][i % 6];
        if let Some(parent) = b.add(
            kind(prog.to_owned(), format!("{prog} {phrase}"), section, 700),
            "",
        ) {
            b.children(Some(parent), "", prog, PROGRAM_CHILDREN);
        }
    }
    type Family = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        u16,
    );
    let families: [Family; 8] = [
        (words::PYTHON, "python3-", "", "Python 3 module {}", "python", 850),
        (words::PERL, "lib", "-perl", "Perl module {}", "perl", 850),
        (words::JAVA, "lib", "-java", "Java library {}", "java", 550),
        (words::RUBY, "ruby-", "", "Ruby library {}", "ruby", 550),
        (words::PHP, "php8.2-", "", "PHP 8.2 extension {}", "php", 550),
        (words::NODE, "node-", "", "Node.js module {}", "javascript", 500),
        (
            words::GOLANG,
            "golang-github-",
            "-dev",
            "Go library {}",
            "golang",
            400,
        ),
        (words::FONTS, "fonts-", "", "{} font family", "fonts", 800),
    ];
    for (list, prefix, suffix, summary, section, popularity) in families {
        for stem in list.split_whitespace() {
            let name = format!("{prefix}{stem}{suffix}");
            let k = Kind {
                arch_all: section != "php",
                ..kind(name, summary.replace("{}", stem), section, popularity)
            };
            if let Some(parent) = b.add(k, "") {
                if section == "python" {
                    b.children(Some(parent), "python-", stem, PYTHON_CHILDREN);
                }
            }
        }
    }
    b.entries
}

fn base_section(name: &str) -> &'static str {
    match name {
        n if n.starts_with("linux-") || n.contains("microcode") || n.starts_with("firmware-") => "kernel",
        n if n.starts_with("lib") => "libs",
        n if n.starts_with("python3") || n.starts_with("perl") => "interpreters",
        "bash" | "dash" => "shells",
        n if n.contains("ssh") || n.starts_with("iproute") || n.starts_with("iputils") => "net",
        _ => "admin",
    }
}
